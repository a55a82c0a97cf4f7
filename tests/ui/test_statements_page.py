"""The Payment plans tab's Statements and Collections pages through their widgets on a real
encrypted clinic: a run previewed (accounts to be sent, accounts left out with why), one
unticked and left out, printed (the PDF shown, the run listed), printed again whole and one
statement at a time; a hold put on and released from the preview; a stale preview after the
date changes; the collections candidates ticked, exported to CSV and handed to an agency,
then recalled; a hold found by name; and who sees which page and the settings button. Each
page is grabbed to PNG. All names are made up."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from app.services import Services
from app.services.statements import SKIP_HOLD, SKIP_MINIMUM, StatementSettingsData
from app.ui.tabs.payments.pdf_dialog import PdfDialog
from app.ui.tabs.plans.collections_page import TICK, CollectionsPage
from app.ui.tabs.plans.statement_dialogs import HoldDialog, RunStatementsDialog, SendDialog
from app.ui.tabs.plans.statement_settings import StatementSettingsDialog
from app.ui.tabs.plans.statements_page import SEND, StatementsPage
from app.ui.tabs.plans_tab import COLLECTIONS, NEW_PLAN, PLANS, STATEMENTS
from tests.ui.test_plans_tab import make_tab
from tests.unit.claim_fixtures import Clinic, clinic
from tests.unit.test_coding import sign_in_as
from tests.unit.test_statements import self_pay

D = Decimal
TODAY = date.today()


@pytest.fixture
def c(admin: Services) -> Clinic:
    clinic_ = clinic(admin)
    admin.statements.save_settings(StatementSettingsData(days_between=0))
    return clinic_


def page_of(qtbot, sv: Services, title: str) -> StatementsPage | CollectionsPage:
    tab = make_tab(qtbot, sv)
    page = tab.page(title)
    page.owner_tab = tab  # keep the tab alive with the test's reference
    qtbot.waitUntil(lambda: page._loaded)
    return page


def grab(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    assert widget.grab().save(str(path))


def cells(table, col: int) -> list[str]:
    return [table.item(i, col).text() for i in range(table.rowCount())]


def previewed(qtbot, page: StatementsPage) -> None:
    page.preview = None
    page.preview_button.click()
    qtbot.waitUntil(lambda: page.preview is not None and not page.busy, timeout=20_000)


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


# --- statements --------------------------------------------------------------------------------
def test_a_run_is_previewed_one_account_left_out_printed_and_reprinted(
        qtbot, admin: Services, c: Clinic, tmp_path: Path) -> None:
    one, two = self_pay(admin, c, 1), self_pay(admin, c, 2)
    small = self_pay(admin, c, 3, "36415")  # $12.00, under the minimum
    admin.statements.save_settings(StatementSettingsData(minimum_balance=D("20.00"),
                                                         days_between=0))
    page: StatementsPage = page_of(qtbot, admin, STATEMENTS)
    assert not page.print_button.isEnabled()  # nothing previewed yet
    previewed(qtbot, page)
    assert cells(page.send_table, 1) == ["M0000001", "M0000002"]
    assert cells(page.send_table, 3) == ["112.00", "112.00"]
    assert cells(page.left_table, 0) == ["M0000003"]
    assert cells(page.left_table, 3) == [SKIP_MINIMUM]
    assert "2 statement(s), $224.00" in page.send_label.text()
    grab(page, tmp_path / "statements_preview.png")
    page.send_table.item(1, SEND).setCheckState(Qt.CheckState.Unchecked)
    assert page.ticked() == [one] and "1 unticked" in page.send_label.text()
    page.print_button.click()
    qtbot.waitUntil(lambda: isinstance(page.dialog, PdfDialog), timeout=30_000)
    printed = page.dialog.pdf
    assert "M0000001" in pdf_text(printed) and "M0000002" not in pdf_text(printed)
    assert page.preview is None and not page.print_button.isEnabled()
    assert "1 statement(s)" in page.result.text() and "$112.00" in page.result.text()
    (run,) = admin.statements.runs()
    assert (run.accounts, run.total) == (1, D("112.00"))
    assert cells(page.runs_table, 0) == [str(run.id)] and page.current_run() == run
    page.dialog.close()
    grab(page, tmp_path / "statements_printed.png")
    page.reprint_button.click()  # the batch again, byte for byte
    qtbot.waitUntil(lambda: isinstance(page.dialog, PdfDialog) and page.dialog.isVisible())
    assert page.dialog.pdf == printed
    page.dialog.close()
    page.open_button.click()
    dialog = page.dialog
    assert isinstance(dialog, RunStatementsDialog)
    assert cells(dialog.table, 1) == ["M0000001"] and cells(dialog.table, 3) == ["112.00"]
    grab(dialog, tmp_path / "statements_run.png")
    dialog.find.setText("M0000002")
    assert dialog.table.rowCount() == 0 and not dialog.print_button.isEnabled()
    dialog.find.setText("0001")
    dialog.print_button.click()
    assert "M0000001" in pdf_text(dialog.pdf.pdf)
    # the account left out by the clerk gets its statement in the next run
    previewed(qtbot, page)
    assert two in [r.patient_id for r in page.preview.accounts]
    assert small not in [r.patient_id for r in page.preview.accounts]


def test_a_hold_from_the_preview_leaves_the_account_out_until_released(
        qtbot, admin: Services, c: Clinic, tmp_path: Path) -> None:
    pid = self_pay(admin, c, 4)
    page: StatementsPage = page_of(qtbot, admin, STATEMENTS)
    previewed(qtbot, page)
    assert not page.hold_button.isEnabled()  # no account chosen
    page.send_table.selectRow(0)
    assert page.hold_button.isEnabled() and not page.release_button.isEnabled()
    page.hold_button.click()
    dialog = page.dialog
    assert isinstance(dialog, HoldDialog) and not dialog.ok_button.isEnabled()
    dialog.reason.setText("Disputes the lab charge")
    dialog.has_end.setChecked(True)
    dialog.until.setDate(QDate.currentDate().addDays(10))
    grab(dialog, tmp_path / "statements_hold.png")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)  # Enter puts it on hold (not Cancel)
    status = admin.statements.account_status(pid)
    assert status is not None and status.hold_until == TODAY + timedelta(days=10)
    assert page.preview is None and "on hold" in page.result.text()
    previewed(qtbot, page)
    assert page.send_table.rowCount() == 0 and cells(page.left_table, 3) == [SKIP_HOLD]
    page.left_table.selectRow(0)
    assert page.release_button.isEnabled() and not page.hold_button.isEnabled()
    page.release_button.click()
    assert admin.statements.account_status(pid) is None
    previewed(qtbot, page)
    assert cells(page.send_table, 1) == ["M0000004"]


def test_a_changed_date_or_kind_asks_for_a_new_preview(
        qtbot, admin: Services, c: Clinic) -> None:
    self_pay(admin, c, 5)
    page: StatementsPage = page_of(qtbot, admin, STATEMENTS)
    previewed(qtbot, page)
    assert page.print_button.isEnabled()
    page.date_edit.setDate(QDate.currentDate().addDays(3))
    assert page.preview is None and not page.print_button.isEnabled()
    assert "preview the run again" in page.send_label.text()
    previewed(qtbot, page)
    assert page.preview.statement_date == TODAY + timedelta(days=3)
    page.kind.setCurrentIndex(page.kind.findData("remainder"))
    assert page.preview is None and not page.print_button.isEnabled()


def test_a_run_dated_before_the_last_is_refused_with_what_to_do(
        qtbot, admin: Services, c: Clinic, messages) -> None:
    self_pay(admin, c, 6)
    admin.statements.run(TODAY + timedelta(days=5))
    page: StatementsPage = page_of(qtbot, admin, STATEMENTS)
    previewed_before = page.preview
    page.preview_button.click()
    qtbot.waitUntil(lambda: bool(messages) and not page.busy, timeout=20_000)
    assert "already run" in messages[0][1] and page.preview is previewed_before is None
    assert len(admin.statements.runs()) == 1


# --- collections -------------------------------------------------------------------------------
def noticed(sv: Services, c: Clinic, *ns: int) -> list[int]:
    """Patients sent four statements, the last (in 3 days) a final notice."""
    ids = [self_pay(sv, c, n) for n in ns]
    for k in range(4):
        sv.statements.run(TODAY + timedelta(days=k), patient_ids=ids)
    return ids


def test_candidates_are_exported_sent_and_recalled(
        qtbot, admin: Services, c: Clinic, tmp_path: Path, monkeypatch) -> None:
    one, two = noticed(admin, c, 7, 8)
    page: CollectionsPage = page_of(qtbot, admin, COLLECTIONS)
    assert page.table.rowCount() == 0 and "No account" in page.count_label.text()
    page.as_of.setDate(QDate.currentDate().addDays(40))  # 37 days after the final notice
    assert cells(page.table, 1) == ["M0000007", "M0000008"]
    assert not page.export_button.isEnabled() and not page.send_button.isEnabled()
    page.table.item(0, TICK).setCheckState(Qt.CheckState.Checked)
    assert "1 of 2 ticked, $112.00" in page.count_label.text()
    out = tmp_path / "agency.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(out), "CSV files (*.csv)")))
    page.export_button.click()
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["account_number"], r["balance"]) for r in rows] == [("M0000007", "112.00")]
    assert "agency.csv" in page.result.text()
    grab(page, tmp_path / "collections_candidates.png")
    page.send_button.click()
    dialog = page.dialog
    assert isinstance(dialog, SendDialog) and not dialog.ok_button.isEnabled()
    dialog.agency.setText("Acme Recovery")
    grab(dialog, tmp_path / "collections_send.png")
    dialog.ok_button.click()
    assert "sent to Acme Recovery" in page.result.text()
    assert cells(page.table, 1) == ["M0000008"]  # the one sent is no candidate any more
    assert cells(page.held_table, 0) == ["M0000007"]
    assert cells(page.held_table, 2) == ["In collections"]
    assert cells(page.held_table, 4) == ["Acme Recovery"]
    grab(page, tmp_path / "collections_sent.png")
    page.held_table.selectRow(0)
    assert page.recall_button.isEnabled() and not page.release_button.isEnabled()
    page.recall_button.click()
    recall = page.dialog
    recall.reason.setPlainText("Paid the agency in full")
    recall.ok_button.click()
    assert page.held_table.rowCount() == 0 and "recalled" in page.result.text()
    assert admin.statements.account_status(one) is None
    assert two in [r.patient_id for r in page.candidates]


def test_an_account_found_by_name_is_put_on_hold_and_released(
        qtbot, admin: Services, c: Clinic, tmp_path: Path) -> None:
    (pid,) = noticed(admin, c, 9)
    page: CollectionsPage = page_of(qtbot, admin, COLLECTIONS)
    page.as_of.setDate(QDate.currentDate().addDays(40))
    assert cells(page.table, 1) == ["M0000009"]
    page.hold_button.click()
    dialog = page.dialog
    assert isinstance(dialog, HoldDialog) and dialog.picker is not None
    dialog.reason.setText("Hardship review")
    assert not dialog.ok_button.isEnabled()  # no account chosen yet
    dialog.picker.search.setText("Selfpay9")
    dialog.picker.run_search()
    dialog.picker.matches.setCurrentRow(0)
    assert dialog.ok_button.isEnabled()
    grab(dialog, tmp_path / "collections_hold.png")
    dialog.ok_button.click()
    assert page.table.rowCount() == 0  # on hold: no candidate
    assert cells(page.held_table, 2) == ["On hold"]
    assert cells(page.held_table, 4) == ["until released"]
    assert cells(page.held_table, 7) == ["Hardship review"]
    page.held_table.selectRow(0)
    assert page.release_button.isEnabled() and not page.recall_button.isEnabled()
    page.release_button.click()
    assert page.held_table.rowCount() == 0 and admin.statements.account_status(pid) is None
    assert cells(page.table, 1) == ["M0000009"]


# --- who sees what -----------------------------------------------------------------------------
def test_billers_run_statements_admins_edit_settings_front_desk_neither(
        qtbot, admin: Services, c: Clinic) -> None:
    page: StatementsPage = page_of(qtbot, admin, STATEMENTS)
    assert page.settings_button.isVisibleTo(page)
    page.settings_button.click()
    dialog = page.dialog
    assert isinstance(dialog, StatementSettingsDialog) and dialog.isVisible()
    dialog.default_kind.setCurrentIndex(dialog.default_kind.findData("remainder"))
    dialog.ok_button.click()  # the page follows the new default kind
    assert page.kind.currentData() == "remainder" and "settings saved" in page.result.text()
    sign_in_as(admin, "biller")
    tab = make_tab(qtbot, admin)
    assert list(tab.pages) == [PLANS, NEW_PLAN, STATEMENTS, COLLECTIONS]
    assert not tab.page(STATEMENTS).settings_button.isVisibleTo(tab.page(STATEMENTS))
    sign_in_as(admin, "front_desk")
    assert list(make_tab(qtbot, admin).pages) == [PLANS, NEW_PLAN]

