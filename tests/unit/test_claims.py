"""Claims (app.services.claims): built from a coded visit, edited while open, lines split and
moved with their diagnosis pointers, status steps, new versions, and who may do it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.errors import ConflictError, PermissionDenied, UserError, ValidationError
from app.models import AuditEvent
from app.models.claims import Claim
from app.services import Services
from app.services.claims import ClaimView
from app.services.coding import LineDraft
from tests.conftest import ADMIN, ADMIN_PASSWORD, add_user
from tests.unit.claim_fixtures import DOS, Clinic, clinic, coded_visit, cover, patient


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


@pytest.fixture
def pid(admin: Services, c: Clinic) -> int:
    p = patient(admin, 1)
    cover(admin, p, c.payer_id)
    return p


def three_lines(sv: Services, pid: int, c: Clinic) -> int:
    return coded_visit(sv, pid, c, LineDraft("99213", ("25",), pointers="A"),
                       LineDraft("20610", pointers="B"), LineDraft("36415", pointers="AB"),
                       dx=("E11.9", "I10"))


def test_one_click_builds_the_primary_claim_from_the_visit(admin: Services, c: Clinic,
                                                          pid: int) -> None:
    eid = three_lines(admin, pid, c)
    v = admin.claims.create_primary(eid)
    assert (v.payer_id, v.sequence, v.frequency, v.status) == (c.payer_id, "P", "1", "draft")
    assert v.diagnoses == ("E119", "I10")
    assert [(ln.code, ln.modifiers, ln.pointers) for ln in v.lines] == [
        ("99213", ("25",), "A"), ("20610", (), "B"), ("36415", (), "AB")]
    assert v.total == Decimal("282.00")  # 120 (99213-25) + 150 + 12 from the fee schedule
    assert v.header.rendering_provider_id == c.provider_id
    assert v.header.facility_id == c.facility_id
    assert len({ln.control_number for ln in v.lines}) == 3
    assert all(ln.control_number for ln in v.lines)
    assert v.number == str(v.id)


def test_a_visit_is_billed_once_to_the_same_coverage(admin: Services, c: Clinic,
                                                     pid: int) -> None:
    eid = three_lines(admin, pid, c)
    admin.claims.create_primary(eid)
    with pytest.raises(UserError, match="already on a claim"):
        admin.claims.create_primary(eid)


def test_no_coverage_or_no_coding_is_refused_with_what_to_do(admin: Services,
                                                             c: Clinic) -> None:
    bare = patient(admin, 2)
    eid = coded_visit(admin, bare, c)
    with pytest.raises(UserError, match="no primary coverage in force"):
        admin.claims.create_primary(eid)
    from app.services.history import EncounterData

    cover(admin, bare, c.payer_id)
    enc = admin.history.save(EncounterData(bare, DOS))
    assert enc.id is not None
    with pytest.raises(UserError, match="Code the visit first"):
        admin.claims.create_primary(enc.id)
    with admin.db.session() as s:
        assert s.scalar(select(Claim.id)) is None


def test_split_moves_lines_with_their_diagnoses(admin: Services, c: Clinic, pid: int) -> None:
    v = admin.claims.create_primary(three_lines(admin, pid, c))
    moving = [v.lines[1].id]  # 20610 → diagnosis B (I10)
    src, dst = admin.claims.move_lines(v.id, v.version, moving)
    assert [ln.code for ln in src.lines] == ["99213", "36415"]
    assert [ln.line_no for ln in src.lines] == [1, 2]
    assert dst.diagnoses == ("I10",)
    assert [(ln.code, ln.pointers, ln.line_no) for ln in dst.lines] == [("20610", "A", 1)]
    assert (dst.payer_id, dst.coverage_id, dst.patient_id) == (v.payer_id, v.coverage_id,
                                                               v.patient_id)
    assert src.total + dst.total == v.total
    # the only line of a claim does not move: a claim keeps at least one
    with pytest.raises(UserError, match="at least one line"):
        admin.claims.move_lines(dst.id, dst.version, [dst.lines[0].id], src.id)


def test_a_move_keeps_diagnoses_no_line_points_at(admin: Services, c: Clinic,
                                                  pid: int) -> None:
    # the coder listed three codes; every line points at A only
    eid = coded_visit(admin, pid, c, LineDraft("99213", pointers="A"),
                      LineDraft("36415", pointers="A"), dx=("E11.9", "I10", "M54.50"))
    v = admin.claims.create_primary(eid)
    src, dst = admin.claims.move_lines(v.id, v.version, [v.lines[1].id])
    assert src.diagnoses == ("E119", "I10", "M5450")  # nothing only the moved line used
    assert dst.diagnoses == ("E119",) and dst.lines[0].pointers == "A"


def test_a_move_that_would_pass_12_diagnoses_is_refused(admin: Services, c: Clinic,
                                                       pid: int) -> None:
    v = admin.claims.create_primary(three_lines(admin, pid, c))
    other = admin.claims.create_primary(coded_visit(admin, pid, c, on=DOS - timedelta(days=4)))
    with admin.db.session() as s:
        row = s.get(Claim, other.id)
        assert row is not None
        row.diagnoses = ",".join(f"Z{n:03d}" for n in range(12))  # twelve codes already
    other = admin.claims.get(other.id)
    with pytest.raises(UserError, match="would have 13 diagnoses"):
        admin.claims.move_lines(v.id, v.version, [v.lines[0].id], other.id)
    assert admin.claims.get(other.id).diagnoses == other.diagnoses
    assert len(admin.claims.get(v.id).lines) == 3


def test_moving_into_another_claim_remaps_pointers(admin: Services, c: Clinic,
                                                   pid: int) -> None:
    v = admin.claims.create_primary(three_lines(admin, pid, c))
    other = admin.claims.create_primary(coded_visit(
        admin, pid, c, LineDraft("99213", pointers="A"), LineDraft("36415", pointers="A"),
        on=DOS - timedelta(days=3), dx=("I10",)))
    line = other.lines[1]
    src, dst = admin.claims.move_lines(other.id, other.version, [line.id], v.id)
    assert [ln.code for ln in dst.lines][-1] == "36415"
    assert dst.lines[-1].pointers == "B"  # I10 is B on the target claim
    assert dst.diagnoses == ("E119", "I10")
    assert len(src.lines) == 1


def test_lines_move_only_between_open_claims_of_one_patient(admin: Services, c: Clinic,
                                                            pid: int) -> None:
    v = admin.claims.create_primary(three_lines(admin, pid, c))
    someone = patient(admin, 3, "Roe", "Rick", "M")
    cover(admin, someone, c.payer_id)
    w = admin.claims.create_primary(coded_visit(admin, someone, c))
    with pytest.raises(UserError, match="same patient"):
        admin.claims.move_lines(v.id, v.version, [v.lines[0].id], w.id)
    with pytest.raises(UserError, match="Choose lines"):
        admin.claims.move_lines(v.id, v.version, [999999])


def test_header_is_checked_and_saved(admin: Services, c: Clinic, pid: int) -> None:
    v = admin.claims.create_primary(three_lines(admin, pid, c))
    bad = replace(v.header, auto_accident=True, note="x" * 81,
                  patient_paid=Decimal("999.00"), other_date=DOS)
    with pytest.raises(ValidationError) as err:
        admin.claims.update(v.id, v.version, bad)
    assert set(err.value.problems) >= {"auto_accident_state", "accident_date", "note",
                                       "patient_paid", "other_date_qualifier"}
    assert admin.claims.get(v.id).header == v.header  # nothing changed
    good = replace(v.header, auto_accident=True, auto_accident_state="il",
                   accident_date=DOS - timedelta(days=2), prior_authorization="PA1234",
                   referring_provider_id=c.referring_id, note="Corrected  DOS",
                   patient_paid=Decimal("20.00"))
    saved = admin.claims.update(v.id, v.version, good)
    assert saved.header.auto_accident_state == "IL"
    assert saved.header.note == "Corrected DOS"
    assert saved.header.referring_provider_id == c.referring_id
    with pytest.raises(ConflictError):
        admin.claims.update(v.id, v.version, good)  # stale version


def ready(sv: Services, v: ClaimView) -> ClaimView:
    return sv.claims.mark_ready(v.id, sv.claims.get(v.id).version)


def test_ready_needs_a_clean_scrub_and_editing_takes_it_back_to_draft(
        admin: Services, c: Clinic, pid: int) -> None:
    v = admin.claims.create_primary(three_lines(admin, pid, c))
    r = ready(admin, v)
    assert r.status == "ready"
    edited = admin.claims.update(r.id, r.version, replace(r.header, prior_authorization="X1"))
    assert edited.status == "draft"
    assert [h.status for h in edited.history] == ["draft", "ready", "draft"]


def test_a_claim_with_blocking_errors_is_not_made_ready(admin: Services, c: Clinic,
                                                        pid: int) -> None:
    v = admin.claims.create_primary(three_lines(admin, pid, c))
    bad = admin.claims.update(v.id, v.version, replace(v.header, rendering_provider_id=None))
    with pytest.raises(UserError, match="not ready: the check found 1 blocking error"):
        admin.claims.mark_ready(bad.id, bad.version)
    assert [i.code for i in admin.claims.scrub(bad.id) if i.blocking] == ["rendering_missing"]
    assert admin.claims.get(v.id).status == "draft"


def submitted(sv: Services, v: ClaimView) -> ClaimView:
    """Stand-in for a submission: the submission tests cover the real paths."""
    from app.models.claims import SUBMITTED
    from app.services.claims import add_event

    with sv.db.session() as s:
        claim = s.get(Claim, v.id)
        assert claim is not None
        add_event(s, claim, SUBMITTED, ADMIN)
        claim.payer_claim_number = "PCN555"
    return sv.claims.get(v.id)


def test_a_submitted_claim_is_not_edited_but_replaced_or_voided(admin: Services, c: Clinic,
                                                                pid: int) -> None:
    v = submitted(admin, ready(admin, admin.claims.create_primary(three_lines(admin, pid, c))))
    with pytest.raises(UserError, match="Make a replacement or void"):
        admin.claims.update(v.id, v.version, replace(v.header, note="late change"))
    new = admin.claims.new_version(v.id, "7")
    assert (new.frequency, new.status, new.replaces_claim_id) == ("7", "draft", v.id)
    assert new.header.original_claim_number == "PCN555"
    assert [ln.code for ln in new.lines] == [ln.code for ln in v.lines]
    assert {ln.control_number for ln in new.lines}.isdisjoint(
        {ln.control_number for ln in v.lines})
    with pytest.raises(UserError, match="already open"):
        admin.claims.new_version(v.id, "8")
    assert admin.claims.get(v.id).status == "submitted"  # until the replacement goes out


def test_a_void_needs_the_payers_claim_number(admin: Services, c: Clinic, pid: int) -> None:
    v = submitted(admin, ready(admin, admin.claims.create_primary(three_lines(admin, pid, c))))
    with admin.db.session() as s:
        row = s.get(Claim, v.id)
        assert row is not None
        row.payer_claim_number = ""
    with pytest.raises(ValidationError):
        admin.claims.new_version(v.id, "8")
    void = admin.claims.new_version(v.id, "8", original_claim_number="PAYER-77")
    assert (void.frequency, void.header.original_claim_number) == ("8", "PAYER-77")


def test_editing_a_rejected_claim_starts_a_new_revision(admin: Services, c: Clinic,
                                                        pid: int) -> None:
    v = submitted(admin, ready(admin, admin.claims.create_primary(three_lines(admin, pid, c))))
    from app.models.claims import REJECTED
    from app.services.claims import add_event

    with admin.db.session() as s:
        row = s.get(Claim, v.id)
        assert row is not None
        add_event(s, row, REJECTED, ADMIN, "Invalid member ID")
    r = admin.claims.get(v.id)
    fixed = admin.claims.update(r.id, r.version, replace(r.header, note="member ID fixed"))
    assert (fixed.status, fixed.revision, fixed.number) == ("draft", 2, f"{v.id}R2")


def test_a_rejected_claim_made_ready_unchanged_goes_out_under_a_new_number(
        admin: Services, c: Clinic, pid: int) -> None:
    # the fix was in the patient's record, not on the claim
    v = submitted(admin, ready(admin, admin.claims.create_primary(three_lines(admin, pid, c))))
    from app.models.claims import REJECTED
    from app.services.claims import add_event

    with admin.db.session() as s:
        row = s.get(Claim, v.id)
        assert row is not None
        add_event(s, row, REJECTED, ADMIN, "Subscriber not found")
    again = ready(admin, admin.claims.get(v.id))
    assert (again.status, again.number) == ("ready", f"{v.id}R2")


def test_a_void_is_final_and_its_lines_do_not_move(admin: Services, c: Clinic,
                                                   pid: int) -> None:
    v = submitted(admin, ready(admin, admin.claims.create_primary(three_lines(admin, pid, c))))
    void = admin.claims.new_version(v.id, "8")
    with pytest.raises(UserError, match="lines cannot move"):
        admin.claims.move_lines(void.id, void.version, [void.lines[0].id])
    submitted(admin, ready(admin, void))
    with pytest.raises(UserError, match="A void is final"):
        admin.claims.new_version(void.id, "7")


def test_list_and_counts(admin: Services, c: Clinic, pid: int) -> None:
    a = admin.claims.create_primary(three_lines(admin, pid, c))
    b = admin.claims.create_primary(coded_visit(admin, pid, c, on=DOS - timedelta(days=1)))
    ready(admin, b)
    rows = admin.claims.search()
    assert [r.id for r in rows] == [b.id, a.id]
    assert rows[1].total == Decimal("282.00") and rows[1].lines == 3
    assert [r.id for r in admin.claims.search(status="ready")] == [b.id]
    assert admin.claims.status_counts() == {"draft": 1, "ready": 1}
    assert [r.id for r in admin.claims.search(text="doe")] == [b.id, a.id]
    assert [r.id for r in admin.claims.search(text=str(a.id))] == [a.id]
    assert admin.claims.count(status="draft") == 1


def test_billable_visits_are_those_without_a_primary_claim(admin: Services, c: Clinic,
                                                           pid: int) -> None:
    e1 = three_lines(admin, pid, c)
    e2 = coded_visit(admin, pid, c, on=DOS - timedelta(days=2))
    assert [r[0] for r in admin.claims.billable_encounters()] == [e2, e1]
    admin.claims.create_primary(e1)
    assert [r[0] for r in admin.claims.billable_encounters()] == [e2]


def test_claim_work_is_audited_without_patient_data(admin: Services, c: Clinic,
                                                    pid: int) -> None:
    v = admin.claims.create_primary(three_lines(admin, pid, c))
    admin.claims.get(v.id)
    v = admin.claims.update(v.id, v.version, replace(v.header, note="x"))
    src, _ = admin.claims.move_lines(v.id, v.version, [v.lines[0].id])
    admin.claims.scrub(src.id)
    r = ready(admin, src)
    admin.claims.mark_draft(r.id, r.version)
    admin.claims.for_patient(pid)
    with admin.db.session() as s:
        rows = list(s.scalars(select(AuditEvent).where(AuditEvent.action.like("claim.%"))))
    assert {r.action for r in rows} >= {"claim.create", "claim.view", "claim.update",
                                        "claim.move_lines", "claim.scrub", "claim.ready",
                                        "claim.draft", "claim.list"}
    assert all(r.patient_id == pid for r in rows)


def test_only_billers_and_admins_work_claims(admin: Services, c: Clinic, pid: int) -> None:
    eid = three_lines(admin, pid, c)
    for role, allowed in (("front_desk", False), ("coder", False), ("biller", True)):
        admin.users.sign_in(ADMIN, ADMIN_PASSWORD)
        name = f"{role.replace('_', '')}9"
        admin.users.sign_in(name, add_user(admin, name, role))
        if allowed:
            assert admin.claims.search() == []
        else:
            with pytest.raises(PermissionDenied):
                admin.claims.create_primary(eid)
