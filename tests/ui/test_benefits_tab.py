"""The Benefits tab through its widgets: find a patient, add a coverage, record a phone
verification in the dialog (a bad amount is refused beside its field), change the order from
a date, and who may edit."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit

from app.services import Services
from app.services.coverage import CoverageData
from app.services.directory import PayerData
from app.ui.tabs.benefits_tab import BenefitsTab
from tests.conftest import ADMIN, ADMIN_PASSWORD, add_user
from tests.unit.test_coding import new_patient

TODAY = date.today()


@pytest.fixture
def clinic(admin: Services) -> tuple[Services, int, dict[str, int]]:
    payers = {}
    for name, code in (("Acme Health", "ACME1"), ("Bravo Care", "BRAVO")):
        saved = admin.directory.save_payer(PayerData(name, code, "CI"))
        assert saved.id is not None
        payers[code] = saved.id
    return admin, new_patient(admin, 1, last="Benefit", first="Bea"), payers


def make_tab(qtbot, sv: Services) -> BenefitsTab:
    tab = BenefitsTab(ctx=sv.ctx, patients=sv.patients, coverage=sv.coverage,
                      eligibility=sv.eligibility, directory=sv.directory,
                      estimates=sv.estimates, eligibility_files=sv.eligibility_files)
    qtbot.addWidget(tab)
    tab.resize(1300, 800)
    tab.show()
    return tab


def set_text(form, attr: str, text: str) -> None:
    editor = form.editors[attr]
    assert isinstance(editor, QLineEdit)
    editor.setText(text)


def choose(form, attr: str, code: str) -> None:
    combo = form.editors[attr]
    assert isinstance(combo, QComboBox)
    combo.setCurrentIndex(combo.findData(code))


def test_find_a_patient_add_a_coverage_and_record_a_phone_check(
        qtbot, messages, clinic) -> None:
    sv, pid, payers = clinic
    tab = make_tab(qtbot, sv)
    page = tab.page("Coverage and verification")
    qtbot.keyClicks(page.search, "benefit")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=3000)
    page.results.clicked.emit(page.model.index(0, 1))
    assert page.patient_id == pid and "never" not in page.warnings.text()
    assert "No coverage in force" in page.warnings.text()

    page.add_coverage()
    form = page.dialog.form
    choose(form, "payer_id", str(payers["ACME1"]))
    set_text(form, "member_id", "w555")
    set_text(form, "effective_from", "01/01/2024")
    set_text(form, "copay", "$25")
    page.dialog.submit()
    assert not page.dialog.isVisible()
    assert [(r.rank_label, r.payer_name, r.data.member_id, r.data.copay) for r in page.rows] == [
        ("Primary", "Acme Health", "W555", Decimal("25.00"))]
    assert page.coverages.item(0, 7).text() == "Not verified"
    assert "not verified within 30 days" in page.warnings.text()

    page.coverages.selectRow(0)
    page.record_check()
    dialog = page.dialog
    choose(dialog.form, "active", "yes")
    set_text(dialog.form, "representative", "Dana at Acme")
    set_text(dialog.form, "reference", "R-77")
    set_text(dialog.form, "deductible_total", "1,500")
    set_text(dialog.form, "deductible_met", "oops")
    dialog.submit()
    assert dialog.isVisible() and "not an amount" in dialog.form.problem("deductible_met")
    set_text(dialog.form, "deductible_met", "2000")
    dialog.submit()
    assert dialog.isVisible()
    assert "cannot be more than the total" in dialog.form.problem("deductible_met")
    set_text(dialog.form, "deductible_met", "300")
    dialog.benefits.table.cellWidget(0, 3).setText("30")
    dialog.benefits.table.cellWidget(1, 3).setText("20")
    dialog.submit()
    assert not dialog.isVisible()
    assert [(c.method, c.status) for c in page.checks] == [("phone", "Active")]
    text = page.check_text.toPlainText()
    assert "Deductible: 1,500.00 (met 300.00, 1,200.00 left)" in text
    assert "Co-payment, Physician visit - office (98), in network: 30.00" in text
    assert "Co-insurance, Health benefit plan coverage (30), in network: 20%" in text
    assert page.warnings.text() == ""
    assert page.coverages.item(0, 7).text() == "Active"
    assert messages == []


def test_moving_a_coverage_up_changes_the_order_from_the_date(qtbot, messages,
                                                               clinic) -> None:
    sv, pid, payers = clinic
    for code, member in (("ACME1", "A1"), ("BRAVO", "B1")):
        sv.coverage.save(CoverageData(pid, payers[code], member, date(2024, 1, 1)))
    tab = make_tab(qtbot, sv)
    page = tab.page("Coverage and verification")
    page.show_patient(pid)
    page.coverages.selectRow(1)
    page.order_from.set_date(TODAY - timedelta(days=10))
    qtbot.mouseClick(page.up_button, Qt.MouseButton.LeftButton)
    assert [r.payer_name for r in page.rows] == ["Bravo Care", "Acme Health"]
    earlier = sv.coverage.in_force(pid, TODAY - timedelta(days=11))
    assert [r.payer_name for r in earlier] == ["Acme Health", "Bravo Care"]
    page.order_from.setText("13/45/2025")
    page.coverages.selectRow(1)
    qtbot.mouseClick(page.up_button, Qt.MouseButton.LeftButton)
    assert messages and "MM/DD/YYYY" in messages[-1][1]
    assert [r.payer_name for r in page.rows] == ["Bravo Care", "Acme Health"]


def test_coders_see_coverages_but_cannot_change_them(qtbot, messages, clinic) -> None:
    sv, pid, payers = clinic
    sv.coverage.save(CoverageData(pid, payers["ACME1"], "A1", date(2024, 1, 1)))
    sv.users.sign_in(ADMIN, ADMIN_PASSWORD)
    sv.users.sign_in("coder1", add_user(sv, "coder1", "coder"))
    tab = make_tab(qtbot, sv)
    page = tab.page("Coverage and verification")
    page.show_patient(pid)
    assert [r.payer_name for r in page.rows] == ["Acme Health"]
    assert page.add_button.isHidden() and page.verify_button.isHidden()
    page.add_coverage()
    assert page.dialog is None


def test_the_chart_header_shows_coverages_and_when_they_were_verified(
        qtbot, messages, clinic) -> None:
    from app.ui.tabs.history.chart_view import ChartView

    sv, pid, payers = clinic
    view = ChartView(ctx=sv.ctx, patients=sv.patients, history=sv.history,
                     documents=sv.documents, summary=sv.summary, coverage=sv.coverage)
    qtbot.addWidget(view)
    view.show_patient(pid)
    assert "none in force (self-pay)" in view.coverage.text()
    a = sv.coverage.save(CoverageData(pid, payers["ACME1"], "A1", date(2024, 1, 1))).data.id
    sv.coverage.save(CoverageData(pid, payers["BRAVO"], "B1", date(2024, 1, 1)))
    from app.services.eligibility import CheckData

    sv.eligibility.record_check(CheckData(a or 0, TODAY - timedelta(days=2), "portal", True))
    view.show_patient(pid)
    text = view.coverage.text()
    checked = TODAY - timedelta(days=2)
    assert f"<b>Primary</b> Acme Health · member A1 · verified {checked:%m/%d/%Y} (active)" in text
    assert "<b>Secondary</b> Bravo Care · member B1 · never verified" in text
    assert "Bravo Care coverage not verified within 30 days" in text


def test_an_estimate_is_worked_out_in_the_dialog(qtbot, messages, clinic, monkeypatch,
                                                 tmp_path) -> None:
    from PySide6.QtWidgets import QFileDialog, QTableWidgetItem

    sv, pid, payers = clinic
    sv.fees.set_fee("99213", "", Decimal("150.00"))
    tab = make_tab(qtbot, sv)
    page = tab.page("Coverage and verification")
    page.show_patient(pid)
    qtbot.mouseClick(page.estimate_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    dialog.plan.setItem(0, 0, QTableWidgetItem("99213"))
    dialog.plan.setItem(1, 0, QTableWidgetItem("12345"))
    dialog.work_out()
    assert "line 2: 12345 has no fee" in dialog.steps.toPlainText()
    assert not dialog.pdf_button.isEnabled()
    dialog.plan.setItem(1, 0, QTableWidgetItem(""))
    dialog.work_out()
    assert "Patient's estimated share: 150.00" in dialog.totals.text()
    assert "self-pay" in dialog.totals.text() and dialog.lines.item(0, 4).text() == "150.00"
    out = tmp_path / "est.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(out), "")))
    dialog.save_pdf()
    assert out.read_bytes().startswith(b"%PDF") and messages == []


def test_import_a_271_and_accept_one_demographic_change(qtbot, messages, clinic, monkeypatch,
                                                        tmp_path) -> None:
    from PySide6.QtWidgets import QFileDialog
    from sqlalchemy import select

    from app.models import EligibilityInquiry
    from app.services.history import EncounterData
    from tests.unit.x271_fixtures import subscriber, wrap

    sv, pid, payers = clinic
    sv.coverage.save(CoverageData(pid, payers["ACME1"], "W123", date(2024, 1, 1)))
    sv.history.save(EncounterData(pid, TODAY + timedelta(days=2)))
    tab = make_tab(qtbot, sv)
    page = tab.page("270 / 271 files")
    out = tmp_path / "batch.270"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(out), "")))
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    assert "Wrote 1 inquiries" in page.result.text() and out.exists()
    with sv.db.session() as s:
        trace = s.scalars(select(EligibilityInquiry.trace)).one()
    answer = tmp_path / "answer.271"
    answer.write_text(wrap(subscriber(3, trace, last="BENEFITT", member="W123",
                                      extra=("EB*1**30", "EB*B*IND*98***27*25"))))
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(answer), "")))
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    assert "1 verifications, 0 rejected" in page.result.text()
    shown = {page.diff_table.item(r, 1).text(): r for r in range(page.diff_table.rowCount())}
    assert "Patient's last name" in shown
    row = shown["Patient's last name"]
    assert (page.diff_table.item(row, 2).text(), page.diff_table.item(row, 3).text()) == (
        "Benefit", "BENEFITT")
    page.diff_table.selectRow(row)
    qtbot.mouseClick(page.accept_button, Qt.MouseButton.LeftButton)
    assert messages[-1][0] == "question" and "BENEFITT" in messages[-1][1]
    assert sv.patients.get(pid).data.last_name == "BENEFITT"
    assert "Patient's last name" not in [page.diff_table.item(r, 1).text()
                                         for r in range(page.diff_table.rowCount())]
    patient_page = tab.page("Coverage and verification")
    patient_page.show_patient(pid)
    assert [c.method for c in patient_page.checks] == ["271"]
    assert "Co-payment, Physician visit - office (98), individual: 25.00 per visit" in \
        patient_page.check_text.toPlainText()


def test_a_rejection_shows_as_work_to_follow_up(qtbot, messages, clinic, monkeypatch,
                                                tmp_path) -> None:
    from PySide6.QtWidgets import QFileDialog
    from sqlalchemy import select

    from app.models import EligibilityInquiry
    from tests.unit.x271_fixtures import subscriber, wrap

    sv, pid, payers = clinic
    sv.coverage.save(CoverageData(pid, payers["ACME1"], "W123", date(2024, 1, 1)))
    sv.eligibility_files.export_270(tmp_path / "b.270", patient_ids=[pid])
    with sv.db.session() as s:
        trace = s.scalars(select(EligibilityInquiry.trace)).one()
    answer = tmp_path / "r.271"
    answer.write_text(wrap(subscriber(3, trace, last="BENEFIT", extra=("AAA*N**75*C",))))
    tab = make_tab(qtbot, sv)
    page = tab.page("270 / 271 files")
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(answer), "")))
    page.import_271()
    assert page.work_table.rowCount() == 1
    assert page.work_table.item(0, 1).text() == "Benefit, Bea"
    assert "cannot find the subscriber" in page.work_table.item(0, 3).text()
    qtbot.mouseClick(page.done_button, Qt.MouseButton.LeftButton)
    assert page.work_table.rowCount() == 0
    page.import_271()  # the same file again: refused, shown, nothing changes
    assert messages and "already imported" in messages[-1][1]


def test_a_270_for_the_patient_on_screen(qtbot, messages, clinic, monkeypatch,
                                         tmp_path) -> None:
    from PySide6.QtWidgets import QFileDialog

    from app.formats.x12.segments import interchanges

    sv, pid, payers = clinic
    sv.coverage.save(CoverageData(pid, payers["ACME1"], "W123", date(2024, 1, 1)))
    tab = make_tab(qtbot, sv)
    page = tab.page("Coverage and verification")
    page.show_patient(pid)
    out = tmp_path / "one.270"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(out), "")))
    qtbot.mouseClick(page.ask_button, Qt.MouseButton.LeftButton)
    assert messages[-1][0] == "information" and "Wrote 1 inquiries" in messages[-1][1]
    (ic,) = interchanges(out.read_bytes(), out.name)
    assert [t.code for t in ic.transactions] == ["270"]
