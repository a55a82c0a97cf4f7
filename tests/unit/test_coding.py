"""Coding an encounter (app.services.coding): charges from the fee schedule, code edits at
service level (validity on the DOS, sex, NCCI with and without bypass, MUE), posting and
correcting through the ledger, stale saves, bad data, the work queue and who may code."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app.errors import ConflictError, PermissionDenied, UserError, ValidationError
from app.formats.names import fold
from app.models import (
    AuditEvent,
    ChargeLine,
    CodeSetRelease,
    DiagnosisCode,
    Encounter,
    EncounterDiagnosis,
    FeeScheduleEntry,
    LedgerEntry,
    MueLimit,
    NcciEdit,
    Patient,
    ProcedureCode,
)
from app.services import Services
from app.services import coding as coding_module
from app.services.coding import CodingDraft, CodingService, LineDraft
from app.services.history import EncounterData
from app.services.ledger import LedgerService
from tests.conftest import ADMIN, ADMIN_PASSWORD, add_user

DOS = date(2024, 3, 1)
FEES = {("99213", ""): "100.00", ("99213", "25"): "120.00", ("20610", ""): "150.00",
        ("96372", ""): "0.35", ("36415", ""): "12.00", ("J1100", ""): "2.50"}


def _dx(release: CodeSetRelease, code: str, billable: bool = True, **kw: Any) -> DiagnosisCode:
    return DiagnosisCode(release_id=release.id, code=code, kind="code" if billable else
                         "category", description=f"Description of {code}", billable=billable,
                         **kw)


def seed_codes(sv: Services) -> None:
    """Two ICD-10-CM releases side by side (M54.5 was split into M54.50–M54.59 in FY2022),
    a few CPT/HCPCS codes and their fees."""
    with sv.db.session() as s:
        old = CodeSetRelease(system="icd10cm", version="FY2021", effective_from=date(2020, 10, 1),
                             effective_to=date(2021, 9, 30))
        new = CodeSetRelease(system="icd10cm", version="FY2022", effective_from=date(2021, 10, 1))
        s.add_all([old, new])
        s.flush()
        for rel in (old, new):
            s.add_all([_dx(rel, "E11", billable=False), _dx(rel, "E119"), _dx(rel, "I10"),
                       _dx(rel, "N400", sex="M", edit_rule="male-only"),
                       _dx(rel, "O80", sex="F", age_min=12, age_max=55, edit_rule="maternity")])
        s.add(_dx(old, "M545"))
        s.add(_dx(new, "M5450"))
        for code in ("99213", "20610", "96372", "36415"):
            s.add(ProcedureCode(system="cpt", code=code, short_description=f"Procedure {code}"))
        s.add(ProcedureCode(system="hcpcs", code="J1100", short_description="Dexamethasone 1mg",
                            is_drug=True))
        for (code, mod), fee in FEES.items():
            s.add(FeeScheduleEntry(code=code, modifier=mod, charge=Decimal(fee)))


def new_patient(sv: Services, n: int, last: str = "Coded", first: str = "Carl",
                sex: str = "M", dob: date = date(1970, 1, 1)) -> int:
    with sv.db.session() as s:
        p = Patient(mrn=f"M{n:07d}", last_name=last, first_name=first, dob=dob, sex=sex,
                    last_key=fold(last), first_key=fold(first))
        s.add(p)
        s.flush()
        return p.id


def new_encounter(sv: Services, pid: int, on: date = DOS) -> int:
    enc = sv.history.save(EncounterData(pid, on, reason="Follow-up"))
    assert enc.id is not None
    return enc.id


@pytest.fixture
def sv(admin: Services) -> Services:
    seed_codes(admin)
    return admin


@pytest.fixture
def coding(sv: Services) -> CodingService:
    return CodingService(sv.db, sv.ctx)


@pytest.fixture
def pid(sv: Services) -> int:
    return new_patient(sv, 1)


@pytest.fixture
def eid(sv: Services, pid: int) -> int:
    return new_encounter(sv, pid)


def visit(*lines: LineDraft, dx: tuple[str, ...] = ("E11.9", "I10")) -> CodingDraft:
    return CodingDraft(dx, lines or (LineDraft("99213", pointers="A"),))


def save(coding: CodingService, eid: int, draft: CodingDraft) -> Any:
    return coding.save(eid, coding.open(eid).version, draft)


def balance(sv: Services, pid: int) -> Decimal:
    return LedgerService(sv.db, sv.ctx).balance(pid)


def entries(sv: Services) -> list[LedgerEntry]:
    with sv.db.session() as s:
        return list(s.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))


def charge_lines(sv: Services) -> list[ChargeLine]:
    with sv.db.session() as s:
        return list(s.scalars(select(ChargeLine).order_by(ChargeLine.id)))


def events(sv: Services, action: str) -> list[AuditEvent]:
    with sv.db.session() as s:
        q = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        return list(s.scalars(q))


def sign_in_as(sv: Services, role: str) -> None:
    name = f"{role.replace('_', '')}1"
    sv.users.sign_in(ADMIN, ADMIN_PASSWORD)
    sv.users.sign_in(name, add_user(sv, name, role))


# --- saving and the ledger ---------------------------------------------------------------------
def test_saving_posts_a_charge_per_line_priced_from_the_fee_schedule(
        sv: Services, coding: CodingService, eid: int, pid: int) -> None:
    res = save(coding, eid, visit(LineDraft("99213", pointers="AB"),
                                  LineDraft("36415", units=Decimal(2), pointers="A")))
    assert res.status == "coded" and res.edits == ()
    assert [(r.kind, r.amount, r.code) for r in res.posted] == [
        ("charge", Decimal("100.00"), "99213"), ("charge", Decimal("24.00"), "36415")]
    assert res.reversed == ()
    assert balance(sv, pid) == Decimal("124.00")
    opened = coding.open(eid)
    assert [(d.letter, d.code, d.display) for d in opened.diagnoses] == [
        ("A", "E119", "E11.9"), ("B", "I10", "I10")]
    assert [(ln.line_no, ln.code, ln.units, ln.pointers, ln.charge) for ln in opened.lines] == [
        (1, "99213", Decimal(1), "AB", Decimal("100.00")),
        (2, "36415", Decimal(2), "A", Decimal("12.00") * 2)]
    assert opened.ledger_total == Decimal("124.00")
    assert (opened.status, opened.coded_by, opened.version) == ("coded", ADMIN, res.version)
    assert [ln.system for ln in charge_lines(sv)] == ["cpt", "cpt"]


def test_a_modifier_with_its_own_fee_prices_the_line(coding: CodingService, eid: int) -> None:
    res = save(coding, eid, visit(LineDraft("99213", ("25",), pointers="A")))
    assert [r.amount for r in res.posted] == [Decimal("120.00")]


def test_fee_times_units_rounds_half_up_to_the_cent(coding: CodingService, eid: int) -> None:
    # 0.35 × 1.5 = 0.525: half-up gives 0.53 (banker's rounding would give 0.52)
    pv = coding.preview(eid, visit(LineDraft("96372", units=Decimal("1.5"), pointers="A")))
    assert pv.charges == (Decimal("0.53"),)


def test_a_typed_charge_wins_and_no_fee_means_zero_and_an_edit(
        sv: Services, coding: CodingService, eid: int) -> None:
    with sv.db.session() as s:
        s.add(ProcedureCode(system="cpt", code="99999", short_description="Unlisted"))
    pv = coding.preview(eid, visit(LineDraft("99213", pointers="A", charge=Decimal("80.00")),
                                   LineDraft("99999", pointers="A")))
    assert pv.charges == (Decimal("80.00"), Decimal("0.00"))
    assert [(e.rule, e.where) for e in pv.edits] == [("charge-zero", "line 2")]
    res = save(coding, eid, visit(LineDraft("99999", pointers="A")))
    assert res.status == "review"
    assert [r.amount for r in res.posted] == [Decimal("0.00")]


def test_saving_it_again_unchanged_posts_nothing(sv: Services, coding: CodingService,
                                                 eid: int, pid: int) -> None:
    save(coding, eid, visit(LineDraft("99213", pointers="A"), LineDraft("36415", pointers="A")))
    before = [ln.id for ln in charge_lines(sv)]
    res = save(coding, eid, coding.open(eid).draft())
    assert (res.posted, res.reversed) == ((), ())
    assert [ln.id for ln in charge_lines(sv)] == before
    assert len(entries(sv)) == 2 and balance(sv, pid) == Decimal("112.00")


def test_a_changed_line_is_voided_reversed_and_reposted(sv: Services, coding: CodingService,
                                                        eid: int, pid: int) -> None:
    save(coding, eid, visit(LineDraft("99213", pointers="A"), LineDraft("36415", pointers="A")))
    opened = coding.open(eid)
    first, second = opened.draft().lines
    changed = replace(second, units=Decimal(3), charge=None)
    res = coding.save(eid, opened.version, replace(opened.draft(), lines=(first, changed)))
    assert [(r.kind, r.amount) for r in res.posted] == [("charge", Decimal("36.00"))]
    assert [(r.kind, r.amount) for r in res.reversed] == [("reversal", Decimal("-12.00"))]
    old = next(ln for ln in charge_lines(sv) if ln.id == second.line_id)
    assert old.voided_at is not None and old.voided_by == ADMIN
    assert old.replaced_by_id == res.posted[0].charge_line_id
    rev = next(e for e in entries(sv) if e.kind == "reversal")
    original = next(e for e in entries(sv) if e.charge_line_id == old.id and e.kind == "charge")
    assert (rev.reverses_id, rev.amount, rev.charge_line_id) == (
        original.id, -original.amount, old.id)
    assert balance(sv, pid) == Decimal("136.00")
    now = coding.open(eid)
    assert [(ln.code, ln.units) for ln in now.lines] == [("99213", 1), ("36415", 3)]
    assert now.lines[0].id == first.line_id  # the unchanged line stayed
    assert now.ledger_total == Decimal("136.00")


def test_a_pointer_change_also_voids_and_reposts(sv: Services, coding: CodingService,
                                                 eid: int, pid: int) -> None:
    save(coding, eid, visit(LineDraft("99213", pointers="A")))
    opened = coding.open(eid)
    line = replace(opened.draft().lines[0], pointers="B")
    res = coding.save(eid, opened.version, replace(opened.draft(), lines=(line,)))
    assert [r.amount for r in res.posted] == [Decimal("100.00")]
    assert [r.amount for r in res.reversed] == [Decimal("-100.00")]
    assert balance(sv, pid) == Decimal("100.00")
    assert coding.open(eid).lines[0].pointers == "B"


def test_reordering_unchanged_lines_only_renumbers_them(sv: Services, coding: CodingService,
                                                         eid: int) -> None:
    save(coding, eid, visit(LineDraft("99213", pointers="A"), LineDraft("36415", pointers="A")))
    opened = coding.open(eid)
    a, b = opened.draft().lines
    res = coding.save(eid, opened.version, replace(opened.draft(), lines=(b, a)))
    assert (res.posted, res.reversed) == ((), ())
    assert [(ln.id, ln.code) for ln in coding.open(eid).lines] == [
        (b.line_id, "36415"), (a.line_id, "99213")]


def test_removing_lines_reverses_their_charges(sv: Services, coding: CodingService, eid: int,
                                               pid: int) -> None:
    save(coding, eid, visit(LineDraft("99213", pointers="A"), LineDraft("36415", pointers="A")))
    opened = coding.open(eid)
    res = coding.save(eid, opened.version, replace(opened.draft(),
                                                   lines=opened.draft().lines[:1]))
    assert [(r.kind, r.amount, r.code) for r in res.reversed] == [
        ("reversal", Decimal("-12.00"), "36415")]
    assert balance(sv, pid) == Decimal("100.00")
    cleared = coding.save(eid, res.version, CodingDraft())
    assert cleared.status == "uncoded"
    assert balance(sv, pid) == Decimal("0.00")
    assert all(ln.voided_at is not None for ln in charge_lines(sv))
    enc = coding.open(eid)
    assert (enc.status, enc.coded_at, enc.diagnoses, enc.lines) == ("uncoded", None, (), ())


def test_save_is_audited_with_counts_but_no_codes(sv: Services, coding: CodingService,
                                                  eid: int, pid: int) -> None:
    save(coding, eid, visit(LineDraft("99213", pointers="A")))
    [ev] = events(sv, "coding.save")
    assert (ev.patient_id, ev.entity, ev.entity_id) == (pid, "encounter", str(eid))
    details = json.loads(ev.details)
    assert details == {"status": "coded", "diagnoses": 2, "lines": 1, "posted": 1,
                       "reversed": 0, "errors": 0, "warnings": 0}
    assert "99213" not in ev.details and "E119" not in ev.details
    assert [e.patient_id for e in events(sv, "coding.open")] == [pid]


def test_a_stale_version_is_refused_and_nothing_is_written(sv: Services, coding: CodingService,
                                                           eid: int) -> None:
    opened = coding.open(eid)
    coding.save(eid, opened.version, visit())
    written = (len(entries(sv)), len(charge_lines(sv)), len(events(sv, "coding.save")))
    with pytest.raises(ConflictError, match="coded or changed this encounter"):
        coding.save(eid, opened.version, visit(LineDraft("20610", pointers="A")))
    assert (len(entries(sv)), len(charge_lines(sv)), len(events(sv, "coding.save"))) == written
    assert [ln.code for ln in coding.open(eid).lines] == ["99213"]


def test_an_encounter_edited_in_the_chart_meanwhile_is_also_stale(
        sv: Services, coding: CodingService, eid: int, pid: int) -> None:
    opened = coding.open(eid)
    sv.history.save(EncounterData(pid, DOS, reason="Changed", id=eid, version=opened.version))
    with pytest.raises(ConflictError):
        coding.save(eid, opened.version, visit())
    assert entries(sv) == []


def test_preview_writes_nothing(sv: Services, coding: CodingService, eid: int) -> None:
    pv = coding.preview(eid, visit(LineDraft("99213", pointers="C")))
    assert [e.rule for e in pv.edits] == ["pointer-to-missing-diagnosis"]
    assert pv.errors == 1
    assert (entries(sv), charge_lines(sv)) == ([], [])
    with sv.db.session() as s:
        assert s.scalar(select(func.count(EncounterDiagnosis.id))) == 0
        assert s.get(Encounter, eid).coding_status == "uncoded"  # type: ignore[union-attr]


def test_a_coded_encounter_cannot_be_deleted_from_the_chart(sv: Services, coding: CodingService,
                                                            eid: int, pid: int) -> None:
    save(coding, eid, visit())
    enc = next(e for e in sv.history.open_chart(pid).encounters if e.id == eid)
    with pytest.raises(UserError, match="void its charge lines in the Coding tab"):
        sv.history.delete(enc)
    save(coding, eid, CodingDraft(("E11.9",), ()))  # every line voided: still billed once
    with pytest.raises(UserError, match="stays on the record"):
        sv.history.delete(enc)
    assert [e.id for e in sv.history.open_chart(pid).encounters] == [eid]
    assert balance(sv, pid) == Decimal("0.00") and len(entries(sv)) == 2


def test_an_encounter_with_diagnoses_only_is_deleted_with_them(
        sv: Services, coding: CodingService, eid: int, pid: int) -> None:
    save(coding, eid, CodingDraft(("E11.9", "I10"), ()))
    enc = next(e for e in sv.history.open_chart(pid).encounters if e.id == eid)
    sv.history.delete(enc)
    assert sv.history.open_chart(pid).encounters == []
    with sv.db.session() as s:
        assert s.scalar(select(func.count(EncounterDiagnosis.id))) == 0


def test_a_booked_visit_is_coded_only_once_it_has_happened(sv: Services, coding: CodingService,
                                                           pid: int) -> None:
    from datetime import timedelta

    ahead = new_encounter(sv, pid, on=date.today() + timedelta(days=3))
    with pytest.raises(ValidationError, match="code it once it has happened"):
        save(coding, ahead, visit())
    assert (entries(sv), charge_lines(sv)) == ([], [])


def test_missing_encounter_is_a_clear_error(coding: CodingService) -> None:
    with pytest.raises(UserError, match="no longer exists"):
        coding.open(999)


# --- bad data refuses the save -----------------------------------------------------------------
@pytest.mark.parametrize(("draft", "field"), [
    (visit(dx=("E99.9",)), "diagnosis A"),
    (visit(dx=("E11.9", "e119")), "diagnosis B"),
    (visit(dx=("E11.9", "")), "diagnosis B"),
    (visit(dx=("I10",) * 13), "diagnoses"),
    (visit(LineDraft("12345", pointers="A")), "line 1 code"),
    (visit(LineDraft("99213", ("25", "59", "XS", "RT", "LT"), pointers="A")), "line 1 modifiers"),
    (visit(LineDraft("99213", ("5",), pointers="A")), "line 1 modifiers"),
    (visit(LineDraft("99213", ("25", "25"), pointers="A")), "line 1 modifiers"),
    (visit(LineDraft("99213", units=Decimal(-1), pointers="A")), "line 1 units"),
    (visit(LineDraft("99213", units=1.0, pointers="A")), "line 1 units"),  # type: ignore[arg-type]
    (visit(LineDraft("99213", pointers="ABCDE")), "line 1 pointers"),
    (visit(LineDraft("99213", pointers="AM")), "line 1 pointers"),
    (visit(LineDraft("99213", pointers="AA")), "line 1 pointers"),
    (visit(LineDraft("99213", pointers="A", charge=Decimal("-5"))), "line 1 charge"),
    (visit(LineDraft("99213", pointers="A", charge=Decimal("1.005"))), "line 1 charge"),
    (visit(LineDraft("99213", units=Decimal("1E+30"), pointers="A")), "line 1 units"),
    (visit(LineDraft("99213", units=Decimal(100000), pointers="A")), "line 1 units"),
    (visit(LineDraft("99213", pointers="A", charge=Decimal("1E+30"))), "line 1 charge"),
    (visit(LineDraft("99213", pointers="A", charge=Decimal("1000000.00"))), "line 1 charge"),
    (visit(LineDraft("J1100", pointers="A", ndc="00409-4723-01", ndc_unit="ML",
                     ndc_quantity=Decimal("1E+40"))), "line 1 NDC quantity"),
    (visit(LineDraft("J1100", pointers="A", ndc="1234567890", ndc_unit="ML",
                     ndc_quantity=Decimal(1))), "line 1 NDC"),
    (visit(LineDraft("J1100", pointers="A", ndc="00409-4723-01", ndc_unit="XX",
                     ndc_quantity=Decimal(1))), "line 1 NDC unit"),
    (visit(LineDraft("J1100", pointers="A", ndc="00409-4723-01", ndc_unit="ML",
                     ndc_quantity=Decimal(0))), "line 1 NDC quantity"),
    (visit(LineDraft("J1100", pointers="A", ndc="00409-4723-01", ndc_unit="ML")),
     "line 1 NDC quantity"),
    (visit(LineDraft("J1100", pointers="A", ndc_unit="ML", ndc_quantity=Decimal(1))),
     "line 1 NDC"),
    (visit(LineDraft("99213", pointers="A", line_id=12345)), "line 1"),
])
def test_bad_data_is_refused_naming_the_field_and_nothing_is_written(
        sv: Services, coding: CodingService, eid: int, draft: CodingDraft, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        save(coding, eid, draft)
    assert field in err.value.problems
    assert (entries(sv), charge_lines(sv)) == ([], [])
    assert coding.preview(eid, draft).problems.keys() == err.value.problems.keys()


def test_the_largest_units_and_charge_are_accepted(sv: Services, coding: CodingService,
                                                   eid: int, pid: int) -> None:
    res = save(coding, eid, visit(LineDraft("96372", units=coding_module.MAX_UNITS, pointers="A"),
                                  LineDraft("99213", pointers="A",
                                            charge=coding_module.MAX_CHARGE)))
    assert [r.amount for r in res.posted] == [Decimal("34999.65"), Decimal("999999.99")]
    assert balance(sv, pid) == Decimal("1034999.64")


def test_fee_times_units_over_the_line_maximum_is_refused(sv: Services, coding: CodingService,
                                                          eid: int) -> None:
    with pytest.raises(ValidationError) as err:
        save(coding, eid, visit(LineDraft("99213", units=Decimal(10000), pointers="A")))
    assert "line 1 charge" in err.value.problems
    assert (entries(sv), charge_lines(sv)) == ([], [])


def test_ndc_printed_as_4_4_2_is_stored_as_11_digits(coding: CodingService, eid: int) -> None:
    res = save(coding, eid, visit(LineDraft("J1100", units=Decimal(4), pointers="A",
                                            ndc="0409-4723-01", ndc_unit="ml",
                                            ndc_quantity=Decimal("1.5"))))
    assert res.status == "coded"
    line = coding.open(eid).lines[0]
    assert (line.ndc, line.ndc_unit, line.ndc_quantity, line.charge) == (
        "00409472301", "ML", Decimal("1.5"), Decimal("10.00"))


def test_a_drug_code_without_ndc_saves_with_a_warning(coding: CodingService, eid: int) -> None:
    res = save(coding, eid, visit(LineDraft("J1100", pointers="A")))
    assert res.status == "coded"
    assert [(e.rule, e.severity) for e in res.edits] == [("ndc-missing", "warning")]


def test_codes_are_normalised(coding: CodingService, eid: int) -> None:
    save(coding, eid, visit(LineDraft(" j1100 ", (" 59 ", "rt"), pointers="a, b",
                                      ndc="00409-4723-01", ndc_unit="ML",
                                      ndc_quantity=Decimal(1)), dx=("e11.9", "i10")))
    opened = coding.open(eid)
    assert [d.code for d in opened.diagnoses] == ["E119", "I10"]
    assert [(ln.code, ln.modifiers, ln.pointers) for ln in opened.lines] == [
        ("J1100", ("59", "RT"), "AB")]


# --- code edits at service level ---------------------------------------------------------------
def test_header_code_needs_review_until_replaced(coding: CodingService, eid: int) -> None:
    res = save(coding, eid, visit(dx=("E11",)))
    assert res.status == "review"
    assert [(e.rule, e.where) for e in res.edits] == [("diagnosis-header", "diagnosis A")]
    assert save(coding, eid, visit(dx=("E11.9",))).status == "coded"


def test_validity_follows_the_release_in_force_on_the_dos(sv: Services, coding: CodingService,
                                                           pid: int) -> None:
    in_2021 = new_encounter(sv, pid, date(2021, 3, 1))
    in_2024 = new_encounter(sv, pid, DOS)
    assert save(coding, in_2021, visit(dx=("M54.5",))).status == "coded"
    late = save(coding, in_2024, visit(dx=("M54.5",)))
    assert late.status == "review"
    [edit] = late.edits
    assert edit.rule == "diagnosis-not-valid-on-dos" and "FY2022" in edit.message
    early = coding.preview(in_2021, visit(dx=("M54.50",)))
    assert [e.rule for e in early.edits] == ["diagnosis-not-valid-on-dos"]
    assert "FY2021" in early.edits[0].message


def test_a_dos_before_every_release_warns_which_release_was_used(
        sv: Services, coding: CodingService, pid: int) -> None:
    old = new_encounter(sv, pid, date(2019, 6, 1))
    res = save(coding, old, visit())
    assert res.status == "coded"
    [edit] = res.edits
    assert (edit.rule, edit.severity) == ("icd-release-missing", "warning")
    assert "FY2022" in edit.message


def test_sex_conflict_from_the_patient_record(sv: Services, coding: CodingService) -> None:
    her = new_encounter(sv, new_patient(sv, 2, "Other", "Olga", sex="F", dob=date(1990, 5, 5)))
    him = new_encounter(sv, new_patient(sv, 3, "Male", "Mo", sex="M", dob=date(1990, 5, 5)))
    assert [e.rule for e in coding.preview(her, visit(dx=("N40.0",))).edits] == ["diagnosis-sex"]
    assert coding.preview(him, visit(dx=("N40.0",))).edits == ()
    assert coding.preview(her, visit(dx=("O80",))).edits == ()
    assert [e.rule for e in coding.preview(him, visit(dx=("O80",))).edits] == ["diagnosis-sex"]


def test_age_conflict_uses_the_age_on_the_dos(sv: Services, coding: CodingService) -> None:
    # 55 on the DOS is in range; the same patient a year later (56) is not.
    who = new_patient(sv, 4, "Mother", "May", sex="F", dob=date(1968, 3, 1))
    at_56 = new_encounter(sv, who, date(2024, 3, 1))
    at_55 = new_encounter(sv, who, date(2024, 2, 29))
    assert coding.preview(at_55, visit(dx=("O80",))).edits == ()
    assert [e.rule for e in coding.preview(at_56, visit(dx=("O80",))).edits] == ["diagnosis-age"]


def add_ncci(sv: Services, indicator: str, one: str = "20610", two: str = "99213",
             since: date = date(2024, 1, 1), until: date | None = None) -> None:
    with sv.db.session() as s:
        s.add(NcciEdit(column1=one, column2=two, effective_from=since, effective_to=until,
                       modifier_indicator=indicator, rationale="Standards of medical practice"))


def test_ncci_pair_blocks_without_a_bypass_modifier(sv: Services, coding: CodingService,
                                                     eid: int) -> None:
    add_ncci(sv, "1")
    res = save(coding, eid, visit(LineDraft("20610", pointers="A"),
                                  LineDraft("99213", pointers="A")))
    assert res.status == "review"
    [edit] = res.edits
    assert (edit.rule, edit.where, edit.source) == (
        "ncci-ptp", "line 2", "CMS NCCI PTP edits, effective 2024-01-01")


@pytest.mark.parametrize("modifier", ["25", "59", "XU"])
def test_ncci_pair_passes_with_a_bypass_modifier(sv: Services, coding: CodingService, eid: int,
                                                 modifier: str) -> None:
    add_ncci(sv, "1")
    res = save(coding, eid, visit(LineDraft("20610", pointers="A"),
                                  LineDraft("99213", (modifier,), pointers="A")))
    assert (res.status, res.edits) == ("coded", ())


def test_ncci_indicator_0_blocks_even_with_a_modifier(sv: Services, coding: CodingService,
                                                      eid: int) -> None:
    add_ncci(sv, "0")
    res = save(coding, eid, visit(LineDraft("20610", pointers="A"),
                                  LineDraft("99213", ("59",), pointers="A")))
    assert [e.rule for e in res.edits] == ["ncci-ptp"]


def test_ncci_pair_out_of_force_on_the_dos_does_not_fire(sv: Services, coding: CodingService,
                                                         eid: int) -> None:
    add_ncci(sv, "0", since=date(2020, 1, 1), until=date(2023, 12, 31))
    add_ncci(sv, "0", one="99213", two="36415", since=date(2024, 4, 1))
    res = save(coding, eid, visit(LineDraft("20610", pointers="A"),
                                  LineDraft("99213", pointers="A"),
                                  LineDraft("36415", pointers="A")))
    assert (res.status, res.edits) == ("coded", ())


def test_mue_limit(sv: Services, coding: CodingService, eid: int) -> None:
    with sv.db.session() as s:
        s.add(MueLimit(code="96372", max_units=2, effective_from=date(2024, 1, 1)))
    over = coding.preview(eid, visit(LineDraft("96372", units=Decimal(3), pointers="A")))
    assert [e.rule for e in over.edits] == ["mue"]
    ok = coding.preview(eid, visit(LineDraft("96372", units=Decimal(2), pointers="A")))
    assert ok.edits == ()


def test_open_rechecks_saved_coding_against_edits_loaded_later(
        sv: Services, coding: CodingService, eid: int) -> None:
    save(coding, eid, visit(LineDraft("20610", pointers="A"), LineDraft("99213", pointers="A")))
    assert coding.open(eid).edits == ()
    add_ncci(sv, "1")
    assert [e.rule for e in coding.open(eid).edits] == ["ncci-ptp"]


# --- the work queue ----------------------------------------------------------------------------
@pytest.fixture
def queue(sv: Services, coding: CodingService) -> dict[str, int]:
    a = new_patient(sv, 10, "Alpha", "Ann")
    b = new_patient(sv, 11, "Bravo", "Bob")
    ids = {
        "a_coded_old": new_encounter(sv, a, date(2024, 1, 5)),
        "b_uncoded_new": new_encounter(sv, b, date(2024, 2, 20)),
        "a_review": new_encounter(sv, a, date(2024, 2, 1)),
        "b_coded_new": new_encounter(sv, b, date(2024, 2, 10)),
        "a_uncoded_old": new_encounter(sv, a, date(2024, 1, 15)),
        "b_review_old": new_encounter(sv, b, date(2023, 12, 1)),
    }
    for key in ("a_coded_old", "b_coded_new"):
        save(coding, ids[key], visit(LineDraft("99213", pointers="A"),
                                     LineDraft("36415", pointers="A")))
    for key in ("a_review", "b_review_old"):
        save(coding, ids[key], visit(dx=("E11",)))
    return ids


ORDER = ["a_uncoded_old", "b_uncoded_new", "b_review_old", "a_review", "a_coded_old",
         "b_coded_new"]


def test_queue_lists_uncoded_then_review_then_coded_oldest_first(
        coding: CodingService, queue: dict[str, int]) -> None:
    rows = coding.work_queue()
    assert [r.encounter_id for r in rows] == [queue[k] for k in ORDER]
    assert [r.status for r in rows] == ["uncoded"] * 2 + ["review"] * 2 + ["coded"] * 2
    coded = rows[4]
    assert (coded.patient_name, coded.mrn, coded.lines, coded.total_charge) == (
        "Alpha, Ann", "M0000010", 2, Decimal("112.00"))
    assert rows[0].lines == 0 and rows[0].total_charge == Decimal("0.00")
    assert coding.queue_count() == 6


@pytest.mark.parametrize(("offset", "limit"), [(0, 1), (1, 2), (2, 2), (3, 3), (1, 4), (5, 5),
                                               (6, 3), (0, 100)])
def test_queue_pages_across_the_status_boundaries(coding: CodingService, queue: dict[str, int],
                                                   offset: int, limit: int) -> None:
    page = coding.work_queue(offset=offset, limit=limit)
    assert [r.encounter_id for r in page] == [queue[k] for k in ORDER][offset:offset + limit]


def test_queue_filters_by_status_and_patient(coding: CodingService,
                                             queue: dict[str, int]) -> None:
    assert [r.encounter_id for r in coding.work_queue("review")] == [
        queue["b_review_old"], queue["a_review"]]
    assert coding.queue_count("coded") == 2
    assert [r.encounter_id for r in coding.work_queue(text="bravo")] == [
        queue[k] for k in ORDER if k.startswith("b_")]
    assert coding.queue_count("uncoded", "alpha ann") == 1
    assert coding.work_queue(text="M0000011", status="coded")[0].encounter_id == queue[
        "b_coded_new"]
    assert coding.work_queue(text="nobody") == [] and coding.queue_count(text="nobody") == 0
    with pytest.raises(UserError):
        coding.work_queue("finished")


def test_queue_filter_gives_the_same_answer_for_many_matching_patients(
        coding: CodingService, queue: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    few = {st: [r.encounter_id for r in coding.work_queue(st, text="a")]
           for st in (None, "uncoded", "review", "coded")}
    counts = {st: coding.queue_count(st, "a") for st in (None, "uncoded", "review", "coded")}
    # Past the threshold the filter walks the status index instead (a letter or two typed).
    monkeypatch.setattr(coding_module, "_FEW_PATIENTS", 0)
    assert {st: [r.encounter_id for r in coding.work_queue(st, text="a")] for st in few} == few
    assert {st: coding.queue_count(st, "a") for st in counts} == counts
    assert few[None] == [queue[k] for k in ORDER if k.startswith("a_")]
    assert counts == {None: 3, "uncoded": 1, "review": 1, "coded": 1}
    assert [r.encounter_id for r in coding.work_queue(text="a", offset=2)] == [
        queue["a_coded_old"]]


# --- who may do what ---------------------------------------------------------------------------
def test_front_desk_may_look_but_not_code(sv: Services, eid: int) -> None:
    sign_in_as(sv, "front_desk")
    coding = CodingService(sv.db, sv.ctx)
    opened = coding.open(eid)
    with pytest.raises(PermissionDenied):
        coding.save(eid, opened.version, visit())
    assert (entries(sv), charge_lines(sv)) == ([], [])
    with pytest.raises(PermissionDenied):
        LedgerService(sv.db, sv.ctx).balance(opened.patient_id)


@pytest.mark.parametrize("role", ["coder", "biller"])
def test_coders_and_billers_may_code(sv: Services, eid: int, role: str) -> None:
    sign_in_as(sv, role)
    coding = CodingService(sv.db, sv.ctx)
    assert save(coding, eid, visit()).status == "coded"
    assert charge_lines(sv)[0].created_by == f"{role}1"
