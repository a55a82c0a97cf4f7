"""The Payment plans tab through its widgets on a real encrypted clinic: a plan set up from a
self-pay visit (previewed, saved with a down payment, its agreement offered), the list with
its statuses (late in red) and sorting, a partial payment then an overpayment that shortens
the plan, a renegotiation (the old plan kept as replaced), pause/resume/cancel and which
buttons each status allows, a refused term shown in red under the form with Save disabled,
and who sees the tab. Each page is grabbed to PNG."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import update

from app.formats.plan_schedule import PlanTerms
from app.models import PlanInstallment
from app.services import Services
from app.services.plans import PlanDetail
from app.ui.tabs.plans.dialogs import (
    ApplyPaymentDialog,
    ReasonDialog,
    RenegotiateDialog,
    SignedDialog,
)
from app.ui.tabs.plans.list_page import BALANCE, PATIENT, PlansListPage
from app.ui.tabs.plans.new_page import NewPlanPage
from app.ui.tabs.plans.services import PlansServices
from app.ui.tabs.plans_tab import COLLECTIONS, NEW_PLAN, PLANS, STATEMENTS, PlansTab, can_open
from tests.unit.claim_fixtures import Clinic, clinic
from tests.unit.test_coding import sign_in_as
from tests.unit.test_payments import self_pay

D = Decimal
TODAY = date.today()
OWED = D("212.00")  # 99213 $100.00 + 36415 $12.00, then 99213 $100.00


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


def owing(sv: Services, c: Clinic, n: int = 1) -> int:
    """A self-pay patient owing $212.00 on two visits."""
    return self_pay(sv, c, n, (20, ("99213", "36415")), (10, ("99213",)))


def make_plan(sv: Services, pid: int, count: int = 6, **kw: object) -> PlanDetail:
    lines = [a.charge_line_id for a in sv.payments.patient_balance(pid).lines
             if a.charge_line_id]
    terms = PlanTerms(OWED, D("0.00"), count, None, "monthly", TODAY + timedelta(days=20),
                      **kw)  # type: ignore[arg-type]
    return sv.plans.create(pid, terms, [i for i in lines if i])


def make_tab(qtbot, sv: Services) -> PlansTab:
    tab = PlansTab(sv=PlansServices.of(sv))
    qtbot.addWidget(tab)
    tab.resize(1300, 850)
    tab.show()
    qtbot.waitExposed(tab)
    tab.activateWindow()  # shortcuts (F5) go to the active window
    qtbot.waitUntil(tab.isActiveWindow)
    return tab


def plans_page(qtbot, sv: Services) -> PlansListPage:
    tab = make_tab(qtbot, sv)
    page = tab.page(PLANS)
    page.owner_tab = tab  # the tab owns the page: keep it alive with the test's reference
    qtbot.waitUntil(lambda: page._loaded)
    return page


def grab(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    assert widget.grab().save(str(path))


def column(page: PlansListPage, col: int) -> list[str]:
    return [page.table.item(i, col).text() for i in range(page.table.rowCount())]


def opened(qtbot, page: PlansListPage, button: str) -> object:
    page.buttons[button].click()
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible())
    return page.dialog


# --- who sees it ---------------------------------------------------------------------------
def test_front_desk_sees_the_tab_and_a_coder_does_not(qtbot, admin: Services,
                                                      c: Clinic) -> None:
    owing(admin, c)
    assert can_open(admin.ctx) and list(make_tab(qtbot, admin).pages) == [
        PLANS, NEW_PLAN, STATEMENTS, COLLECTIONS]
    sign_in_as(admin, "front_desk")  # plans, but no statement runs or collections
    tab = make_tab(qtbot, admin)
    assert can_open(admin.ctx) and list(tab.pages) == [PLANS, NEW_PLAN]
    page: NewPlanPage = tab.page(NEW_PLAN)  # the front desk sets one up, down payment and all
    page.choose(admin.patients.search("PayerA")[0])
    page.form.down.setText("10.00")
    qtbot.waitUntil(lambda: page.save_button.isEnabled())
    page.save_button.click()
    assert page.saved is not None and page.saved.created_by == "frontdesk1"
    sign_in_as(admin, "coder")
    assert not can_open(admin.ctx) and make_tab(qtbot, admin).pages == {}


# --- setting one up --------------------------------------------------------------------------
def test_a_plan_is_previewed_saved_and_listed(qtbot, admin: Services, c: Clinic,
                                              tmp_path: Path) -> None:
    pid = owing(admin, c)
    tab = make_tab(qtbot, admin)
    page: NewPlanPage = tab.page(NEW_PLAN)
    page.choose(admin.patients.search("PayerA")[0])
    assert page.table.rowCount() == 3 and len(page.chosen_lines()) == 3  # all ticked
    form = page.form
    assert form.total.text() == "212.00" and "$212.00" in form.limit.text()
    page.tick(2, False)  # the later visit left out: the total follows
    assert form.total.text() == "112.00"
    page.tick(2, True)
    form.down.setText("12.00")
    form.count.setValue(4)
    qtbot.waitUntil(lambda: form.valid)
    assert form.table.rowCount() == 4
    assert [form.cell(i, 2) for i in range(4)] == ["50.00"] * 4
    assert form.cell(3, 5) == "0.00" and form.cell(0, 1) == form.first_due.text()
    assert "Financed</b> $200.00" in form.totals.text()
    assert "Total of payments</b> $200.00" in form.totals.text()
    form.by_amount.setChecked(True)  # or by the amount of each installment
    form.amount.setText("45.00")
    qtbot.waitUntil(lambda: form.valid)
    assert [form.cell(i, 2) for i in range(form.table.rowCount())] == ["45.00"] * 4 + ["20.00"]
    form.by_count.setChecked(True)
    qtbot.waitUntil(lambda: form.valid and page.save_button.isEnabled())
    grab(tab, tmp_path / "new_plan.png")
    page.save_button.click()
    assert page.saved is not None and "Plan PP" in page.result.text()
    assert page.print_button.isEnabled() and not page.save_button.isEnabled()
    assert admin.payments.patient_balance(pid).owes == D("200.00")  # the down payment
    page.print_agreement()
    assert page.dialog is not None and page.dialog.windowTitle().startswith("Plan agreement")
    page.dialog.close()
    # the same patient again: refused in red under the form, with Save off
    qtbot.waitUntil(lambda: "already has payment plan" in form.problem_text())
    assert not page.save_button.isEnabled()
    plans = tab.page(PLANS)
    qtbot.waitUntil(lambda: plans.table.rowCount() == 1)
    assert column(plans, 2) == ["Current"] and column(plans, BALANCE) == ["200.00"]
    assert plans.detail is not None and plans.detail.id == page.saved.id
    grab(tab, tmp_path / "plans.png")


def test_a_term_that_gives_no_schedule_is_shown_under_the_form(
        qtbot, admin: Services, c: Clinic, messages: list, tmp_path: Path) -> None:
    owing(admin, c)
    tab = make_tab(qtbot, admin)
    page: NewPlanPage = tab.page(NEW_PLAN)
    page.choose(admin.patients.search("PayerA")[0])
    form = page.form
    qtbot.waitUntil(lambda: form.valid)
    form.count.setValue(0)
    qtbot.waitUntil(lambda: form.problem_text() != "")
    assert "number of installments must be from 1" in form.problem_text()
    assert not page.save_button.isEnabled() and form.table.rowCount() == 0
    form.count.setValue(3)
    form.total.setText("300.00")  # more than is owed
    qtbot.waitUntil(lambda: "more than" in form.problem_text())
    assert not page.save_button.isEnabled()
    form.total.setText("200.00")
    form.down.setText("5.00")
    form.method.setCurrentIndex(form.method.findData("card"))
    form.reference.setText("12")
    qtbot.waitUntil(lambda: "last 4 digits" in form.problem_text())
    grab(tab, tmp_path / "new_plan_refused.png")
    form.reference.setText("4242")
    qtbot.waitUntil(lambda: form.valid and page.save_button.isEnabled())
    assert messages == []  # nothing popped up while typing


# --- the list ------------------------------------------------------------------------------
def test_late_plans_are_red_and_headers_sort(qtbot, admin: Services, c: Clinic) -> None:
    first = make_plan(admin, owing(admin, c, 1), 6)
    second = make_plan(admin, owing(admin, c, 2), 2)
    with admin.db.session() as s:  # installment 1 of the second fell due 40 days ago
        s.execute(update(PlanInstallment).where(PlanInstallment.plan_id == second.id,
                                                PlanInstallment.number == 1)
                  .values(due_date=TODAY - timedelta(days=40)))
    page = plans_page(qtbot, admin)
    assert column(page, 0) == [second.number, first.number]  # next due first
    late = page.table.item(0, 2)
    assert late.text() == "Late" and late.foreground().color().name() == "#b00020"
    assert page.view.state(0) == "Missed"
    page.sort_by(BALANCE)
    assert column(page, 0) == [first.number, second.number]  # 212.00 each: number breaks it
    page.sort_by(PATIENT)
    page.sort_by(PATIENT)  # a second click turns it round
    assert page.descending and column(page, 0) == [second.number, first.number]
    page.set_status("current")
    assert column(page, 0) == [first.number]
    page.set_status(None)
    make_plan(admin, owing(admin, c, 3), 3)  # behind the page's back: F5 shows it
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: page.table.rowCount() == 3)
    page.choose_row(1)
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert page.view.installments.hasFocus()


# --- money ---------------------------------------------------------------------------------
def test_a_partial_payment_then_an_overpayment_that_shortens(
        qtbot, admin: Services, c: Clinic, tmp_path: Path) -> None:
    pid = owing(admin, c)
    plan = make_plan(admin, pid, 6)  # 5 × 35.33, then 35.35
    page = plans_page(qtbot, admin)
    assert page.buttons["apply"].isEnabled()
    dialog = opened(qtbot, page, "apply")
    assert isinstance(dialog, ApplyPaymentDialog) and dialog.amount.text() == "35.33"
    dialog.amount.setText("20.00")
    grab(dialog, tmp_path / "apply.png")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert "Receipt" in page.result.text() and "installment 1 $20.00" in page.result.text()
    assert page.view.state(0) == "Part paid" and page.buttons["receipt"].isEnabled()
    # $100.00 taken at the desk first, then applied: 15.33 finishes installment 1, the rest
    # pays from the end back
    admin.payments.take_payment(pid, D("100.00"), "check", "1001")
    dialog = opened(qtbot, page, "apply")
    dialog.amount.setText("100.00")
    dialog.taken_before.setChecked(True)
    dialog.shorten_choice.setChecked(True)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert "installment 6 $35.35, installment 5 $35.33" in page.result.text()
    assert [page.view.state(i) for i in range(6)] == ["Paid", "", "", "Part paid", "Paid",
                                                      "Paid"]
    assert page.detail is not None and page.detail.balance == OWED - D("120.00")
    assert column(page, 6) == [f"{TODAY:%m/%d/%Y}"]  # last payment
    grab(page, tmp_path / "after_payments.png")
    # more than was taken: refused inside the dialog, which stays open
    dialog = opened(qtbot, page, "apply")
    dialog.amount.setText("50.00")
    dialog.taken_before.setChecked(True)
    dialog.ok_button.click()
    assert dialog.isVisible() and "take the payment at the desk first" in dialog.problem.text()
    dialog.reject()
    assert admin.plans.plan(plan.id).balance == OWED - D("120.00")


# --- changing a plan -----------------------------------------------------------------------
def test_renegotiating_keeps_the_old_plan_as_replaced(qtbot, admin: Services, c: Clinic,
                                                      tmp_path: Path) -> None:
    old = make_plan(admin, owing(admin, c), 6)
    page = plans_page(qtbot, admin)
    dialog = opened(qtbot, page, "renegotiate")
    assert isinstance(dialog, RenegotiateDialog)
    assert dialog.form.total.text() == "212.00" and dialog.form.count.value() == 6
    dialog.form.count.setValue(0)
    qtbot.waitUntil(lambda: dialog.form.problem_text() != "")
    assert not dialog.ok_button.isEnabled()
    dialog.form.count.setValue(8)
    dialog.form.frequency.setCurrentIndex(dialog.form.frequency.findData("biweekly"))
    qtbot.waitUntil(lambda: dialog.form.valid and dialog.ok_button.isEnabled())
    assert dialog.form.table.rowCount() == 8
    grab(dialog, tmp_path / "renegotiate.png")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    new = page.detail
    assert new is not None and new.id != old.id and new.replaces_id == old.id
    assert f"replaces plan {old.number}" in page.result.text()
    assert f'Replaces <a href="plan:{old.id}">{old.number}</a>' in page.view.summary.text()
    rows = dict(zip(column(page, 0), column(page, 2), strict=True))
    assert rows == {old.number: "Replaced", new.number: "Current"}
    page.view.openPlan.emit(old.id)  # the history link
    assert page.detail is not None and page.detail.id == old.id
    assert not any(page.buttons[k].isEnabled() for k in ("apply", "renegotiate", "pause",
                                                         "cancel", "signed"))
    assert page.buttons["print"].isEnabled()


def test_pause_resume_cancel_and_the_buttons_each_status_allows(
        qtbot, admin: Services, c: Clinic, tmp_path: Path) -> None:
    plan = make_plan(admin, owing(admin, c), 6)
    page = plans_page(qtbot, admin)
    on = lambda: {k for k, b in page.buttons.items() if b.isEnabled()}  # noqa: E731
    assert on() == {"print", "signed", "apply", "renegotiate", "pause", "cancel"}
    assert page.buttons["pause"].text() == "Pause…"
    dialog = opened(qtbot, page, "pause")
    assert isinstance(dialog, ReasonDialog) and not dialog.ok_button.isEnabled()
    dialog.reason.setPlainText("Out of work until March")
    assert dialog.ok_button.isEnabled()
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert column(page, 2) == ["Paused"] and page.buttons["pause"].text() == "Resume"
    assert "Out of work until March" in page.view.notes.toPlainText()
    page.buttons["pause"].click()  # resume: no question to answer
    assert column(page, 2) == ["Current"] and page.buttons["pause"].text() == "Pause…"
    dialog = opened(qtbot, page, "signed")
    assert isinstance(dialog, SignedDialog)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert f"signed {TODAY:%m/%d/%Y}" in page.view.summary.text()
    dialog = opened(qtbot, page, "cancel")
    dialog.reason.setPlainText("Patient moved away")
    grab(dialog, tmp_path / "cancel.png")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert column(page, 2) == ["Cancelled"] and on() == {"print"}
    assert admin.plans.plan(plan.id).status == "cancelled"
    grab(page, tmp_path / "cancelled.png")


def test_a_desk_payment_counts_toward_the_patients_plan(qtbot, admin: Services,
                                                        c: Clinic) -> None:
    """The Desk payment page shows the plan and applies the payment to its installments,
    money beyond what is due shortening the plan when the clerk says so."""
    from app.ui.tabs.payments.desk_page import DeskPage
    from app.ui.tabs.payments.services import PaymentsServices
    from tests.ui.test_payments_money import pick, shown

    pid = owing(admin, c)
    plan = make_plan(admin, pid, count=4)  # 4 × $53.00
    page = DeskPage(PaymentsServices.of(admin))
    shown(qtbot, page)
    pick(page, "Payera")
    assert page.plan_box.isVisible() and plan.number in page.plan_box.status.text()
    page.plan_box.extra.setCurrentIndex(page.plan_box.extra.findData("shorten"))
    page.form.amount.setText("80")
    page.take_button.click()
    assert f"Counted toward plan {plan.number}: installments #1 $53.00, #4 $27.00." \
        in page.result.text()
    after = admin.plans.plan(plan.id)
    assert [i.paid for i in after.installments] == [D("53.00"), D("0.00"), D("0.00"),
                                                    D("27.00")]
    # a patient with no plan: no box
    other = owing(admin, c, 2)
    assert other != pid
    pick(page, "Payerb")
    assert not page.plan_box.isVisible()
