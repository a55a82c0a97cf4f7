"""Submitting claims (app.services.submissions, app.services.acks): 837P batches validated
by pyx12 before anything is written, paper print jobs, snapshots, replacements, and the 999 /
277CA acknowledgements matched back to batches and claims, all or nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.cli import main
from app.errors import UserError
from app.formats.x12.segments import X12Error
from app.models import ControlNumber, WorkItem, X12File
from app.models.claims import Claim, ClaimSnapshot, Submission
from app.services import Services
from app.services.claims import ClaimView
from app.services.coding import LineDraft
from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE
from tests.unit.claim_fixtures import DOS, Clinic, clinic, coded_visit, cover, patient


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


def ready_claim(sv: Services, c: Clinic, n: int, *, method: str = "electronic",
                lines: int = 1, last: str = "Doe") -> ClaimView:
    pid = patient(sv, n, last=last)
    cover(sv, pid, c.payer_id)
    drafts = [LineDraft("99213", pointers="A"), LineDraft("36415", pointers="B"),
              LineDraft("20610", pointers="AB")][:lines]
    v = sv.claims.create_primary(coded_visit(sv, pid, c, *drafts))
    if method != "electronic":
        v = sv.claims.update(v.id, v.version, replace(v.header, method=method))
    return sv.claims.mark_ready(v.id, v.version)


def statuses(sv: Services) -> dict[int, str]:
    with sv.db.session() as s:
        return dict(s.execute(select(Claim.id, Claim.status)).all())


def counters(sv: Services) -> dict[str, int]:
    with sv.db.session() as s:
        return dict(s.execute(select(ControlNumber.name, ControlNumber.value)).all())


# --- 837P --------------------------------------------------------------------------------------
def test_export_writes_a_clean_837p_and_marks_the_claims_submitted(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    a = ready_claim(admin, c, 1, lines=3)
    b = ready_claim(admin, c, 2, last="Roe")
    out = tmp_path / "batch.837"
    r = admin.submissions.export_837(out)
    assert (r.claims, r.total) == (2, a.total + b.total)
    data = out.read_bytes()
    assert data.startswith(b"ISA") and b"ST*837*" in data and b"005010X222A1" in data
    assert data.count(b"CLM*") == 2 and data.count(b"LX*") == 4
    for ln in a.lines:
        assert f"REF*6R*{ln.control_number}".encode() in data
    assert statuses(admin) == {a.id: "submitted", b.id: "submitted"}
    with admin.db.session() as s:
        sub = s.scalars(select(Submission)).one()
        stored = s.get(X12File, sub.x12_file_id)
        assert stored is not None and stored.content == data and stored.kind == "837"
        numbers = set(s.scalars(select(ClaimSnapshot.claim_number)))
    assert numbers == {a.number, b.number}
    assert sub.group_control == str(counters(admin)["gs"])
    assert [h.status for h in admin.claims.get(a.id).history][-1] == "submitted"


def test_control_numbers_increase_from_batch_to_batch(admin: Services, c: Clinic,
                                                      tmp_path: Path) -> None:
    ready_claim(admin, c, 1)
    admin.submissions.export_837(tmp_path / "one.837")
    first = counters(admin)
    ready_claim(admin, c, 2)
    admin.submissions.export_837(tmp_path / "two.837")
    second = counters(admin)
    assert all(second[k] == first[k] + 1 for k in ("isa", "gs", "st"))
    one, two = (tmp_path / "one.837").read_text(), (tmp_path / "two.837").read_text()
    assert one[90:99] != two[90:99]  # ISA13


def test_a_file_pyx12_finds_fault_with_is_not_written_and_nothing_is_marked(
        admin: Services, c: Clinic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.formats.x12 import x837p

    real = x837p.build_837p

    def spoiled(*args: object, **kw: object) -> bytes:
        # no billing provider (a missing loop), and a subscriber birth date pyx12 rejects
        # (its own message would quote the value, which is patient data)
        data = real(*args, **kw)  # type: ignore[arg-type]
        kept = [seg for seg in data.split(b"~") if not seg.strip().startswith(b"NM1*85")]
        return b"~".join(kept).replace(b"DMG*D8*19800517", b"DMG*D8*19801399")

    monkeypatch.setattr(x837p, "build_837p", spoiled)
    v = ready_claim(admin, c, 1)
    before = counters(admin)
    out = tmp_path / "bad.837"
    with pytest.raises(UserError) as err:
        admin.submissions.export_837(out)
    assert "did not pass validation" in str(err.value) and "nothing was written" in str(
        err.value)
    message = str(err.value)
    assert "19801399" not in message and "DOE" not in message.upper()
    assert f"claim {v.number}" in message  # the claim at fault is named
    assert not out.exists() and not list(tmp_path.glob(".clinic-clerk-*"))
    assert statuses(admin) == {v.id: "ready"}
    assert counters(admin) == before
    with admin.db.session() as s:
        assert s.scalar(select(func.count(Submission.id))) == 0


def test_only_ready_claims_of_the_right_kind_go_out(admin: Services, c: Clinic,
                                                    tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no ready electronic claims"):
        admin.submissions.export_837(tmp_path / "x.837")
    paper = ready_claim(admin, c, 1, method="paper")
    with pytest.raises(UserError, match="set to go on paper"):
        admin.submissions.export_837(tmp_path / "x.837", [paper.id])
    pid = patient(admin, 5)
    cover(admin, pid, c.payer_id)
    draft = admin.claims.create_primary(coded_visit(admin, pid, c))
    with pytest.raises(UserError, match="is not ready"):
        admin.submissions.export_837(tmp_path / "x.837", [draft.id])


def test_a_replacement_carries_ref_f8_and_retires_the_old_claim(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = ready_claim(admin, c, 1)
    admin.submissions.export_837(tmp_path / "one.837")
    new = admin.claims.new_version(v.id, "7", original_claim_number="PAYER123")
    new = admin.claims.mark_ready(new.id, new.version)
    admin.submissions.export_837(tmp_path / "two.837")
    data = (tmp_path / "two.837").read_text()
    assert "REF*F8*PAYER123" in data and f"CLM*{new.number}*" in data
    assert ":B:7*" in data  # CLM05-3 frequency
    assert statuses(admin) == {v.id: "replaced", new.id: "submitted"}


@pytest.mark.parametrize(("qualifier", "segment"), [
    ("DN", "NM1*DN*1*JONES*RAY****XX*1003000126"),
    ("DQ", "NM1*DQ*1*JONES*RAY****XX*1003000126"),
    ("DK", "NM1*DK*1*JONES*RAY****XX*1003000126")])
def test_the_box_17_qualifier_chooses_the_loop(admin: Services, c: Clinic, tmp_path: Path,
                                               qualifier: str, segment: str) -> None:
    pid = patient(admin, 1)
    cover(admin, pid, c.payer_id)
    v = admin.claims.create_primary(coded_visit(admin, pid, c, LineDraft("99213", pointers="A"),
                                                LineDraft("36415", pointers="A")))
    v = admin.claims.update(v.id, v.version, replace(
        v.header, referring_provider_id=c.referring_id, referring_qualifier=qualifier))
    admin.claims.mark_ready(v.id, v.version)
    admin.submissions.export_837(tmp_path / "q.837")  # pyx12 finds it clean
    data = (tmp_path / "q.837").read_text()
    assert data.count(segment) == (2 if qualifier == "DK" else 1)  # DK: each line (2420E)
    others = {"DN", "DQ", "DK"} - {qualifier}
    assert not any(f"NM1*{q}*" in data for q in others)
    from app.formats.cms1500 import boxes, layout
    from app.services.claim_document import document

    with admin.db.session() as s:
        claim = s.get(Claim, v.id)
        assert claim is not None
        page = boxes(layout(document(s, claim), printed_on=DOS)[0])
    assert page["17.qual"].text == qualifier


# --- paper -------------------------------------------------------------------------------------
def test_printing_writes_the_forms_and_marks_the_claims_submitted(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    a = ready_claim(admin, c, 1, method="paper")
    b = ready_claim(admin, c, 2, method="paper", lines=3)
    out = tmp_path / "forms.pdf"
    r = admin.submissions.print_to_file(out, None, "data")
    assert r.claims == 2
    assert len(PdfReader(str(out)).pages) == 2
    assert statuses(admin) == {a.id: "submitted", b.id: "submitted"}
    with admin.db.session() as s:
        sub = s.scalars(select(Submission)).one()
    assert (sub.method, sub.print_mode, sub.claims) == ("paper", "data", 2)


def test_a_print_job_is_recorded_only_as_rendered(admin: Services, c: Clinic) -> None:
    v = ready_claim(admin, c, 1, method="paper")
    batch = admin.submissions.paper_batch([v.id], "form")
    assert batch.pdf.startswith(b"%PDF") and statuses(admin) == {v.id: "ready"}
    back = admin.claims.mark_draft(v.id, admin.claims.get(v.id).version)
    admin.claims.mark_ready(back.id, back.version)
    with pytest.raises(UserError, match="changed while it was printing"):
        admin.submissions.record_printed(batch)
    assert statuses(admin) == {v.id: "ready"}


def test_preview_is_any_status_and_marks_nothing(admin: Services, c: Clinic) -> None:
    pid = patient(admin, 3)
    cover(admin, pid, c.payer_id)
    v = admin.claims.create_primary(coded_visit(admin, pid, c))
    pdf = admin.submissions.preview_pdf([v.id], "form")
    assert pdf.startswith(b"%PDF") and statuses(admin) == {v.id: "draft"}
    with pytest.raises(UserError, match="print mode"):
        admin.submissions.preview_pdf([v.id], "fancy")


# --- acknowledgements --------------------------------------------------------------------------
ISA = ("ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*MAPLE01        *261202*0900*^*"
       "00501*000000777*0*P*:")


def envelope(code: str, version: str, fid: str, body: list[str]) -> str:
    segs = [ISA, f"GS*{fid}*CLEARHOUSE*MAPLE01*20261202*0900*55*X*{version}",
            f"ST*{code}*0001*{version}", *body, f"SE*{len(body) + 2}*0001", "GE*1*55",
            "IEA*1*000000777"]
    return "~\n".join(segs) + "~\n"


def ack_999(group: str, status: str, claim: str = "") -> str:
    body = [f"AK1*HC*{group}*005010X222A1", "AK2*837*0001*005010X222A1"]
    if status == "R":
        body += ["IK3*NM1*12*2010BA*8", f"CTX*CLM01:{claim}" if claim else "CTX*SITUATIONAL",
                 "IK4*9**7", "IK5*R*5"]
        body += ["AK9*R*1*1*0"]
    else:
        body += ["IK5*A", "AK9*A*1*1*1"]
    return envelope("999", "005010X231A1", "FA", body)


def ack_277(*claims: tuple[str, str, str]) -> str:
    body = ["BHT*0085*08*B1*20261202*0900*TH", "HL*1**20*1",
            "NM1*PR*2*ACME HEALTH*****PI*ACME1", "TRN*1*T1", "DTP*050*D8*20261201",
            "DTP*009*D8*20261202", "HL*2*1*21*1", "NM1*41*2*MAPLE*****46*MAPLE01", "TRN*2*B1",
            "STC*A1:19:PR*20261202*WQ*100", "HL*3*2*19*1",
            "NM1*85*2*MAPLE*****XX*1234567893", "TRN*1*P1"]
    for n, (number, stc, ref) in enumerate(claims, start=4):
        body += [f"HL*{n}*3*PT", "NM1*QC*1*DOE*JANE****MI*W123456789", f"TRN*2*{number}",
                 f"STC*{stc}*20261202*{'U' if stc.startswith('A7') else 'WQ'}*100"]
        if ref:
            body.append(f"REF*1K*{ref}")
    return envelope("277", "005010X214", "HN", body)


def exported(sv: Services, c: Clinic, tmp_path: Path, n: int = 2) -> list[ClaimView]:
    claims = [ready_claim(sv, c, i + 1, last=f"Doe{chr(65 + i)}") for i in range(n)]
    sv.submissions.export_837(tmp_path / "batch.837")
    return claims


def test_999_accepted_then_277ca_per_claim(admin: Services, c: Clinic,
                                           tmp_path: Path) -> None:
    a, b = exported(admin, c, tmp_path)
    group = str(counters(admin)["gs"])
    f999 = tmp_path / "a.999"
    f999.write_text(ack_999(group, "A"))
    r = admin.submissions.import_ack(f999)
    assert (r.kind, r.accepted, r.rejected) == ("999", 2, 0)
    assert statuses(admin) == {a.id: "accepted", b.id: "accepted"}
    f277 = tmp_path / "a.277"
    f277.write_text(ack_277((a.number, "A2:20", "PCN-1"), (b.number, "A7:562:85", ""),
                            ("99999", "A2:20", "")))
    r = admin.submissions.import_ack(f277)
    assert (r.kind, r.accepted, r.rejected, r.unmatched) == ("277CA", 1, 1, ("99999",))
    assert statuses(admin) == {a.id: "accepted", b.id: "rejected"}
    assert admin.claims.get(a.id).payer_claim_number == "PCN-1"
    queue = admin.claims.rejections()
    assert [(q[1]) for q in queue] == [b.id]
    assert queue[0][3].startswith("Rejected by the payer's front end (277CA)")
    with pytest.raises(UserError, match="already imported"):
        admin.submissions.import_ack(f277)


def test_999_rejection_rejects_the_batch_with_reasons_in_words(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    a, b = exported(admin, c, tmp_path)
    f = tmp_path / "r.999"
    f.write_text(ack_999(str(counters(admin)["gs"]), "R", a.number))
    r = admin.submissions.import_ack(f)
    assert (r.accepted, r.rejected) == (0, 2)
    assert statuses(admin) == {a.id: "rejected", b.id: "rejected"}
    detail = admin.claims.get(a.id).history[-1].detail
    assert detail.startswith("Rejected by the clearinghouse (999)") and "NM1" in detail
    with admin.db.session() as s:
        assert s.scalar(select(func.count(WorkItem.id)).where(
            WorkItem.reason == "claim_rejected")) == 2
    # the clerk corrects a rejected claim: new revision, its work item closed
    v = admin.claims.get(a.id)
    fixed = admin.claims.update(v.id, v.version, replace(v.header, note="fixed"))
    assert fixed.revision == 2 and [q[1] for q in admin.claims.rejections()] == [b.id]


def test_acknowledgements_about_other_batches_or_broken_files_change_nothing(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    a, b = exported(admin, c, tmp_path)
    other = tmp_path / "other.999"
    other.write_text(ack_999("424242", "R"))
    with pytest.raises(UserError, match="was not sent from this clinic"):
        admin.submissions.import_ack(other)
    broken = tmp_path / "broken.999"
    broken.write_text(ack_999(str(counters(admin)["gs"]), "R").replace("SE*", "SE*9"))
    with pytest.raises(X12Error):
        admin.submissions.import_ack(broken)
    stranger = tmp_path / "stranger.277"
    stranger.write_text(ack_277(("55555", "A7:562:85", "")))
    with pytest.raises(UserError, match="None of the claims"):
        admin.submissions.import_ack(stranger)
    assert statuses(admin) == {a.id: "submitted", b.id: "submitted"}
    with admin.db.session() as s:
        assert s.scalar(select(func.count(WorkItem.id))) == 0
        assert s.scalar(select(func.count(X12File.id)).where(X12File.direction == "in")) == 0


def test_late_acknowledgements_of_an_earlier_sending_leave_the_new_one_alone(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    (a,) = exported(admin, c, tmp_path, n=1)
    first_group = str(counters(admin)["gs"])
    f = tmp_path / "r.277"
    f.write_text(ack_277((a.number, "A7:562:85", "")))
    admin.submissions.import_ack(f)
    again = admin.claims.mark_ready(a.id, admin.claims.get(a.id).version)  # fixed elsewhere
    assert again.number == f"{a.id}R2"
    admin.submissions.export_837(tmp_path / "again.837")
    late_999 = tmp_path / "late.999"
    late_999.write_text(ack_999(first_group, "R", a.number))
    admin.submissions.import_ack(late_999)
    old_277 = tmp_path / "old.277"
    old_277.write_text(ack_277((a.number, "A7:562:85", ""), ("77777", "A2:20", "")))
    r = admin.submissions.import_ack(old_277)
    assert (r.accepted, r.rejected, r.earlier, r.unmatched) == (0, 0, (a.number,), ("77777",))
    assert statuses(admin) == {a.id: "submitted"}
    assert admin.claims.rejections() == []


def test_the_paper_snapshot_is_what_was_drawn(admin: Services, c: Clinic) -> None:
    import json

    from app.models import Patient

    v = ready_claim(admin, c, 1, method="paper")
    batch = admin.submissions.paper_batch([v.id], "data")
    with admin.db.session() as s:  # the address changes while the printer prints
        p = s.get(Patient, v.patient_id)
        assert p is not None
        p.address1 = "99 Changed Rd"
    admin.submissions.record_printed(batch)
    with admin.db.session() as s:
        kept = json.loads(s.scalars(select(ClaimSnapshot.document)).one())
    assert kept["patient"]["address"]["line1"] == "12 Elm St"


# --- CLI ---------------------------------------------------------------------------------------
def test_cli_exports_prints_and_imports(admin: Services, c: Clinic, tmp_path: Path,
                                        cli_env: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    e = ready_claim(admin, c, 1)
    p = ready_claim(admin, c, 2, method="paper", last="Roe")
    path = admin.db.path
    admin.db.close()
    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", PASSPHRASE)
    cli_env.setenv("CLINIC_CLERK_PASSWORD", ADMIN_PASSWORD)
    cli_env.setenv("CLINIC_CLERK_CONFIG_DIR", str(tmp_path / "config"))

    def run(*args: str) -> int:
        return main(["--db", str(path), "--user", ADMIN, "claims", *args])

    assert run("export-837", "--out", str(tmp_path / "b.837"), "--all-ready") == 0
    assert "Wrote 1 claim(s)" in capsys.readouterr().out
    assert run("print", "--out", str(tmp_path / "f.pdf"), "--mode", "form",
               "--claim", str(p.id)) == 0
    assert "Printed 1 claim(s)" in capsys.readouterr().out
    assert run("export-837", "--out", str(tmp_path / "c.837"), "--all-ready") == 1
    assert "no ready electronic claims" in capsys.readouterr().err
    assert run("list", "--status", "submitted") == 0
    listed = capsys.readouterr().out
    rows = [line.split() for line in listed.splitlines() if line.startswith(" ")]
    assert sorted(r[0] for r in rows) == sorted([e.number, p.number])
    assert {r[1] for r in rows} == {"submitted"} and "2 claim(s)" in listed
    assert "Doe" not in listed  # a terminal listing carries no names
    bad = tmp_path / "bad.999"
    bad.write_text("not an x12 file")
    assert run("import-ack", str(bad)) == 1
    err = capsys.readouterr().err
    assert "bad.999" in err and "Traceback" not in err


def test_clearinghouse_settings_are_checked_and_cleaned(admin: Services) -> None:
    from app.errors import PermissionDenied, ValidationError
    from app.services.settings import EdiSettings
    from tests.conftest import add_user

    admin.settings.set_edi(EdiSettings(submitter_id="maple01", receiver_id="ch 1",
                                       receiver_name="Clear House",
                                       contact_phone="(217) 555-0100", usage="t"))
    e = admin.settings.edi()
    assert (e.submitter_id, e.receiver_id, e.contact_phone, e.usage) == (
        "MAPLE01", "CH 1", "2175550100", "T")
    assert e.missing == []
    with pytest.raises(ValidationError) as err:
        admin.settings.set_edi(EdiSettings(submitter_id="X" * 16, sender_qualifier="Z",
                                           contact_phone="555-01", usage="Q"))
    assert set(err.value.problems) == {"submitter_id", "sender_qualifier", "contact_phone",
                                       "usage"}
    assert admin.settings.edi() == e  # nothing saved
    pw = add_user(admin, "bill", "biller")
    admin.users.sign_in("bill", pw)
    with pytest.raises(PermissionDenied):
        admin.settings.set_edi(e)
