"""Money in through the Payments tab's widgets on a real encrypted clinic: a paper EOB typed
into the grid from the keyboard and posted (the claim paid), an EOB that does not balance held
back with its figure in red and its problems listed, a desk payment by card with its receipt
(and a card reference too long refused on the page), who sees which of these pages, the ledger
and its running balance, and closing a day (a later payment lands on the next day). The last
test grabs every page and dialog to PNG with realistic data."""

from __future__ import annotations

import io
import os
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from app.models import PatientPayment
from app.services import Services
from app.services.payments import EobClaim, EobData, EobLine
from app.ui.tabs.payments import eob_grid as g
from app.ui.tabs.payments.day_page import DayPage, can_close_day
from app.ui.tabs.payments.desk_page import DeskPage, can_take_payments
from app.ui.tabs.payments.eob_page import EobPage, can_post_eob
from app.ui.tabs.payments.ledger_page import LedgerPage, can_view_ledger
from app.ui.tabs.payments.services import PaymentsServices
from tests.unit.claim_fixtures import Clinic, clinic
from tests.unit.test_coding import sign_in_as
from tests.unit.test_payments import self_pay
from tests.unit.test_remittances import sent

D = Decimal
SIZE = (1300, 850)
TODAY = date.today()


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


def shown(qtbot, widget: QWidget) -> QWidget:
    qtbot.addWidget(widget)
    widget.resize(*SIZE)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    return widget


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)


def keys(text: str) -> None:
    """Type into whatever has the focus, key by key (the first key opens a cell's editor)."""
    for ch in text:
        QTest.keyClicks(QApplication.focusWidget(), ch)


def type_cells(grid: g.EobGrid, *texts: str) -> None:
    """Type each text into the current cell, then Tab to the next cell to fill."""
    for text in texts:
        keys(text)
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)


def eob_page(qtbot, sv: Services) -> EobPage:
    page = EobPage(PaymentsServices.of(sv))
    shown(qtbot, page)
    return page


def start_check(page: EobPage, payer_id: int, number: str, amount: str) -> None:
    page.payer_combo.setCurrentIndex(page.payer_combo.findData(payer_id))
    page.check_number.setText(number)
    page.check_amount.setText(amount)


# --- paper EOB -----------------------------------------------------------------------------------
def test_an_eob_typed_from_the_keyboard_posts_and_pays_the_claim(
        qtbot, admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)  # 99213 $100.00 and 36415 $12.00
    page = eob_page(qtbot, admin)
    start_check(page, c.payer_id, "EOB-7001", "72.00")
    page.claim_edit.setFocus()
    QTest.keyClicks(page.claim_edit, str(v.id))
    QTest.keyClick(page.claim_edit, Qt.Key.Key_Return)
    grid = page.grid
    assert grid.rowCount() == 2 and grid.currentColumn() == g.STATUS
    assert grid.text(0, g.CHARGE) == "100.00" and grid.text(1, g.OWED) == "12.00"
    assert "Undistributed: $72.00" in page.undistributed.text()
    # status stays "1 Primary"; the payer's claim number; row 1: allowed 80, paid 60, CO-45 20,
    # PR-2 20; Tab then skips to row 2's allowed
    type_cells(grid, "", "icn555", "80", "60", "CO", "45", "20", "PR", "2", "20", "", "", "", "")
    assert (grid.currentRow(), grid.currentColumn()) == (1, g.ALLOWED)
    assert grid.text(0, g.PAID) == "60.00" and grid.text(0, g.FIRST_ADJ + 3) == "PR"
    assert grid.text(0, g.UNEXPLAINED) == "0.00"
    assert "Contractual obligation" in grid.item(0, g.FIRST_ADJ + 1).toolTip()
    type_cells(grid, "12", "12")
    assert grid.text(1, g.UNEXPLAINED) == "0.00"
    assert page.undistributed.text() == "Undistributed: $0.00"
    assert "b00020" not in page.undistributed.styleSheet()
    page.post_button.click()
    qtbot.waitUntil(lambda: page.result.text().startswith("Posted check EOB-7001"),
                    timeout=10000)
    assert page.grid.rowCount() == 0 and page.problem_texts() == []
    assert "to patients $20.00" in page.result.text()
    after = admin.claims.get(v.id)
    assert (after.status, after.payer_claim_number) == ("paid", "ICN555")


