"""Payer calls (app.services.payer_calls): a call is logged with its claims and checked field by
field; a promise past its date comes back as a work item the day after, not before; keeping
the promise closes it; calls are read back by payer and by claim; who may log them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from app.errors import PermissionDenied, UserError, ValidationError
from app.services import Services
from app.services.followup import WorkQueueService
from app.services.payer_calls import CallData, PayerCallService
from tests.unit.claim_fixtures import Clinic, clinic
from tests.unit.test_coding import sign_in_as
from tests.unit.test_followup import era, items, pay_in_full
from tests.unit.test_remittances import clp, sent, svc

CALLED = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


@pytest.fixture
def calls(admin: Services) -> PayerCallService:
    return PayerCallService(admin.db, admin.ctx)


@pytest.fixture
def wq(admin: Services) -> WorkQueueService:
    return WorkQueueService(admin.db, admin.ctx)


def call(c: Clinic, *claim_ids: int, **kw: object) -> CallData:
    values: dict[str, object] = dict(
        payer_id=c.payer_id, claim_ids=claim_ids, summary="Claim in process, no errors.",
        outcome="will_reprocess", representative="Dana", reference="REF-7781",
        called_at=CALLED, promised_action="Reprocess the claim with the corrected modifier",
        promised_on=date(2026, 3, 10))
    values.update(kw)
    return CallData(**values)  # type: ignore[arg-type]


def test_a_call_is_logged_with_its_claims_and_the_payer_phone_by_default(
        admin: Services, c: Clinic, calls: PayerCallService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    row = calls.log_call(call(c, v.id))
    assert (row.payer_name, row.phone, row.representative, row.reference) == (
        "Acme Health", "8005550101", "Dana", "REF-7781")
    assert (row.claim_ids, row.claim_numbers, row.called_at) == ((v.id,), (v.number,), CALLED)
    assert (row.outcome, row.outcome_label) == ("will_reprocess",
                                                "Payer will reprocess the claim")
    assert (row.promised_on, row.promise_kept, row.called_by) == (date(2026, 3, 10), False,
                                                                  "admin")
    typed = calls.log_call(call(c, v.id, phone="(800) 555-0199", outcome="resolved",
                                promised_action="", promised_on=None))
    assert typed.phone == "8005550199"
    assert [r.id for r in calls.calls(payer_id=c.payer_id)] == [typed.id, row.id]
    assert calls.calls(payer_id=c.other_payer_id) == []
    assert [r.id for r in calls.calls_for_claim(v.id)] == [typed.id, row.id]


def test_a_call_is_checked_field_by_field(admin: Services, c: Clinic,
                                          calls: PayerCallService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    with pytest.raises(ValidationError) as e:
        calls.log_call(call(c, summary=" ", outcome="maybe", representative="",
                            phone="555-0100", promised_on=date(2026, 3, 1)))
    p = e.value.problems
    assert set(p) == {"summary", "outcome", "representative", "phone", "promised_on",
                      "claim_ids"}
    assert p["promised_on"] == "The promised date cannot be before the call (03/02/2026)."
    assert p["phone"] == "Enter the 10-digit number you called."
    assert p["claim_ids"] == "Choose at least one claim the call was about."
    assert "The call was not saved" in str(e.value)
    with pytest.raises(ValidationError) as e:
        calls.log_call(call(c, v.id, payer_id=c.other_payer_id))
    assert "another payer" in e.value.problems["claim_ids"]
    with pytest.raises(ValidationError) as e:
        calls.log_call(call(c, v.id, promised_on=None))
    assert e.value.problems["promised_on"] == "Enter the date the payer promised it by."
    with pytest.raises(ValidationError) as e:
        calls.log_call(call(c, v.id, promised_action=""))
    assert e.value.problems == {"promised_action": "Say what the payer promised to do."}
    with pytest.raises(ValidationError) as e:
        calls.log_call(call(c, v.id, called_at=datetime.now(UTC) + timedelta(hours=2),
                            promised_on=date.today() + timedelta(days=3)))
    assert e.value.problems == {"called_at": "The call's time is in the future."}
    assert calls.calls() == []


def test_a_promise_becomes_a_work_item_the_day_after_its_date_and_keeping_it_closes_it(
        admin: Services, c: Clinic, calls: PayerCallService, wq: WorkQueueService,
        tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    row = calls.log_call(call(c, v.id))
    assert wq.refresh(date(2026, 3, 10))["promises"] == 0  # due today: not missed yet
    assert wq.refresh(date(2026, 3, 11))["promises"] == 1
    assert wq.refresh(date(2026, 3, 12))["promises"] == 0  # no duplicate
    (item,) = wq.items("promises")
    assert (item.claim_id, item.claim_number, item.due_on) == (v.id, v.number,
                                                               date(2026, 3, 11))
    assert "REF-7781" in item.detail and "Reprocess the claim" in item.detail
    assert "03/10/2026" in item.detail and item.patient_name == "DoeA, Jane"
    kept = calls.mark_promise_kept(row.id)
    assert kept.promise_kept
    (done,) = items(admin, "promise")
    assert done.state == "done" and "kept its promise" in done.note
    assert wq.refresh(date(2026, 3, 20)) == {"unpaid": 0, "timely_filing": 0, "promises": 0,
                                             "plans_late": 0, "closed": 0}
    with pytest.raises(UserError, match="already marked kept"):
        calls.mark_promise_kept(row.id)


def test_a_promise_is_moot_once_every_claim_on_the_call_is_paid(
        admin: Services, c: Clinic, calls: PayerCallService, wq: WorkQueueService,
        tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    calls.log_call(call(c, v.id))
    wq.refresh(date(2026, 3, 11))
    pay_in_full(admin, v)
    assert wq.refresh(date(2026, 3, 12))["closed"] == 1
    assert items(admin, "promise")[0].closed_by == "system"


def test_a_call_without_a_promise_raises_nothing_and_has_nothing_to_keep(
        admin: Services, c: Clinic, calls: PayerCallService, wq: WorkQueueService,
        tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    row = calls.log_call(call(c, v.id, outcome="need_info", promised_action="",
                              promised_on=None))
    assert wq.refresh(date(2026, 12, 31))["promises"] == 0
    with pytest.raises(UserError, match="promised nothing"):
        calls.mark_promise_kept(row.id)


def test_a_promise_about_a_denied_claim_is_followed_up(
        admin: Services, c: Clinic, calls: PayerCallService, wq: WorkQueueService,
        tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    admin.remittances.import_835(era(clp(v, "4", "0.00", svc(
        office, "0.00", ("CO", "4", str(office.charge)))), trace="D1"), "d.835")
    calls.log_call(replace(call(c, v.id), outcome="need_appeal"))
    wq.refresh(date(2026, 3, 11))
    assert wq.counts()["promises"] == 1


def test_the_front_desk_may_not_log_or_read_calls(admin: Services, c: Clinic) -> None:
    sign_in_as(admin, "front_desk")
    calls = PayerCallService(admin.db, admin.ctx)
    with pytest.raises(PermissionDenied):
        calls.log_call(call(c, 1))
    with pytest.raises(PermissionDenied):
        calls.calls()
    with pytest.raises(PermissionDenied):
        calls.mark_promise_kept(1)
