"""Follow-up work queues (app.services.followup): each queue on fixed dates (unpaid after N
days, timely filing running out, denials by category, underpayments, rejections), refresh
raising no duplicates and closing items whose cause went away, updating and assigning items
with their checks, the audited lists, and who may work them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import PermissionDenied, UserError, ValidationError
from app.formats.x12.x835 import ClaimPayment, Remittance
from app.formats.x12.x835_write import build_835
from app.models import AuditEvent, Claim, ContractRate, Payer, ServiceLine, WorkItem
from app.services import Services
from app.services.claims import ClaimView
from app.services.followup import QUEUES, WorkQueueService
from app.services.submissions import reject
from tests.conftest import add_user
from tests.unit.claim_fixtures import Clinic, clinic, coded_visit, cover, patient
from tests.unit.test_coding import sign_in_as
from tests.unit.test_remittances import ENV, clp, sent, svc


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


@pytest.fixture
def wq(admin: Services) -> WorkQueueService:
    return WorkQueueService(admin.db, admin.ctx)


def era(*claims: ClaimPayment, trace: str = "CHK100") -> bytes:
    """An 835 from Acme Health paying these claims (the payer's address and phone given)."""
    r = Remittance(handling="I", total_paid=sum((cl.paid for cl in claims), D(0)),
                   credit_debit="C", method="ACH", paid_on=date(2026, 11, 20),
                   trace_number=trace, trace_payer_id="1999999999", payer_name="ACME HEALTH",
                   payer_id="ACME1", payer_street="PO BOX 100", payer_city="CHICAGO",
                   payer_state="IL", payer_zip="606011000", payer_phone="8005550101",
                   payee_name="MAPLE FAMILY PRACTICE", payee_npi="1234567893", claims=claims)
    return build_835([r], ENV).encode()


def submitted_on(sv: Services, claim_id: int, day: date) -> None:
    with sv.db.session() as s:
        claim = s.get(Claim, claim_id)
        assert claim is not None
        claim.submitted_on = day


def items(sv: Services, reason: str) -> list[WorkItem]:
    with sv.db.session() as s:
        found = list(s.scalars(select(WorkItem).where(WorkItem.reason == reason)
                               .order_by(WorkItem.id)))
        s.expunge_all()
        return found


def pay_in_full(sv: Services, v: ClaimView, trace: str = "CHK100") -> None:
    data = era(clp(v, "1", str(v.total), *(svc(ln, str(ln.charge)) for ln in v.lines)),
               trace=trace)
    sv.remittances.import_835(data, f"{trace}.835")


def deny(sv: Services, v: ClaimView, carc: str = "50") -> None:
    (office,) = v.lines
    sv.remittances.import_835(era(clp(v, "4", "0.00", svc(office, "0.00",
                                                          ("CO", carc, str(office.charge)))),
                                  trace=f"DENY{v.id}"), "deny.835")


# --- unpaid ------------------------------------------------------------------------------------
def test_a_claim_with_no_answer_after_the_setting_days_is_queued_as_unpaid(
        admin: Services, c: Clinic, wq: WorkQueueService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    submitted_on(admin, v.id, date(2026, 3, 2))
    assert wq.refresh(date(2026, 3, 31))["unpaid"] == 0  # 29 days: not yet
    assert wq.refresh(date(2026, 4, 1))["unpaid"] == 1  # 30 days (the default)
    (row,) = wq.items("unpaid")
    assert (row.queue, row.reason, row.claim_id, row.claim_number) == ("unpaid", "unpaid",
                                                                         v.id, v.number)
    assert (row.patient_name, row.mrn, row.payer_name) == ("DoeA, Jane", "M0000001",
                                                            "Acme Health")
    assert row.amount == v.total  # all of it is still with the payer
    assert row.due_on == date(2026, 4, 8) and row.state == "open" and row.age_days == 0
    assert "03/02/2026" in row.detail and "30 days" in row.detail and row.next_action
    assert wq.items("unpaid", payer_id=c.other_payer_id) == []
    assert wq.counts()["unpaid"] == 1


def test_refresh_is_idempotent_and_closes_the_item_once_the_claim_is_paid(
        admin: Services, c: Clinic, wq: WorkQueueService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    submitted_on(admin, v.id, date(2026, 3, 2))
    assert wq.refresh(date(2026, 5, 1)) == {"unpaid": 1, "timely_filing": 0, "promises": 0,
                                            "plans_late": 0, "closed": 0}
    assert wq.refresh(date(2026, 5, 2)) == {"unpaid": 0, "timely_filing": 0, "promises": 0,
                                            "plans_late": 0, "closed": 0}
    assert len(items(admin, "unpaid")) == 1
    pay_in_full(admin, v)
    assert wq.refresh(date(2026, 5, 3))["closed"] == 1
    (item,) = items(admin, "unpaid")
    assert (item.state, item.closed_by) == ("done", "system")
    assert "Closed: the payer answered (the claim is paid now)" in item.note
    assert wq.items("unpaid") == [] and len(wq.items("unpaid", state="done")) == 1
    assert wq.refresh(date(2026, 5, 4)) == {"unpaid": 0, "timely_filing": 0, "promises": 0,
                                            "plans_late": 0, "closed": 0}


def test_an_unpaid_item_a_clerk_closed_comes_back_only_after_another_period(
        admin: Services, c: Clinic, wq: WorkQueueService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    submitted_on(admin, v.id, date.today() - timedelta(days=40))
    wq.refresh()
    (row,) = wq.items("unpaid")
    wq.update(row.id, state="done", note="Payer says it is in process.")
    assert wq.refresh()["unpaid"] == 0
    assert wq.refresh(date.today() + timedelta(days=29))["unpaid"] == 0
    assert wq.refresh(date.today() + timedelta(days=30))["unpaid"] == 1


# --- timely filing -----------------------------------------------------------------------------
def draft_claim(sv: Services, c: Clinic, dos: date) -> ClaimView:
    pid = patient(sv, 7, last="Late")
    cover(sv, pid, c.payer_id)
    return sv.claims.create_primary(coded_visit(sv, pid, c, on=dos))


def test_timely_filing_runs_out_on_a_fixed_date_and_the_item_closes_when_the_claim_goes_out(
        admin: Services, c: Clinic, wq: WorkQueueService, tmp_path: Path) -> None:
    v = draft_claim(admin, c, date(2026, 1, 5))  # Acme allows 365 days: until 01/05/2027
    assert wq.refresh(date(2026, 12, 5))["timely_filing"] == 0  # 31 days left
    assert wq.refresh(date(2026, 12, 6))["timely_filing"] == 1  # 30 days left (the default)
    (row,) = wq.items("timely_filing")
    assert row.claim_id == v.id and row.due_on == date(2027, 1, 5)
    assert "365 days" in row.detail and "File it by 01/05/2027" in row.detail
    assert "send it before the limit" in row.next_action
    assert wq.refresh(date(2026, 12, 7))["timely_filing"] == 0
    ready = admin.claims.mark_ready(v.id, v.version)
    admin.submissions.export_837(tmp_path / "late.837", [ready.id])
    assert wq.refresh(date(2026, 12, 8))["closed"] == 1
    assert items(admin, "timely_filing")[0].state == "done"


def test_a_passed_limit_says_so_and_a_shorter_payer_limit_counts(
        admin: Services, c: Clinic, wq: WorkQueueService) -> None:
    with admin.db.session() as s:
        payer = s.get(Payer, c.payer_id)
        assert payer is not None
        payer.timely_filing_days = 90
    draft_claim(admin, c, date(2026, 1, 5))  # the limit is 04/05/2026
    wq.refresh(date(2026, 4, 10))
    (row,) = wq.items("timely_filing")
    assert "passed on 04/05/2026" in row.detail and "proof" in row.next_action


def test_a_denied_claim_is_watched_for_timely_filing_until_its_denial_is_worked(
        admin: Services, c: Clinic, wq: WorkQueueService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    with admin.db.session() as s:
        for sl in s.scalars(select(ServiceLine).where(ServiceLine.claim_id == v.id)):
            sl.dos = date(2026, 1, 5)
    deny(admin, v)
    assert wq.refresh(date(2026, 12, 20))["timely_filing"] == 1
    assert "Correct and resubmit, or appeal" in wq.items("timely_filing")[0].next_action


# --- queues filled elsewhere -------------------------------------------------------------------
def test_a_denial_is_listed_under_its_category(
        admin: Services, c: Clinic, wq: WorkQueueService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    deny(admin, v, "50")
    (row,) = wq.items("denials")
    assert (row.category, row.claim_id, row.amount) == ("medical_necessity", v.id,
                                                         v.lines[0].charge)
    assert row.detail.startswith("Medical necessity:") and "CO-50" in row.detail
    (cat,) = wq.categories()
    assert (cat.key, cat.label, cat.count) == ("medical_necessity", "Medical necessity", 1)
    assert "appeal" in cat.next_step
    assert len(wq.items("denials", category="medical_necessity")) == 1
    assert wq.items("denials", category="coding") == []
    with pytest.raises(UserError, match="denial category"):
        wq.items("unpaid", category="coding")
    assert wq.counts()["denials"] == 1


def test_a_denial_closes_on_refresh_once_the_payer_pays_after_reprocessing(
        admin: Services, c: Clinic, wq: WorkQueueService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    deny(admin, v)
    assert wq.refresh()["closed"] == 0  # the denied amount is still with the payer
    pay_in_full(admin, v, trace="CHK200")
    assert wq.refresh()["closed"] == 1
    assert wq.counts()["denials"] == 0


def test_an_underpayment_is_listed(admin: Services, c: Clinic, wq: WorkQueueService,
                                   tmp_path: Path) -> None:
    with admin.db.session() as s:
        s.add(ContractRate(payer_id=c.payer_id, code="99213", allowed=D("90.00"),
                           effective_from=date(2020, 1, 1)))
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    admin.remittances.import_835(era(clp(v, "1", "64.00", svc(
        office, "64.00", ("CO", "45", str(office.charge - 80)), ("PR", "2", "16.00"),
        allowed="80.00"))), "acme.835")
    (row,) = wq.items("underpayments")
    assert row.claim_id == v.id and "short $10.00" in row.detail
    assert wq.counts()["underpayments"] == 1


def test_a_rejection_is_listed_and_closes_when_the_claim_is_no_longer_rejected(
        admin: Services, c: Clinic, wq: WorkQueueService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    user = admin.ctx.user
    assert user is not None
    with admin.db.session() as s:
        claim = s.get(Claim, v.id)
        assert claim is not None
        reject(s, user, claim, "Subscriber member ID is missing.")
    (row,) = wq.items("rejections")
    assert row.claim_id == v.id and row.detail == "Subscriber member ID is missing."
    with admin.db.session() as s:
        claim = s.get(Claim, v.id)
        assert claim is not None
        claim.status = "accepted"  # e.g. a later 277CA for the same number
    assert wq.refresh()["closed"] == 1 and wq.items("rejections") == []


# --- working items -----------------------------------------------------------------------------
def test_update_checks_each_field_and_appends_notes(
        admin: Services, c: Clinic, wq: WorkQueueService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    deny(admin, v)
    (row,) = wq.items("denials")
    with pytest.raises(ValidationError) as e:
        wq.update(row.id, assignee="nobody", due_on=date.today() - timedelta(days=1),
                  state="finished")
    assert set(e.value.problems) == {"assignee", "due_on", "state"}
    assert "active user" in e.value.problems["assignee"]
    assert "before the item was raised" in e.value.problems["due_on"]
    add_user(admin, "bella", "biller")
    due = date.today() + timedelta(days=3)
    wq.update(row.id, assignee="bella", due_on=due, next_action="Send the visit notes",
              note="Called: they need the notes.")
    after = wq.update(row.id, note="Faxed the notes.", state="waiting")
    assert (after.assignee, after.due_on, after.next_action, after.state) == (
        "bella", due, "Send the visit notes", "waiting")
    first, second = after.note.splitlines()
    today = f"{date.today():%m/%d/%Y}"
    assert first == f"{today} admin: Called: they need the notes."
    assert second == f"{today} admin: Faxed the notes."
    assert wq.items("denials", assignee="bella") == []  # waiting, not open
    assert len(wq.items("denials", assignee="bella", state="waiting")) == 1
    done = wq.update(row.id, state="done")
    assert done.state == "done" and items(admin, "denial")[0].closed_by == "admin"


def test_assign_many_gives_items_to_an_active_user_only(
        admin: Services, c: Clinic, wq: WorkQueueService, tmp_path: Path) -> None:
    for n in (1, 2):
        deny(admin, sent(admin, c, n, "99213", tmp=tmp_path))
    ids = [r.id for r in wq.items("denials")]
    add_user(admin, "bella", "biller")
    assert wq.assign_many(ids, "bella") == 2
    assert {r.assignee for r in wq.items("denials")} == {"bella"}
    assert len(wq.items("denials", assignee="bella")) == 2
    bella = next(u for u in admin.users.list_users() if u.username == "bella")
    admin.users.set_active(bella.id, False)
    with pytest.raises(ValidationError, match="assignee"):
        wq.assign_many(ids, "bella")
    assert wq.assign_many(ids, "") == 2
    with pytest.raises(UserError, match="no longer exists"):
        wq.assign_many([999], "")


def test_items_are_ordered_by_due_date_then_age_and_the_view_is_audited(
        admin: Services, c: Clinic, wq: WorkQueueService, tmp_path: Path) -> None:
    for n in (1, 2, 3):
        deny(admin, sent(admin, c, n, "99213", tmp=tmp_path))
    first, second, third = wq.items("denials")
    wq.update(third.id, due_on=date.today() + timedelta(days=1))
    assert [r.id for r in wq.items("denials")] == [third.id, first.id, second.id]
    assert [r.id for r in wq.items("denials", limit=1)] == [third.id]
    with admin.db.session() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "work_queue.view")
                       .order_by(AuditEvent.seq.desc())).first()
        assert ev is not None and '"rows": 1' in ev.details and '"queue": "denials"' in ev.details
    with pytest.raises(UserError, match="work queue"):
        wq.items("nonsense")


def test_counts_name_every_queue(wq: WorkQueueService) -> None:
    assert wq.counts() == {key: 0 for key in QUEUES}
    assert set(QUEUES) == {"unpaid", "denials", "rejections", "underpayments",
                           "timely_filing", "promises", "appeals", "plans_late"}


def test_the_front_desk_may_not_work_the_queues(admin: Services) -> None:
    sign_in_as(admin, "front_desk")
    wq = WorkQueueService(admin.db, admin.ctx)
    for call in (wq.refresh, wq.counts, wq.categories, lambda: wq.items("unpaid"),
                 lambda: wq.update(1, note="x"), lambda: wq.assign_many([1], "")):
        with pytest.raises(PermissionDenied):
            call()