def test_a_claims_status_is_typed_into_its_first_row(qtbot, admin: Services, c: Clinic,
                                                     tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    page = eob_page(qtbot, admin)
    page.claim_edit.setText(f"{v.id}")
    page.add_claim()
    grid = page.grid
    assert (grid.currentRow(), grid.currentColumn()) == (0, g.STATUS)
    type_cells(grid, "4")  # denied
    assert grid.status(1) == "4" and grid.text(0, g.STATUS) == "4 Denied"
    assert grid.currentColumn() == g.ICN
    QTest.keyClick(grid, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    type_cells(grid, "22")  # a reversal: the charge counts negative
    assert grid.status(0) == "22" and grid.text(0, g.UNEXPLAINED) == "-100.00"
    assert not grid.item(1, g.STATUS).flags() & Qt.ItemFlag.ItemIsEditable


def fill_row(grid: g.EobGrid, row: int, paid: str, *adj: tuple[str, str, str],
             allowed: str = "") -> None:
    """Set a row's cells through the grid's API (what the editors store)."""
    grid.set_cell(row, g.ALLOWED, allowed)
    grid.set_cell(row, g.PAID, paid)
    for n, (group, reason, amount) in enumerate(adj):
        for k, text in enumerate((group, reason, amount)):
            grid.set_cell(row, g.FIRST_ADJ + 3 * n + k, text)


def test_an_eob_that_does_not_balance_is_held_back_with_its_rows_named(
        qtbot, admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    page = eob_page(qtbot, admin)
    start_check(page, c.payer_id, "EOB-7002", "80.00")
    page.claim_edit.setText(str(v.id))
    page.add_claim()
    grid = page.grid
    fill_row(grid, 0, "60.00", ("CO", "45", "20.00"), ("PR", "2", "20.00"))
    fill_row(grid, 1, "12.00", ("CO", "45", "5.00"))  # charged 12, paid 12, adjusted 5
    assert page.undistributed.text() == "Undistributed: $8.00"
    assert "b00020" in page.undistributed.styleSheet()  # red
    assert grid.text(0, g.UNEXPLAINED) == "0.00" and grid.text(1, g.UNEXPLAINED) == "-5.00"
    assert grid.item(1, g.UNEXPLAINED).foreground().color().name() == "#b00020"
    page.post_button.click()
    qtbot.waitUntil(lambda: bool(page.problem_texts()), timeout=10000)
    problems = "\n".join(page.problem_texts())
    assert f"claim {v.id}, row 2: 36415" in problems and "is not accounted for" in problems
    assert "$8.00 of the $80.00 check is not distributed" in problems
    assert admin.claims.get(v.id).status == "submitted"  # nothing posted
    assert grid.rowCount() == 2 and grid.text(1, g.FIRST_ADJ + 2) == "5.00"  # kept as typed
    page.problems.setCurrentRow(0)
    page._go_to_problem(page.problems.item(
        next(i for i, t in enumerate(page.problem_texts()) if "row 2" in t)))
    assert grid.currentRow() == 1
    assert "Contractual obligation" in page.words.text()
    page.plb_reason.setCurrentIndex(page.plb_reason.findData("L6"))  # interest on the check
    page.plb_amount.setText("-8.00")
    assert page.undistributed.text() == "Undistributed: $0.00"
    page.plb_reason.setCurrentIndex(0)
    page.plb_amount.clear()
    # the clerk fixes the row and the check amount: it posts
    grid.set_cell(1, g.FIRST_ADJ + 2, "")
    grid.set_cell(1, g.FIRST_ADJ, "")
    grid.set_cell(1, g.FIRST_ADJ + 1, "")
    page.check_amount.setText("72.00")
    assert page.undistributed.text() == "Undistributed: $0.00"
    page.post_button.click()
    qtbot.waitUntil(lambda: page.result.text().startswith("Posted"), timeout=10000)
    assert admin.claims.get(v.id).status == "paid"


# --- at the desk ---------------------------------------------------------------------------------
def pick(page: DeskPage | LedgerPage, text: str) -> None:
    """Search the patient as the clerk would and take the first match."""
    page.picker.search.setText(text)
    page.picker.run_search()
    page.picker.matches.setCurrentRow(0)


def payments(sv: Services) -> int:
    with sv.db.session() as s:
        return s.query(PatientPayment).count()


def test_a_card_payment_at_the_desk_with_its_receipt(
        qtbot, admin: Services, c: Clinic, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    self_pay(admin, c, 1, (30, ("99213",)), (5, ("36415",)))  # PayerA owes 100 + 12
    page = DeskPage(PaymentsServices.of(admin))
    shown(qtbot, page)
    pick(page, "Payera")
    assert page.table.rowCount() == 2 and page.table.item(0, 3).text() == "100.00"
    assert "owes $112.00" in page.summary.text() and "Insurance" in page.summary.text()
    form = page.form
    form.amount.setText("50")
    form.set_method("card")
    form.reference.setText("12345")  # a 5th digit: refused here, nothing sent
    page.take_button.click()
    assert form.problem("reference") == "Enter only the last 4 digits of the card, nothing more."
    assert form.reference.text() == ""  # what may be a card number is not kept on screen
    assert payments(admin) == 0 and page.result.text() == ""
    form.reference.setText("4242")
    page.take_button.click()
    assert payments(admin) == 1 and form.problem("reference") == ""
    assert page.result.text().startswith("Receipt ") and "card ending 4242" in page.result.text()
    assert "$50.00 to 99213" in page.result.text()
    assert page.table.item(0, 3).text() == "50.00"  # the oldest visit first
    page.receipt_button.click()
    text = pdf_text(page.dialog.pdf)
    assert "$50.00" in text and "4242" in text
    saved = tmp_path / "receipt.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(saved), "")))
    page.dialog.save_button.click()
    assert "$50.00" in pdf_text(saved.read_bytes())


def test_a_payment_to_a_ticked_visit_its_credit_moved_and_a_refund(
        qtbot, messages, admin: Services, c: Clinic) -> None:
    self_pay(admin, c, 1, (30, ("99213",)), (5, ("36415",)))
    page = DeskPage(PaymentsServices.of(admin))
    shown(qtbot, page)
    pick(page, "Payera")
    page.tick(1)  # the lab visit, 12.00
    assert page.form.chosen.isChecked() and page.table.item(1, 4).text() == "12.00"
    page.form.amount.setText("20.00")
    page.form.set_method("check")
    page.form.reference.setText("1042")
    page.take_button.click()
    assert "$12.00 to 36415" in page.result.text()
    assert "$8.00 stays on the account as a credit" in page.result.text()
    assert page.transfer_button.isEnabled() and not page.refund_button.isEnabled()
    page.transfer()  # the $8.00 credit onto the office visit
    dialog = page.dialog
    assert dialog.form.editors["source"].currentText() == "The account (credit $8.00)"
    assert dialog.form.editors["to"].currentText().endswith("99213 (owes $100.00)")
    dialog.form.editors["amount"].setText("8.00")
    dialog.form.editors["reason"].setText("Credit applied to the office visit")
    dialog.submit()
    assert page.result.text().startswith("Credit moved.") and page.balance.credit == 0
    assert page.table.item(0, 3).text() == "92.00"
    page.form.amount.setText("100.00")  # $8.00 too much: a credit, refunded
    page.take_button.click()
    assert page.refund_button.isEnabled()
    page.refund()
    dialog = page.dialog
    assert dialog.form.editors["amount"].text() == "8.00"
    dialog.form.editors["method"].setCurrentIndex(0)  # cash
    dialog.form.editors["reason"].setText("Paid twice")
    dialog.submit()
    assert page.result.text().startswith("Refunded.") and page.balance.patient == 0
    assert messages == []


def test_the_front_desk_takes_payments_but_sees_no_ledger_eob_or_day_close(
        qtbot, admin: Services, c: Clinic) -> None:
    self_pay(admin, c, 1, (30, ("99213",)))
    sign_in_as(admin, "front_desk")
    ctx = admin.ctx
    assert can_take_payments(ctx)
    assert not (can_post_eob(ctx) or can_view_ledger(ctx) or can_close_day(ctx))
    page = DeskPage(PaymentsServices.of(admin))
    shown(qtbot, page)
    assert page.refund_button.isHidden() and page.transfer_button.isHidden()
    pick(page, "Payera")
    assert "owes $100.00" in page.summary.text() and "Insurance" not in page.summary.text()
    page.form.amount.setText("25.00")
    page.take_button.click()
    assert page.result.text().startswith("Receipt ") and "by cash" in page.result.text()
    assert "owes $75.00" in page.summary.text()
    sign_in_as(admin, "biller")
    assert all(f(admin.ctx) for f in (can_take_payments, can_post_eob, can_view_ledger,
                                      can_close_day))


# --- the ledger ----------------------------------------------------------------------------------
def paid_on_paper(sv: Services, c: Clinic, tmp_path: Path, n: int = 1) -> int:
    """A claim of DoeA/B… paid on a paper EOB: $30.00 left to the patient; the patient id."""
    v = sent(sv, c, n, tmp=tmp_path)
    office, lab = v.lines
    sv.payments.post_eob(EobData(c.payer_id, f"E{n}", TODAY, D("60.00"), (EobClaim(v.id, lines=(
        EobLine(office.id, D("80.00"), D("60.00"), (("CO", "45", D(20)), ("PR", "2", D(20)))),
        EobLine(lab.id, None, D("0.00"), (("CO", "45", D(2)), ("PR", "1", D(10)))))),)))
    return v.patient_id


def ledger_page(qtbot, sv: Services, name: str) -> LedgerPage:
    page = LedgerPage(PaymentsServices.of(sv))
    shown(qtbot, page)
    pick(page, name)
    return page


def test_the_ledger_runs_to_the_balance_and_a_visit_line_is_written_off(
        qtbot, messages, admin: Services, c: Clinic, tmp_path: Path) -> None:
    pid = paid_on_paper(admin, c, tmp_path)
    admin.payments.take_payment(pid, D("10.00"), "cash")  # the office visit: owes 10 more
    page = ledger_page(qtbot, admin, "Doea")
    t = page.table
    assert t.rowCount() == len(page.ledger.rows) > 5
    balance = admin.payments.patient_balance(pid)
    assert t.item(t.rowCount() - 1, 7).text() == "20.00" == f"{balance.account_total:,.2f}"
    assert t.item(0, 1).text() == "Charge" and t.item(0, 7).text() == "100.00"
    assert "Contractual obligation" in "".join(t.item(i, 2).text() for i in range(t.rowCount()))
    assert page.party_table.item(0, 0).text() == "Patient"
    assert page.party_table.item(0, 1).text() == "20.00"
    assert page.visit_table.rowCount() == 1 and page.visit_table.item(0, 6).text() == "20.00"
    assert "the patient owes $20.00; balance $20.00" in page.balance.text()
    lab = next(i for i, r in enumerate(page.ledger.rows) if r.code == "36415")
    t.selectRow(lab)
    assert page.write_off_button.isEnabled()
    page.write_off()
    dialog = page.dialog
    assert dialog.form.editors["part"].currentText() == "Patient's part ($10.00 owed)"
    assert dialog.form.editors["amount"].text() == "10.00"
    dialog.form.editors["reason"].setText("Hardship")
    dialog.submit()
    assert "balance $10.00" in page.balance.text() and messages == []
    assert page.table.item(page.table.rowCount() - 1, 1).text() == "Write-off"


def test_a_payers_part_is_written_off_and_small_balances_are_listed_first(
        qtbot, messages, admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    page = ledger_page(qtbot, admin, "Doea")
    page.table.selectRow(0)
    page.write_off()
    dialog = page.dialog
    assert dialog.form.editors["part"].currentText() == "Acme Health's part ($100.00 owed)"
    dialog.form.editors["reason"].setText("Timely filing limit missed")
    dialog.submit()
    assert "balance $0.00" in page.balance.text()
    assert admin.payments.ledger(v.patient_id).by_party == ()
    pid = self_pay(admin, c, 2, (5, ("36415",)))
    admin.payments.take_payment(pid, D("8.00"), "cash")  # $4.00 left: a small balance
    page.small_balances()
    small = page.dialog
    assert small.table.rowCount() == 1 and small.table.item(0, 2).text() == "4.00"
    assert small.total.text().startswith("Would write off: 1 visit(s), $4.00")
    assert admin.payments.patient_balance(pid).owes == D("4.00")  # a dry run posts nothing
    small.post_button.click()
    assert small.total.text().startswith("Written off: 1 visit(s)")
    assert admin.payments.patient_balance(pid).owes == 0 and messages == []


# --- closing the day -----------------------------------------------------------------------------
def test_closing_the_day_sends_later_payments_to_the_next_day(
        qtbot, messages, admin: Services, c: Clinic) -> None:
    pid = self_pay(admin, c, 1, (3, ("99213",)))
    admin.payments.take_payment(pid, D("30.00"), "card", "4242")
    page = DayPage(PaymentsServices.of(admin))
    shown(qtbot, page)
    assert page.day() == TODAY and page.close_button.isEnabled()
    kinds = {page.kind_table.item(i, 0).text(): page.kind_table.item(i, 2).text()
             for i in range(page.kind_table.rowCount())}
    assert kinds["Patient payment"] == "-30.00" and kinds["Charge"] == "100.00"
    assert kinds["Net change"] == "70.00"
    assert page.user_table.item(0, 0).text() == "admin"
    page.show_sheet()
    assert "preview" in page.dialog.windowTitle() and page.dialog.page_count() >= 1
    page.close_day()
    qtbot.waitUntil(lambda: page.closed_table.rowCount() == 1, timeout=10000)
    assert f"dated {TODAY + timedelta(days=1):%m/%d/%Y} or later" in messages[0][1]
    assert page.closed_table.item(0, 0).text() == f"{TODAY:%m/%d/%Y}"
    assert not page.close_button.isEnabled() and "Closed by admin" in page.state.text()
    assert "as printed" in page.dialog.windowTitle()
    admin.payments.take_payment(pid, D("20.00"), "cash")
    ledger = ledger_page(qtbot, admin, "Payera")
    last = ledger.table.rowCount() - 1
    assert ledger.table.item(last, 1).text() == "Patient payment"
    assert ledger.table.item(last, 0).text() == f"{TODAY + timedelta(days=1):%m/%d/%Y}"
    assert ledger.table.item(last - 1, 0).text() == f"{TODAY:%m/%d/%Y}"
    page.closed_table.selectRow(0)
    page.reprint()
    assert "Patient payment" in pdf_text(page.dialog.pdf)


# --- looking at it -------------------------------------------------------------------------------
def grab(widget: QWidget, out: Path, name: str) -> None:
    widget.show()
    QApplication.processEvents()
    widget.grab().save(str(out / f"{name}.png"))


def busy_day(sv: Services, c: Clinic, tmp_path: Path) -> int:
    """A morning's work: two paper EOBs, desk payments, two closed days before today, a
    patient with a small balance; the patient id of DoeA."""
    for back in (2, 1):
        sv.day_close.close_day(TODAY - timedelta(days=back))
    pid = paid_on_paper(sv, c, tmp_path, 1)
    paid_on_paper(sv, c, tmp_path, 2)
    sv.payments.take_payment(pid, D("10.00"), "card", "4242")
    other = self_pay(sv, c, 5, (40, ("99213",)), (12, ("99213", "36415")))
    sv.payments.take_payment(other, D("150.00"), "check", "1042", note="At check-out")
    small = self_pay(sv, c, 6, (20, ("36415",)))
    sv.payments.take_payment(small, D("8.00"), "cash")
    return pid


def settle(qtbot, dialog: QWidget) -> QWidget:
    """A PDF dialog at the page's size, once Qt PDF has drawn its page."""
    dialog.resize(*SIZE)
    dialog.show()
    qtbot.wait(600)
    return dialog


def test_every_page_and_dialog_grabbed_to_png(qtbot, admin: Services, c: Clinic,
                                              tmp_path: Path) -> None:
    pid = busy_day(admin, c, tmp_path)
    waiting = [sent(admin, c, n, tmp=tmp_path) for n in (3, 4)]
    out = Path(os.environ.get("PAYMENTS_PNG_DIR") or tmp_path / "png")
    out.mkdir(parents=True, exist_ok=True)
    sv = PaymentsServices.of(admin)
    eob = eob_page(qtbot, admin)
    start_check(eob, c.payer_id, "884120", "150.00")
    for v in waiting:
        eob.claim_edit.setText(v.number)
        eob.add_claim()
    fill_row(eob.grid, 0, "60.00", ("CO", "45", "20.00"), ("PR", "2", "20.00"), allowed="80")
    eob.grid.set_cell(1, g.REMARKS, "N130 MA01")
    fill_row(eob.grid, 1, "0.00", ("CO", "50", "12.00"))
    fill_row(eob.grid, 2, "60.00", ("CO", "45", "20.00"), ("PR", "3", "10.00"), allowed="80")
    eob.grid.setCurrentCell(1, g.FIRST_ADJ + 1)
    eob.post_button.click()
    qtbot.waitUntil(lambda: bool(eob.problem_texts()), timeout=10000)
    grab(eob, out, "eob_problems")
    fill_row(eob.grid, 2, "60.00", ("CO", "45", "20.00"), ("PR", "3", "20.00"), allowed="80")
    fill_row(eob.grid, 3, "12.00", allowed="12")
    eob.check_amount.setText("132.00")
    eob.post_button.click()
    qtbot.waitUntil(lambda: eob.result.text().startswith("Posted"), timeout=10000)
    grab(eob, out, "eob_posted")
    desk = DeskPage(sv)
    shown(qtbot, desk)
    pick(desk, "Payere")
    desk.tick(1, "12.00")
    desk.form.amount.setText("40.00")
    desk.form.set_method("card")
    desk.form.reference.setText("4111111111111111")
    desk.take_button.click()
    grab(desk, out, "desk_card_refused")
    desk.form.reference.setText("1111")
    desk.take_button.click()
    grab(desk, out, "desk_taken")
    desk.show_receipt()
    grab(settle(qtbot, desk.dialog), out, "receipt")
    pick(desk, "Doea")
    desk.form.amount.setText("30.00")
    desk.form.set_method("cash")
    desk.take_button.click()  # $10.00 more than owed: a credit to refund or move
    for name in ("refund", "transfer"):
        getattr(desk, name)()
        grab(desk.dialog, out, f"{name}_dialog")
    ledger = ledger_page(qtbot, admin, "Doed")  # the claim posted from the grid above
    ledger.table.selectRow(0)
    grab(ledger, out, "ledger")
    ledger.write_off()
    grab(ledger.dialog, out, "write_off_dialog")
    ledger.small_balances()
    grab(ledger.dialog, out, "small_balances_dialog")
    day = DayPage(sv)
    shown(qtbot, day)
    grab(day, out, "day_close")
    day.show_sheet()
    grab(settle(qtbot, day.dialog), out, "day_sheet")
    assert pid and len(list(out.glob("*.png"))) >= 12
