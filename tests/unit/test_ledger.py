"""The append-only ledger (app.services.ledger): charges posted and reversed, balances, the
database triggers that refuse edits and deletes (but let a merge move entries), who may
see it."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from app.errors import PermissionDenied, UserError
from app.formats.names import fold
from app.models import AuditEvent, ChargeLine, LedgerEntry, Patient
from app.services import Services
from app.services.coding import CodingDraft, CodingService, LineDraft
from app.services.history import EncounterData
from app.services.ledger import LedgerService, live_charge, post_charge, reverse
from tests.conftest import ADMIN, ADMIN_PASSWORD, add_user
from tests.unit._support import raw_sql
from tests.unit.test_coding import seed_codes

DOS = date(2024, 3, 1)


def new_patient(sv: Services, n: int, last: str) -> int:
    with sv.db.session() as s:
        p = Patient(mrn=f"M{n:07d}", last_name=last, first_name="Lee", dob=date(1980, 2, 2),
                    sex="F", last_key=fold(last), first_key="lee")
        s.add(p)
        s.flush()
        return p.id


def new_line(sv: Services, pid: int, charge: str, code: str = "99213") -> int:
    """An encounter with one charge line, written directly (no code set needed)."""
    enc = sv.history.save(EncounterData(pid, DOS))
    with sv.db.session() as s:
        line = ChargeLine(encounter_id=enc.id, patient_id=pid, line_no=1, dos=DOS,
                          system="cpt", code=code, units=Decimal(1), pointers="A",
                          charge=Decimal(charge))
        s.add(line)
        s.flush()
        return line.id


def post(sv: Services, line_id: int) -> int:
    user = sv.ctx.user
    assert user is not None
    with sv.db.session() as s:
        line = s.get(ChargeLine, line_id)
        assert line is not None
        return post_charge(s, user, line).id


def undo(sv: Services, entry_id: int, memo: str = "Entered in error") -> int:
    user = sv.ctx.user
    assert user is not None
    with sv.db.session() as s:
        entry = s.get(LedgerEntry, entry_id)
        assert entry is not None
        return reverse(s, user, entry, memo).id


def all_entries(sv: Services) -> list[LedgerEntry]:
    with sv.db.session() as s:
        return list(s.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))


@pytest.fixture
def ledger(admin: Services) -> LedgerService:
    return LedgerService(admin.db, admin.ctx)


@pytest.fixture
def pid(admin: Services) -> int:
    return new_patient(admin, 1, "Ledger")


def test_a_posted_charge_counts_and_its_reversal_cancels_it(admin: Services,
                                                            ledger: LedgerService,
                                                            pid: int) -> None:
    first = post(admin, new_line(admin, pid, "100.00"))
    second = post(admin, new_line(admin, pid, "35.50"))
    assert ledger.balance(pid) == Decimal("135.50")
    rev = undo(admin, first)
    assert ledger.balance(pid) == Decimal("35.50")
    rows = ledger.entries(pid)
    assert [(r.id, r.kind, r.amount, r.reverses_id, r.reversed_by_id) for r in rows] == [
        (first, "charge", Decimal("100.00"), None, rev),
        (second, "charge", Decimal("35.50"), None, None),
        (rev, "reversal", Decimal("-100.00"), first, None)]
    assert {r.code for r in rows} == {"99213"}
    assert rows[2].memo == "Entered in error" and rows[2].posted_by == ADMIN
    assert rows[2].entry_date == date.today()  # the day it was posted, not the DOS
    assert rows[2].charge_line_id == rows[0].charge_line_id


def test_encounter_total(admin: Services, ledger: LedgerService, pid: int) -> None:
    line = new_line(admin, pid, "80.00")
    post(admin, new_line(admin, pid, "20.00"))
    entry = post(admin, line)
    with admin.db.session() as s:
        enc = s.get(ChargeLine, line).encounter_id  # type: ignore[union-attr]
        assert live_charge(s, line).id == entry  # type: ignore[union-attr]
    assert ledger.encounter_total(enc) == Decimal("80.00")
    undo(admin, entry)
    assert ledger.encounter_total(enc) == Decimal("0.00")
    with admin.db.session() as s:
        assert live_charge(s, line) is None
    assert ledger.balance(pid) == Decimal("20.00")


def test_encounter_entries_are_only_that_encounters_and_audited(
        admin: Services, ledger: LedgerService, pid: int) -> None:
    line = new_line(admin, pid, "80.00")
    post(admin, new_line(admin, pid, "20.00"))  # another encounter of the same patient
    entry = post(admin, line)
    undo(admin, entry)
    with admin.db.session() as s:
        enc = s.get(ChargeLine, line).encounter_id  # type: ignore[union-attr]
    rows = ledger.encounter_entries(enc)
    assert [r.amount for r in rows] == [Decimal("80.00"), Decimal("-80.00")]
    with admin.db.session() as s:
        [ev] = s.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.view")).all()
        assert (ev.patient_id, ev.entity, json.loads(ev.details)) == (
            pid, "encounter", {"entries": 2})
    with pytest.raises(UserError, match="no longer exists"):
        ledger.encounter_entries(9999)


def test_an_entry_is_reversed_once_and_a_reversal_never(admin: Services, ledger: LedgerService,
                                                        pid: int) -> None:
    entry = post(admin, new_line(admin, pid, "60.00"))
    rev = undo(admin, entry)
    with pytest.raises(UserError, match="already reversed"):
        undo(admin, entry)
    with pytest.raises(UserError, match="cannot be reversed"):
        undo(admin, rev)
    assert len(all_entries(admin)) == 2
    assert ledger.balance(pid) == Decimal("0.00")


def test_viewing_the_ledger_is_audited(admin: Services, ledger: LedgerService, pid: int) -> None:
    post(admin, new_line(admin, pid, "10.00"))
    ledger.entries(pid)
    with admin.db.session() as s:
        [ev] = s.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.view")).all()
        assert (ev.patient_id, json.loads(ev.details)) == (pid, {"entries": 1})
    with pytest.raises(UserError, match="no longer exists"):
        ledger.entries(9999)


def test_an_empty_account_has_a_zero_balance(ledger: LedgerService, pid: int) -> None:
    assert ledger.balance(pid) == Decimal("0.00")
    assert ledger.entries(pid) == []


def test_looking_at_a_balance_is_audited(admin: Services, ledger: LedgerService,
                                         pid: int) -> None:
    enc = admin.history.save(EncounterData(pid, date(2024, 5, 1)))
    assert enc.id is not None
    ledger.balance(pid)
    ledger.encounter_total(enc.id)
    with admin.db.session() as s:
        seen = [(ev.entity, ev.entity_id, ev.patient_id) for ev in s.scalars(
            select(AuditEvent).where(AuditEvent.action == "ledger.balance")
            .order_by(AuditEvent.seq))]
    assert seen == [("patient", str(pid), pid), ("encounter", str(enc.id), pid)]
    with pytest.raises(UserError, match="no longer exists"):
        ledger.balance(9999)
    with pytest.raises(UserError, match="no longer exists"):
        ledger.encounter_total(9999)


# --- the triggers ------------------------------------------------------------------------------
@pytest.mark.parametrize("sql", [
    "UPDATE ledger_entry SET amount = 1",
    "UPDATE ledger_entry SET kind = 'payment'",
    "UPDATE ledger_entry SET entry_date = '2020-01-01'",
    "UPDATE ledger_entry SET memo = 'changed'",
    "UPDATE ledger_entry SET reverses_id = NULL",
    "DELETE FROM ledger_entry",
])
def test_the_database_refuses_to_change_or_delete_an_entry(admin: Services, pid: int,
                                                           sql: str) -> None:
    undo(admin, post(admin, new_line(admin, pid, "42.00")))
    before = [(e.kind, e.amount, e.memo, e.reverses_id) for e in all_entries(admin)]
    with pytest.raises(DBAPIError, match="append-only"):
        raw_sql(admin.db.path, sql)
    assert [(e.kind, e.amount, e.memo, e.reverses_id) for e in all_entries(admin)] == before


def test_the_database_lets_the_patient_of_an_entry_move(admin: Services, pid: int) -> None:
    entry = post(admin, new_line(admin, pid, "42.00"))
    other = new_patient(admin, 2, "Other")
    raw_sql(admin.db.path, "PRAGMA foreign_keys = ON",
            f"UPDATE ledger_entry SET patient_id = {other} WHERE id = {entry}")
    assert [e.patient_id for e in all_entries(admin)] == [other]


# --- merge ---------------------------------------------------------------------------------------
def test_merging_patients_moves_their_ledger_and_the_balance_is_the_sum(admin: Services) -> None:
    seed_codes(admin)
    coding = CodingService(admin.db, admin.ctx)
    keep = new_patient(admin, 1, "Keeper")
    dup = new_patient(admin, 2, "Kepper")
    for who, units in ((keep, 1), (dup, 2)):
        enc = admin.history.save(EncounterData(who, DOS)).id
        assert enc is not None
        coding.save(enc, coding.open(enc).version, CodingDraft(
            ("I10",), (LineDraft("99213", pointers="A"),
                       LineDraft("36415", units=Decimal(units), pointers="A"))))
    ledger = LedgerService(admin.db, admin.ctx)
    assert (ledger.balance(keep), ledger.balance(dup)) == (Decimal("112.00"), Decimal("124.00"))
    admin.patients.merge(keep, dup)
    assert ledger.balance(keep) == Decimal("236.00")
    assert ledger.balance(dup) == Decimal("0.00")
    assert {r.patient_id for r in ledger.entries(keep)} == {keep}
    assert len(ledger.entries(keep)) == 4


# --- who may see it ------------------------------------------------------------------------------
def sign_in_as(sv: Services, role: str) -> None:
    name = f"{role.replace('_', '')}1"
    sv.users.sign_in(ADMIN, ADMIN_PASSWORD)
    sv.users.sign_in(name, add_user(sv, name, role))


def test_front_desk_may_not_see_the_ledger(admin: Services, pid: int) -> None:
    post(admin, new_line(admin, pid, "10.00"))
    sign_in_as(admin, "front_desk")
    ledger = LedgerService(admin.db, admin.ctx)
    for call in (lambda: ledger.entries(pid), lambda: ledger.balance(pid),
                 lambda: ledger.encounter_total(1)):
        with pytest.raises(PermissionDenied):
            call()


@pytest.mark.parametrize("role", ["coder", "biller"])
def test_coders_and_billers_see_the_ledger(admin: Services, pid: int, role: str) -> None:
    post(admin, new_line(admin, pid, "10.00"))
    sign_in_as(admin, role)
    assert LedgerService(admin.db, admin.ctx).balance(pid) == Decimal("10.00")
