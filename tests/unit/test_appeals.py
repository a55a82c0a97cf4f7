"""Appeals (app.services.appeals): templates an admin edits (an unknown placeholder refused,
reset to the default), a letter drafted from a denied claim with its claim number, the denial
reason in words, the amounts, the clinic and the payer's address; the appeal kept exactly as
printed, tracked as a work item, its denials marked appealed; the PDF re-printed from what was
kept; an underpayment appealed for the shortfall; who may do what."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pdfplumber
import pytest
from sqlalchemy import select

from app.errors import PermissionDenied, UserError, ValidationError
from app.formats.appeal_letter import DEFAULT_TEMPLATES
from app.models import AuditEvent, ContractRate, Denial
from app.services import Services
from app.services.appeals import NEXT_ACTION, AppealService
from app.services.claims import ClaimView
from app.services.followup import WorkQueueService
from tests.unit.claim_fixtures import Clinic, clinic
from tests.unit.test_coding import sign_in_as
from tests.unit.test_followup import era, items, pay_in_full
from tests.unit.test_remittances import clp, sent, svc


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


@pytest.fixture
def appeals(admin: Services) -> AppealService:
    return AppealService(admin.db, admin.ctx)


@pytest.fixture
def denied(admin: Services, c: Clinic, tmp_path: Path) -> ClaimView:
    """A claim for one office visit, denied CO-50 with remark N115."""
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    admin.remittances.import_835(era(clp(v, "4", "0.00", svc(
        office, "0.00", ("CO", "50", str(office.charge)), remarks=("N115",)),
        payer_number="ICN555")), "deny.835")
    return admin.claims.get(v.id)


def actions(sv: Services, prefix: str) -> list[str]:
    with sv.db.session() as s:
        return list(s.scalars(select(AuditEvent.action)
                              .where(AuditEvent.action.startswith(prefix))
                              .order_by(AuditEvent.seq)))


# --- templates ---------------------------------------------------------------------------------
def test_a_template_with_an_unknown_placeholder_is_refused(appeals: AppealService) -> None:
    with pytest.raises(ValidationError) as e:
        appeals.save_template("reconsideration", "Reconsideration",
                              "Dear {payer_nme},\n\nPlease pay claim {claim_number}.")
    assert set(e.value.problems) == {"body"}
    assert "{payer_nme} on line 1 (did you mean {payer_name}?)" in e.value.problems["body"]
    with pytest.raises(ValidationError) as e:
        appeals.save_template("Bad Key!", " ", "{claim_number")
    assert set(e.value.problems) == {"key", "title", "body"}
    assert [t.body for t in appeals.templates()] == [t.body for t in DEFAULT_TEMPLATES.values()]


def test_an_admin_edits_adds_and_resets_templates(
        admin: Services, appeals: AppealService, denied: ClaimView) -> None:
    edited = appeals.save_template("reconsideration", "Please look again",
                                   "Claim {claim_number}: {amount_in_dispute}.\n")
    assert (edited.has_default, edited.edited) == (True, True)
    added = appeals.save_template("records", "Records enclosed", "Records for {patient_name}.")
    assert (added.has_default, added.edited) == (False, True)
    keys = [t.key for t in appeals.templates()]
    assert keys == ["reconsideration", "appeal", "timely_filing", "records"]
    title, text = appeals.draft(denied.id, "reconsideration")
    assert title == f"Please look again, claim {denied.number}"
    assert text == f"Claim {denied.number}: ${denied.lines[0].charge:,.2f}.\n"
    back = appeals.reset_template("reconsideration")
    assert back.body == DEFAULT_TEMPLATES["reconsideration"].body and not back.edited
    with pytest.raises(UserError, match="Delete it instead"):
        appeals.reset_template("records")
    appeals.delete_template("records")
    assert [t.key for t in appeals.templates()] == list(DEFAULT_TEMPLATES)
    assert actions(admin, "appeal.template") == ["appeal.template.save"] * 2 + [
        "appeal.template.reset", "appeal.template.delete"]


# --- drafting and keeping ----------------------------------------------------------------------
def test_a_letter_names_the_claim_the_denial_in_words_and_the_amounts(
        appeals: AppealService, denied: ClaimView) -> None:
    title, text = appeals.draft(denied.id, "reconsideration")
    charge = f"${denied.lines[0].charge:,.2f}"
    assert title == f"Request for reconsideration, claim {denied.number}"
    assert f"our claim number {denied.number}" in text and "ICN555" in text
    assert "- CO-50: Payer says it is not medically necessary" in text
    assert "- N115:" in text
    assert f"billed {charge}, paid $0.00, in dispute {charge}" in text
    assert "Acme Health\nAttn: Claims Reconsideration / Appeals Department\nPO Box 100\n" \
           "Chicago, IL 60601-1000" in text
    assert "Patient: Jane DoeA, date of birth 05/17/1980" in text
    assert "Member ID: W123456789" in text
    (service,) = [line for line in text.splitlines() if line.startswith("- 99213, ")]
    assert service.endswith(f"date of service {denied.lines[0].dos:%m/%d/%Y}, charge {charge}")
    assert "Anna Smith, MD, NPI 1245319599" in text
    assert "Alex Admin\nBilling Office\nMaple Family Practice\nNPI 1234567893, Tax ID " \
           "12-3456789" in text
    assert "(217) 555-0100" in text and "{" not in text


def test_an_appeal_is_kept_as_printed_tracked_and_its_denial_marked_appealed(
        admin: Services, appeals: AppealService, denied: ClaimView, tmp_path: Path) -> None:
    wq = WorkQueueService(admin.db, admin.ctx)
    assert wq.counts()["denials"] == 1
    title, text = appeals.draft(denied.id, "appeal")
    text = text.replace("We formally appeal", "We formally and respectfully appeal")
    row = appeals.create(denied.id, "appeal", text, title)
    assert (row.claim_id, row.claim_number, row.template, row.title, row.text) == (
        denied.id, denied.number, "appeal", title, text)
    assert row.amount == denied.lines[0].charge and row.state == "open"
    assert row.due_on == date.today() + timedelta(days=30)
    (item,) = wq.items("appeals")
    assert (item.id, item.claim_id, item.next_action) == (row.work_item_id, denied.id,
                                                          NEXT_ACTION)
    assert item.detail.startswith(f"Formal written appeal, claim {denied.number} sent to "
                                  "Acme Health")
    with admin.db.session() as s:
        assert [d.outcome for d in s.scalars(select(Denial))] == ["appealed"]
    counts = wq.counts()
    assert (counts["denials"], counts["appeals"]) == (0, 1)
    assert "appealed" in items(admin, "denial")[0].note
    assert [a.id for a in appeals.appeals(denied.id)] == [row.id]
    assert appeals.appeals(denied.id + 100) == []
    pdf = appeals.pdf(row.id)
    (tmp_path / "appeal.pdf").write_bytes(pdf)
    words = "\n".join(p.extract_text() or "" for p in pdfplumber.open(io.BytesIO(pdf)).pages)
    assert "We formally and respectfully appeal" in words and denied.number in words
    assert "Payer says it is not medically necessary" in words
    assert "Maple Family Practice" in words
    assert actions(admin, "appeal.") == ["appeal.draft", "appeal.create", "appeal.list",
                                         "appeal.list", "appeal.print"]


def test_the_appeal_item_closes_when_the_payer_answers(
        admin: Services, appeals: AppealService, denied: ClaimView) -> None:
    wq = WorkQueueService(admin.db, admin.ctx)
    title, text = appeals.draft(denied.id, "reconsideration")
    appeals.create(denied.id, "reconsideration", text, title)
    assert wq.refresh()["closed"] == 0
    pay_in_full(admin, denied, trace="CHK900")
    assert wq.refresh()["closed"] == 1
    assert appeals.appeals()[0].state == "done"


def test_an_underpayment_is_appealed_for_the_shortfall(
        admin: Services, c: Clinic, appeals: AppealService, tmp_path: Path) -> None:
    with admin.db.session() as s:
        s.add(ContractRate(payer_id=c.payer_id, code="99213", allowed=D("90.00"),
                           effective_from=date(2020, 1, 1)))
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    admin.remittances.import_835(era(clp(v, "1", "64.00", svc(
        office, "64.00", ("CO", "45", str(office.charge - 80)), ("PR", "2", "16.00"),
        allowed="80.00"))), "acme.835")
    _title, text = appeals.draft(v.id, "reconsideration")
    assert "paid $64.00, in dispute $10.00" in text
    assert "- CO-45: Charge is above the fee schedule or contracted rate" in text
    assert "- Underpaid: 99213" in text and "short $10.00" in text
    assert "PR-2" not in text  # the patient's share is not disputed
    row = appeals.create(v.id, "reconsideration", text, "Underpayment")
    assert row.amount == D("10.00")
    assert items(admin, "underpaid")[0].state == "done"


def test_only_a_decided_claim_is_appealed_and_a_letter_needs_text(
        admin: Services, c: Clinic, appeals: AppealService, denied: ClaimView,
        tmp_path: Path) -> None:
    waiting = sent(admin, c, 2, tmp=tmp_path)
    with pytest.raises(UserError, match="paid or denied"):
        appeals.draft(waiting.id, "reconsideration")
    with pytest.raises(UserError, match="template"):
        appeals.draft(denied.id, "nonsense")
    with pytest.raises(ValidationError) as e:
        appeals.create(denied.id, "nonsense", " ", "")
    assert set(e.value.problems) == {"template_key", "text", "title"}
    assert appeals.appeals() == []


def test_who_may_write_appeals_and_edit_templates(
        admin: Services, denied: ClaimView) -> None:
    sign_in_as(admin, "biller")
    biller = AppealService(admin.db, admin.ctx)
    assert biller.draft(denied.id, "reconsideration")[1]
    with pytest.raises(PermissionDenied):
        biller.save_template("reconsideration", "X", "{claim_number}")
    sign_in_as(admin, "front_desk")
    desk = AppealService(admin.db, admin.ctx)
    for call in (desk.templates, lambda: desk.draft(denied.id, "appeal"), desk.appeals,
                 lambda: desk.create(denied.id, "appeal", "text", "title"),
                 lambda: desk.pdf(1)):
        with pytest.raises(PermissionDenied):
            call()
