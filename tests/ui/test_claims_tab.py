"""The Claims tab through its widgets on a real encrypted clinic: who sees it, a claim from a
visit, the editor (saving, field problems, the scrubber and its Fix buttons, split and move,
ready and draft, replacement), printing at 100% to a PDF printer, the 837P export and the
acknowledgements, printer calibration, and the 837P settings on the Admin tab."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit
from sqlalchemy import select

from app.formats.claim_data import Printing
from app.models import Practice
from app.services import Services
from app.services.claims import ClaimView
from app.services.coding import LineDraft
from app.services.printers import PrinterCalibration
from app.ui import main_window as mw
from app.ui.tabs.claims import printing
from app.ui.tabs.claims_tab import ClaimsTab
from tests.conftest import ADMIN, ADMIN_PASSWORD, add_user
from tests.unit.claim_fixtures import Clinic, clinic, coded_visit, cover, patient
from tests.unit.test_submissions import ack_277, ack_999, counters

LINES = (LineDraft("99213", pointers="A"), LineDraft("36415", pointers="B"),
         LineDraft("20610", pointers="AB"))
LETTER = (612, 792)  # points


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


def visit(sv: Services, c: Clinic, n: int, last: str = "Doe", lines: int = 3) -> int:
    """A coded visit of a new patient with a verified primary coverage; its encounter id."""
    pid = patient(sv, n, last=last)
    cover(sv, pid, c.payer_id)
    return coded_visit(sv, pid, c, *LINES[:lines])


def claim(sv: Services, c: Clinic, n: int, *, method: str = "electronic", ready: bool = False,
          last: str = "Doe", lines: int = 3) -> ClaimView:
    v = sv.claims.create_primary(visit(sv, c, n, last, lines))
    if method != "electronic":
        v = sv.claims.update(v.id, v.version, replace(v.header, method=method))
    return sv.claims.mark_ready(v.id, v.version) if ready else v


def make_tab(qtbot, sv: Services, tmp_path: Path) -> ClaimsTab:
    tab = ClaimsTab(ctx=sv.ctx, claims=sv.claims, submissions=sv.submissions,
                    directory=sv.directory, settings=sv.settings, patients=sv.patients,
                    coverage=sv.coverage, calibration=PrinterCalibration(tmp_path / "cfg"))
    qtbot.addWidget(tab)
    tab.resize(1280, 800)
    tab.show()
    return tab


def status_of(sv: Services, claim_id: int) -> str:
    return sv.claims.search(text=str(claim_id))[0].status


def pdf_pages(path: Path) -> list[tuple[int, int]]:
    return [(round(float(p.mediabox.width)), round(float(p.mediabox.height)))
            for p in PdfReader(str(path)).pages]


# --- who sees the tab -----------------------------------------------------------------------------
def test_the_tab_is_there_only_for_roles_that_manage_claims(qtbot, admin: Services,
                                                            monkeypatch) -> None:
    w = mw.MainWindow(admin, idle_ms=0)
    qtbot.addWidget(w)
    assert list(w.tabs_by_slug) == ["history", "benefits", "coding", "claims",
                                     "payments", "plans", "quality", "admin"]
    assert isinstance(w.tabs_by_slug["claims"], ClaimsTab)
    spec = next(s for s in mw.TABS if s.slug == "claims")
    monkeypatch.setattr(mw, "ask_new_password", lambda *a, **k: True)
    for role, sees in (("biller", True), ("coder", False), ("front_desk", False)):
        admin.users.sign_in(ADMIN, ADMIN_PASSWORD)
        pw = add_user(admin, f"u_{role}", role)
        admin.users.sign_in(f"u_{role}", pw)
        assert spec.allowed(admin.ctx) is sees, role
    w.start_session()  # the front desk user is signed in now
    assert "claims" not in w.tabs_by_slug


# --- the list and a new claim ---------------------------------------------------------------------
def test_a_new_claim_from_a_visit_appears_in_the_table(qtbot, messages, admin: Services,
                                                       c: Clinic, tmp_path: Path) -> None:
    eid = visit(admin, c, 1, last="Visit")
    tab = make_tab(qtbot, admin, tmp_path)
    page = tab.page("Claims")
    assert page.model.rowCount() == 0
    page.new_claim()
    dialog = page.dialog
    assert [v[0] for v in dialog.visits] == [eid]
    qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert page.model.rowCount() == 1
    row = page.model.row(0)
    cells = [page.model.index(0, col).data() for col in range(9)]
    assert cells == [row.number, "Visit, Jane", "M0000001", "Acme Health",
                     f"{row.dos:%m/%d/%Y}", "262.00", "Draft", "Electronic", "Original"]
    align = page.model.index(0, 5).data(Qt.ItemDataRole.TextAlignmentRole)
    assert align & Qt.AlignmentFlag.AlignRight
    assert page.status_combo.itemText(0) == "All (1)"
    assert page.editor is not None and page.editor.view.id == row.id  # opened at once
    assert admin.claims.billable_encounters() == []
    qtbot.keyClicks(page.search, "nobody")
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=3000)
    assert page.count_label.text() == "0 claims" and messages == []


# --- the editor -----------------------------------------------------------------------------------
def test_the_editor_saves_a_field_and_shows_problems_under_the_field(
        qtbot, messages, admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = claim(admin, c, 1)
    tab = make_tab(qtbot, admin, tmp_path)
    page = tab.page("Claims")
    editor = page.open_claim(v.id)
    ed = editor.form.editors
    ed["prior_authorization"].setText("PA-77")
    ed["onset_date"].setText("01/02/2024")
    ed["referring_provider_id"].setCurrentIndex(ed["referring_provider_id"].findData(
        str(c.referring_id)))
    editor.save_button.click()
    stored = admin.claims.get(v.id).header
    assert (stored.prior_authorization, stored.onset_date, stored.referring_provider_id) == (
        "PA-77", date(2024, 1, 2), c.referring_id)
    assert editor.message.text().startswith("Saved")

    ed["auto_accident"].setChecked(True)
    ed["hospitalized_from"].setText("13/45/2024")
    tomorrow = date.today() + timedelta(days=1)
    ed["unable_to_work_from"].setText(f"{tomorrow:%m/%d/%Y}")
    editor.save_button.click()
    assert "not a date" in editor.form.problem("hospitalized_from")
    ed["hospitalized_from"].clear()
    editor.save_button.click()
    assert "2-letter state" in editor.form.problem("auto_accident_state")
    assert "date of the accident" in editor.form.problem("accident_date")
    assert "in the future" in editor.form.problem("unable_to_work_from")
    assert editor.form.problem("prior_authorization") == ""
    assert ed["unable_to_work_from"].text() == f"{tomorrow:%m/%d/%Y}"  # what was typed stays
    stored = admin.claims.get(v.id).header
    assert not stored.auto_accident and stored.unable_to_work_from is None
    assert messages == []


def test_the_scrubber_lists_a_broken_practice_npi_with_a_fix_button(
        qtbot, messages, admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = claim(admin, c, 1)
    with admin.db.session() as s:
        s.scalars(select(Practice)).one().npi = "1234567890"  # wrong check digit
    tab = make_tab(qtbot, admin, tmp_path)
    editor = tab.page("Claims").open_claim(v.id)
    issues = editor.scrub.issues
    assert [i.code for i in issues if i.blocking] == ["practice_npi"]
    assert issues[0].blocking  # errors come first
    assert editor.scrub.table.item(0, 0).text() == "Error"
    assert "1 error" in editor.scrub.summary.text()
    editor.ready_button.click()
    assert status_of(admin, v.id) == "draft" and "Not marked ready" in editor.message.text()

    button = editor.scrub.fix_buttons[0]
    assert button.isEnabled() and button.text() == "Fix…"
    button.click()
    dialog = editor.fixes.dialog
    assert dialog.isVisible() and dialog.form.editors["npi"].text() == "1234567890"
    dialog.form.editors["npi"].setText("1234567893")
    dialog.submit()
    assert not dialog.isVisible()
    assert admin.directory.practice().npi == "1234567893"
    assert not any(i.blocking for i in editor.scrub.issues)  # checked again after the fix
    assert "can be marked ready" in editor.scrub.summary.text()
    assert messages == []


def test_a_biller_is_told_whom_to_ask_for_a_practice_fix(qtbot, messages, admin: Services,
                                                       c: Clinic, tmp_path: Path) -> None:
    v = claim(admin, c, 1)
    with admin.db.session() as s:
        s.scalars(select(Practice)).one().npi = "1234567890"
    admin.users.sign_in("bill", add_user(admin, "bill", "biller"))
    tab = make_tab(qtbot, admin, tmp_path)
    editor = tab.page("Claims").open_claim(v.id)
    editor.scrub.fix_buttons[0].click()
    assert editor.fixes.dialog is None
    assert messages == [("information", "Your role cannot change this. Ask an administrator "
                         "to fix it in Admin → Practice, then check the claim again.")]


def test_a_claim_field_fix_focuses_the_field_and_coding_goes_to_the_coding_tab(
        qtbot, messages, admin: Services, c: Clinic, tmp_path: Path) -> None:
    from app.services.scrubber import Fix

    v = claim(admin, c, 1)
    tab = make_tab(qtbot, admin, tmp_path)
    editor = tab.page("Claims").open_claim(v.id)
    editor.tabs.setCurrentWidget(editor.lines)
    editor.fix(Fix("claim", None, "rendering_provider_id"))
    assert editor.tabs.currentWidget() is editor.details
    assert editor.focusWidget() is editor.form.editors["rendering_provider_id"]
    editor.fix(Fix("coding", v.encounter_id))
    assert not editor.isVisible()  # the window is free for the Coding tab
    assert messages[-1] == ("information", f"Open the Coding tab and code visit "
                            f"{v.encounter_id}, then check the claim again.")
    asked: list[int] = []
    tab.openEncounterRequested.connect(asked.append)
    editor = tab.page("Claims").open_claim(v.id)
    editor.fix(Fix("coding", v.encounter_id))
    assert asked == [v.encounter_id]


def test_the_window_opens_the_coding_tab_on_the_visit(qtbot, messages, admin: Services,
                                                      c: Clinic) -> None:
    v = claim(admin, c, 1)
    w = mw.MainWindow(admin, idle_ms=0)
    qtbot.addWidget(w)
    w.tabs_by_slug["claims"].code_visit(v.encounter_id)
    coding = w.tabs_by_slug["coding"]
    assert w.tab_widget.currentWidget() is coding
    assert coding.pages["Encounters"].open_id == v.encounter_id


def test_split_and_move_lines_between_claims(qtbot, messages, admin: Services, c: Clinic,
                                             tmp_path: Path, monkeypatch) -> None:
    v = claim(admin, c, 1)
    tab = make_tab(qtbot, admin, tmp_path)
    page = tab.page("Claims")
    editor = page.open_claim(v.id)
    editor.tabs.setCurrentWidget(editor.lines)
    assert not editor.lines.split_button.isEnabled()  # nothing chosen yet
    editor.lines.select([1, 2])
    assert editor.lines.selected_ids() == [v.lines[1].id, v.lines[2].id]
    editor.lines.split_button.click()
    assert [ln.code for ln in editor.view.lines] == ["99213"]
    assert page.model.rowCount() == 2
    new_id = next(r.id for r in admin.claims.for_patient(v.patient_id) if r.id != v.id)
    assert [ln.code for ln in admin.claims.get(new_id).lines] == ["36415", "20610"]
    assert "moved to the new claim" in editor.message.text()

    editor.reject()
    other = page.open_claim(new_id)
    other.lines.select([0])
    offered: list[list[str]] = []

    def pick(_parent, _title, _label, items, *a, **k):
        offered.append(list(items))
        return items[0], True

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(pick))
    other.lines.move_button.click()
    assert len(offered[0]) == 1 and offered[0][0].startswith(f"Claim {v.number} ")
    assert [ln.code for ln in admin.claims.get(v.id).lines] == ["99213", "36415"]
    assert [ln.code for ln in other.view.lines] == ["20610"]
    assert messages == []


def test_mark_ready_and_back_to_draft(qtbot, messages, admin: Services, c: Clinic,
                                      tmp_path: Path) -> None:
    v = claim(admin, c, 1)
    tab = make_tab(qtbot, admin, tmp_path)
    page = tab.page("Claims")
    editor = page.open_claim(v.id)
    assert not editor.draft_button.isEnabled()
    editor.ready_button.click()
    assert status_of(admin, v.id) == "ready"
    assert editor.status_label.text() == "Ready" and editor.draft_button.isEnabled()
    assert page.model.index(0, 6).data() == "Ready"
    assert page.status_combo.itemText(page.status_combo.findData("ready")) == "Ready (1)"
    editor.draft_button.click()
    assert status_of(admin, v.id) == "draft" and editor.status_label.text() == "Draft"
    assert [h.status for h in editor.view.history][-2:] == ["ready", "draft"]
    assert editor.history.rowCount() == len(editor.view.history)
    assert messages == []


def test_the_form_preview_shows_both_modes(qtbot, messages, admin: Services, c: Clinic,
                                           tmp_path: Path) -> None:
    v = claim(admin, c, 1)
    tab = make_tab(qtbot, admin, tmp_path)
    editor = tab.page("Claims").open_claim(v.id)
    editor.preview_button.click()
    preview = editor.dialog
    assert preview.isVisible() and preview.mode == "form" and preview.page_count() == 1
    preview.mode_combo.setCurrentIndex(preview.mode_combo.findData("data"))
    assert preview.mode == "data" and preview.page_count() == 1
    assert status_of(admin, v.id) == "draft" and messages == []


# --- printing -------------------------------------------------------------------------------------
def test_printing_module_prints_at_letter_size_one_to_one(qtbot, admin: Services, c: Clinic,
                                                          tmp_path: Path) -> None:
    a = claim(admin, c, 1, method="paper", ready=True)
    claim(admin, c, 2, method="paper", ready=True, last="Roe")
    batch = admin.submissions.paper_batch(None, "data")
    out = tmp_path / "job.pdf"
    assert printing.print_pdf(batch.pdf, printing.pdf_printer(str(out))) == 2
    assert pdf_pages(out) == [LETTER, LETTER]
    # Each sheet is one picture of the whole page at the print resolution: nothing scaled.
    image = PdfReader(str(out)).pages[0].images[0].image
    assert image.size == (int(8.5 * printing.PRINT_DPI), 11 * printing.PRINT_DPI)
    assert status_of(admin, a.id) == "ready"  # printing alone records nothing


def test_print_ready_paper_claims_then_they_are_submitted(
        qtbot, messages, admin: Services, c: Clinic, tmp_path: Path, monkeypatch) -> None:
    a = claim(admin, c, 1, method="paper", ready=True)
    b = claim(admin, c, 2, method="paper", ready=True, last="Roe")
    e = claim(admin, c, 3, ready=True, last="Poe")
    tab = make_tab(qtbot, admin, tmp_path)
    page = tab.page("Submit")
    assert "1</b> ready electronic claim" in page.electronic_count.text()
    assert "2</b> ready paper claims" in page.paper_count.text()

    monkeypatch.setattr(printing, "choose_printer", lambda *a, **k: None)  # cancelled
    page.print_button.click()
    assert admin.submissions.submissions() == [] and status_of(admin, a.id) == "ready"

    out = tmp_path / "printed.pdf"
    printer = printing.pdf_printer(str(out))
    PrinterCalibration(tmp_path / "cfg").save(printer.printerName(), 3, -2)  # make_tab's
    used: list[Printing] = []
    real_batch = admin.submissions.paper_batch

    def batch(ids, mode, offsets):
        used.append(offsets)
        return real_batch(ids, mode, offsets)

    monkeypatch.setattr(admin.submissions, "paper_batch", batch)
    monkeypatch.setattr(printing, "choose_printer", lambda *a, **k: printer)
    page.mode_combo.setCurrentIndex(page.mode_combo.findData("form"))
    page.print_button.click()
    qtbot.waitUntil(lambda: status_of(admin, a.id) == "submitted", timeout=20_000)
    assert used == [Printing(3, -2)]
    assert pdf_pages(out) == [LETTER, LETTER]
    assert (status_of(admin, b.id), status_of(admin, e.id)) == ("submitted", "ready")
    assert "Printed 2 claim(s) on 2 page(s)" in page.result.text()
    assert page.sent_table.rowCount() == 1
    assert page.sent_table.item(0, 2).text() == "Paper, whole form"
    assert "0</b> ready paper claims" in page.paper_count.text()
    assert messages == []


def test_a_sent_claim_is_read_only_and_is_replaced(qtbot, messages, admin: Services,
                                                   c: Clinic, tmp_path: Path,
                                                   monkeypatch) -> None:
    v = claim(admin, c, 1, method="paper", ready=True)
    admin.submissions.print_to_file(tmp_path / "sent.pdf", None, "data")
    tab = make_tab(qtbot, admin, tmp_path)
    editor = tab.page("Claims").open_claim(v.id)
    assert editor.status_label.text() == "Submitted"
    assert not editor.save_button.isEnabled() and not editor.ready_button.isEnabled()
    assert editor.form.editors["prior_authorization"].isReadOnly()
    assert not editor.form.editors["method"].isEnabled()
    assert not editor.replace_button.isHidden() and not editor.void_button.isHidden()
    assert "cannot change" in editor.scrub.summary.text()
    monkeypatch.setattr(QInputDialog, "getText",
                        staticmethod(lambda *a, **k: ("PAYER123", True)))
    editor.replace_button.click()
    new = editor.view
    assert new.id != v.id and new.frequency == "7" and new.replaces_claim_id == v.id
    assert new.header.original_claim_number == "PAYER123" and new.status == "draft"
    assert isinstance(editor.form.editors["prior_authorization"], QLineEdit)
    assert not editor.form.editors["prior_authorization"].isReadOnly()
    assert editor.replace_button.isHidden()
    assert messages == []


# --- electronic -----------------------------------------------------------------------------------
def test_export_837_then_import_a_277ca_with_a_rejection(
        qtbot, messages, admin: Services, c: Clinic, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    a = claim(admin, c, 1, ready=True)
    b = claim(admin, c, 2, ready=True, last="Roe")
    tab = make_tab(qtbot, admin, tmp_path)
    page = tab.page("Submit")
    out = tmp_path / "batch.837"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(out), "")))
    page.export_button.click()
    qtbot.waitUntil(lambda: "Wrote" in page.result.text(), timeout=30_000)
    assert out.read_bytes().startswith(b"ISA") and "Wrote 2 claim(s)" in page.result.text()
    assert status_of(admin, a.id) == "submitted"
    assert page.sent_table.item(0, 2).text() == "837P file"

    f999 = tmp_path / "a.999"
    f999.write_text(ack_999(str(counters(admin)["gs"]), "A"))
    ack = tmp_path / "a.277"
    ack.write_text(ack_277((a.number, "A2:20", "PCN-1"), (b.number, "A7:562:85", "")))
    for path in (f999, ack):
        monkeypatch.setattr(QFileDialog, "getOpenFileName",
                            staticmethod(lambda *a, p=path, **k: (str(p), "")))
        page.import_button.click()
    assert page.result.text().startswith("277CA from a.277: 1 accepted, 1 rejected.")
    assert page.ack_table.rowCount() == 2 and page.ack_table.item(1, 1).text() == "Rejected"
    assert page.queue_table.rowCount() == 1
    assert page.queue_table.item(0, 0).text() == str(b.id)
    page.queue_table.selectRow(0)
    page.open_button.click()
    assert tab.tabs.currentWidget() is tab.pages["Claims"]
    editor = tab.pages["Claims"].editor
    assert editor.view.id == b.id and editor.status_label.text() == "Rejected"
    assert editor.save_button.isEnabled()  # a rejected claim is corrected in place
    assert messages == []


def test_an_export_refused_shows_why_on_the_page(qtbot, messages, admin: Services, c: Clinic,
                                                 tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    from app.services.settings import EdiSettings

    claim(admin, c, 1, ready=True)
    admin.settings.set_edi(EdiSettings())
    tab = make_tab(qtbot, admin, tmp_path)
    page = tab.page("Submit")
    out = tmp_path / "batch.837"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(out), "")))
    page.export_button.click()
    qtbot.waitUntil(lambda: "clearinghouse details" in page.result.text(), timeout=30_000)
    assert "submitter ID" in page.result.text() and not out.exists()
    assert admin.submissions.submissions() == [] and messages == []


# --- calibration and settings ---------------------------------------------------------------------
def test_calibration_saves_offsets_for_the_printer_on_this_workstation(
        qtbot, messages, admin: Services, c: Clinic, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CLINIC_CLERK_CONFIG_DIR", str(tmp_path / "workstation"))
    tab = ClaimsTab(ctx=admin.ctx, claims=admin.claims, submissions=admin.submissions,
                    directory=admin.directory, settings=admin.settings,
                    patients=admin.patients, coverage=admin.coverage)
    qtbot.addWidget(tab)
    page = tab.page("Submit")
    page.calibrate()
    dialog = page.dialog
    dialog.printer_combo.setCurrentText("Front desk laser")
    dialog.x_spin.setValue(3)
    dialog.y_spin.setValue(-2)
    assert dialog.x_spin.minimum() == -20 and dialog.y_spin.maximum() == 20
    out = tmp_path / "test-page.pdf"
    monkeypatch.setattr(printing, "choose_printer",
                        lambda *a, **k: printing.pdf_printer(str(out)))
    dialog.print_test()
    assert pdf_pages(out) == [LETTER]
    dialog.preview()
    assert dialog.dialog.page_count() == 1
    dialog.save()
    assert "Saved for Front desk laser" in dialog.saved_label.text()
    assert PrinterCalibration().get("Front desk laser") == Printing(3, -2)
    assert (tmp_path / "workstation" / "printers.json").exists()
    dialog.printer_combo.setCurrentText("Another printer")
    assert (dialog.x_spin.value(), dialog.y_spin.value()) == (0, 0)
    dialog.printer_combo.setCurrentText("Front desk laser")
    assert (dialog.x_spin.value(), dialog.y_spin.value()) == (3, -2)
    assert messages == []


def test_the_837p_settings_on_the_admin_tab(qtbot, messages, admin: Services) -> None:
    from app.ui.tabs.admin_tab import AdminTab

    tab = AdminTab(ctx=admin.ctx, users=admin.users, audit=admin.audit,
                   directory=admin.directory, settings=admin.settings, backup=admin.backup)
    qtbot.addWidget(tab)
    page = tab.show_page("settings")
    form = page.edi_form
    form.editors["submitter_id"].setText("maple01")
    form.editors["receiver_id"].setText("clearhouse")
    form.editors["receiver_name"].setText("Clear House")
    form.editors["contact_phone"].setText("(217) 555-0100")
    form.editors["sender_id"].setText("bad id!")
    page.edi_save_button.click()
    assert "15 letters" in form.problem("sender_id")
    assert admin.settings.edi().submitter_id == ""
    form.editors["sender_id"].clear()
    page.edi_save_button.click()
    saved = admin.settings.edi()
    assert (saved.submitter_id, saved.receiver_id, saved.contact_phone, saved.usage) == (
        "MAPLE01", "CLEARHOUSE", "2175550100", "P")
    assert form.editors["contact_phone"].text() == "(217) 555-0100"
    assert page.edi_saved_label.text().startswith("Saved") and messages == []
