"""Day close (app.services.day_close): the day sheet of the entries dated that day, by account
number and never by name; closing keeps the sheet as printed and locks the day, so that entries
posted afterwards are dated the next day; a closed or future day cannot be closed."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.errors import PermissionDenied, UserError
from app.models import AuditEvent, DayClose, LedgerEntry, PatientPayment
from app.services import Services
from app.services.day_close import DayCloseService
from app.services.ledger import posting_date
from app.services.payments import EobClaim, EobData, EobLine, PaymentService
from tests.unit.claim_fixtures import Clinic, clinic
from tests.unit.test_coding import sign_in_as
from tests.unit.test_payments import line_ids, self_pay
from tests.unit.test_remittances import sent

D = Decimal
TODAY = date.today()


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


@pytest.fixture
def pay(admin: Services) -> PaymentService:
    return PaymentService(admin.db, admin.ctx)


@pytest.fixture
def days(admin: Services) -> DayCloseService:
    return DayCloseService(admin.db, admin.ctx)


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)


def test_the_day_sheet_lists_the_days_entries_by_account_number_with_totals(
        admin: Services, c: Clinic, pay: PaymentService, days: DayCloseService,
        tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)  # patient DoeA, M0000001
    pay.post_eob(EobData(c.payer_id, "5001", TODAY, D("60.00"), (EobClaim(v.id, lines=(
        EobLine(v.lines[0].id, None, D("60.00"), (("CO", "45", D(20)), ("PR", "2", D(20)))),
    )),)))
    pid = self_pay(admin, c, 2, (3, ("36415",)))  # patient PayerB, M0000002
    pay.take_payment(pid, D("20.00"), "card", "4242")
    sheet = days.day_sheet(TODAY)
    got = [(e.kind, e.patient_account, e.description, e.amount) for e in sheet.entries]
    dos = v.lines[0].dos
    lab_dos = TODAY - timedelta(days=3)
    assert got == [
        ("charge", "M0000001", f"99213 DOS {dos:%m/%d/%Y}; billed to Acme Health", D("100.00")),
        ("insurance_payment", "M0000001",
         f"99213 DOS {dos:%m/%d/%Y}; paid by Acme Health, check 5001", D("-60.00")),
        ("adjustment", "M0000001",
         f"99213 DOS {dos:%m/%d/%Y}; Acme Health CO-45, check 5001", D("-20.00")),
        ("transfer", "M0000001", f"99213 DOS {dos:%m/%d/%Y}; from Acme Health PR-2",
         D("-20.00")),
        ("transfer", "M0000001", f"99213 DOS {dos:%m/%d/%Y}; to patient PR-2", D("20.00")),
        ("charge", "M0000002", f"36415 DOS {lab_dos:%m/%d/%Y}; billed to patient", D("12.00")),
        ("patient_payment", "M0000002", f"36415 DOS {lab_dos:%m/%d/%Y}; card ending 4242",
         D("-12.00")),
        ("patient_payment", "M0000002", "account; card ending 4242", D("-8.00")),
    ]
    assert {e.user for e in sheet.entries} == {"admin"}
    assert sheet.net_total == D("12.00")  # 112.00 charged − 60.00 − 20.00 − 20.00 paid
    assert sheet.totals_by_kind["patient_payment"] == D("-20.00")
    assert (sheet.clinic_name, sheet.day, sheet.printed_by) == ("Maple Family Practice", TODAY,
                                                                "Alex Admin")
    assert days.day_sheet(TODAY - timedelta(days=1)).entries == ()
    words = " ".join(e.description for e in sheet.entries)
    assert "DoeA" not in words and "PayerB" not in words and "Jane" not in words


def test_closing_a_day_keeps_its_sheet_and_dates_later_entries_the_next_day(
        admin: Services, c: Clinic, pay: PaymentService, days: DayCloseService) -> None:
    pid = self_pay(admin, c, 1, (3, ("99213",)))
    pay.take_payment(pid, D("30.00"), "check", "1001")
    pdf = days.close_day(TODAY)
    assert pdf[:5] == b"%PDF-"
    text = pdf_text(pdf)
    assert "M0000001" in text and "PayerA" not in text and "Jane" not in text
    assert "70.00" in text  # the day's net change: 100.00 charged, 30.00 paid
    (closed,) = days.closed_days()
    assert (closed.day, closed.entries, closed.total, closed.closed_by) == (
        TODAY, 2, D("70.00"), "admin")
    # After the close, new entries land on the next day and today's sheet never changes.
    r = pay.take_payment(pid, D("10.00"), "cash")
    with admin.db.session() as s:
        assert posting_date(s) == TODAY + timedelta(days=1)
        e = s.scalars(select(LedgerEntry).where(LedgerEntry.patient_payment_id ==
                                                r.payment_id)).one()
        pp = s.get(PatientPayment, r.payment_id)
    assert e.entry_date == TODAY + timedelta(days=1) and pp is not None
    assert pp.received_on == TODAY + timedelta(days=1)
    assert len(days.day_sheet(TODAY).entries) == 2
    assert [x.amount for x in days.day_sheet(TODAY + timedelta(days=1)).entries] == [D("-10.00")]
    assert days.sheet(TODAY) == pdf  # a reprint is the sheet as printed
    with admin.db.session() as s:
        acts = list(s.scalars(select(AuditEvent.action)))
    assert "day.close" in acts and "day_sheet.reprint" in acts


def test_a_closed_day_or_a_future_day_cannot_be_closed(
        admin: Services, c: Clinic, days: DayCloseService) -> None:
    days.close_day(TODAY - timedelta(days=1))  # a day with no entries closes too
    with pytest.raises(UserError, match="already closed by admin"):
        days.close_day(TODAY - timedelta(days=1))
    with pytest.raises(UserError, match="has not happened yet"):
        days.close_day(TODAY + timedelta(days=1))
    with pytest.raises(UserError, match="is not closed"):
        days.sheet(TODAY)
    with admin.db.session() as s:
        assert [d.day for d in s.scalars(select(DayClose))] == [TODAY - timedelta(days=1)]
        assert posting_date(s) == TODAY  # closing yesterday leaves today open


def test_only_a_role_allowed_to_close_the_day_does_it(
        admin: Services, c: Clinic, pay: PaymentService, days: DayCloseService) -> None:
    pid = self_pay(admin, c, 1, (3, ("99213",)))
    sign_in_as(admin, "front_desk")
    pay.take_payment(pid, D("5.00"), "cash", apply=[(line_ids(admin, pid)[0], D("5.00"))])
    for call in (lambda: days.close_day(TODAY), lambda: days.day_sheet(TODAY),
                 days.closed_days):
        with pytest.raises(PermissionDenied):
            call()
    sign_in_as(admin, "biller")
    days.close_day(TODAY)
    (closed,) = days.closed_days()
    assert (closed.entries, closed.total, closed.closed_by) == (2, D("95.00"), "biller1")


def test_the_database_refuses_an_entry_dated_on_a_closed_day(admin: Services) -> None:
    """Whatever the caller: the trigger of migration 0009, not only the services' dating."""
    from sqlalchemy.exc import DBAPIError

    from tests.unit.claim_fixtures import patient

    pid = patient(admin, 1)
    admin.day_close.close_day(date.today())
    with pytest.raises(DBAPIError, match="that day is closed"), admin.db.session() as s:
        s.add(LedgerEntry(patient_id=pid, kind="patient_payment", amount=Decimal("-1.00"),
                          entry_date=date.today(), posted_by="x"))
        s.flush()
