"""The Coding tab's Encounters page driven through its real widgets on a real encrypted clinic:
pick diagnoses and procedures through the code picker and the provider's quick picks, see the
charge come from the fee schedule and the code edits come and go, save and see the charges
posted (and the ledger balance), correct a saved line (a reversal and a new charge), unsaved
changes when switching encounters, a stale save, the twelve-diagnosis limit, and a role that
may only look."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QListWidget, QMessageBox, QTableView

from app.formats.icd10cm import Icd10Entry
from app.services import Services
from app.services.audit import AuditFilter
from app.services.coding import CodingDraft, LineDraft
from app.services.directory import ProviderData
from app.services.history import EncounterData
from app.services.patients import PatientData
from app.services.procedure_codes import ProcedureData
from app.ui.table_models.coding_queue_table_model import COLUMNS as QUEUE_COLUMNS
from app.ui.tabs.coding.diagnoses_list import DiagnosisItem
from app.ui.tabs.coding.encounter_page import EncounterPage
from app.ui.tabs.coding.lines_table import CHARGE, NDC, POINTERS, UNITS
from app.ui.tabs.coding_tab import CodingTab
from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE, add_user

DOS = date(2025, 11, 3)
RELEASE_FROM = date(2025, 10, 1)
STATUS = QUEUE_COLUMNS.index("Status")
CHARGES = QUEUE_COLUMNS.index("Charges")


def _release() -> list[Icd10Entry]:
    """A tiny ICD-10-CM release: chapter 4, block E08-E13, header E11 and two codes."""
    return [Icd10Entry("4", "chapter", "Endocrine diseases (E00-E89)", False, "", "4", ""),
            Icd10Entry("E08-E13", "block", "Diabetes mellitus (E08-E13)", False, "4", "4",
                       "E08-E13"),
            Icd10Entry("E11", "category", "Type 2 diabetes mellitus", False, "E08-E13", "4",
                       "E08-E13"),
            Icd10Entry("E119", "subcategory", "Type 2 diabetes mellitus without complications",
                       True, "E11", "4", "E08-E13"),
            Icd10Entry("E1165", "subcategory", "Type 2 diabetes mellitus with hyperglycemia",
                       True, "E11", "4", "E08-E13")]


class Clinic:
    """A clinic with codes, fees, a provider with quick picks, and uncoded encounters."""

    def __init__(self, sv: Services) -> None:
        self.sv = sv
        sv.code_sets.load_release("FY2026", RELEASE_FROM, _release(), "test release")
        sv.procedure_codes.add_procedure(ProcedureData("cpt", "99213", "Office visit est low"))
        sv.procedure_codes.add_procedure(ProcedureData("hcpcs", "J1100", "Dexamethasone 1 mg",
                                                       is_drug=True))
        sv.fees.set_fee("99213", "", Decimal("100.00"))
        sv.fees.set_fee("J1100", "", Decimal("2.50"))
        provider = sv.directory.save_provider(ProviderData("Stone", "Sam", "1234567893",
                                                           "MD"))
        assert provider.id is not None
        sv.favorites.add(provider.id, "icd10cm", "E11.65")
        sv.favorites.add(provider.id, "cpt", "99213")
        patient = sv.patients.register(PatientData("Quill", "Jane", date(1970, 5, 6), "F"))
        self.patient_id = patient.id
        self.encounters = [self._encounter(provider.id, DOS, "Follow-up"),
                           self._encounter(provider.id, date(2025, 11, 10), "Sore throat")]

    def _encounter(self, provider_id: int, on: date, reason: str) -> int:
        enc = self.sv.history.save(EncounterData(self.patient_id, on, provider_id=provider_id,
                                                 reason=reason))
        assert enc.id is not None
        return enc.id


@pytest.fixture
def clinic(admin: Services) -> Clinic:
    return Clinic(admin)


@pytest.fixture
def make_page(qtbot) -> Iterator[Callable[[Services], EncounterPage]]:
    """Build the real Coding tab and hand back its Encounters page (the tab is held here:
    the page lives only as long as its tab)."""
    held: list[CodingTab] = []

    def make(sv: Services) -> EncounterPage:
        tab = CodingTab(ctx=sv.ctx, coding=sv.coding, code_sets=sv.code_sets,
                        procedure_codes=sv.procedure_codes, favorites=sv.favorites,
                        ledger=sv.ledger, directory=sv.directory, fees=sv.fees, ncci=sv.ncci)
        qtbot.addWidget(tab)
        tab.resize(1280, 800)
        tab.show()
        held.append(tab)
        return tab.page("Encounters")

    yield make


def queue_cell(page: EncounterPage, row: int, column: int) -> str:
    return page.model.data(page.model.index(row, column))


def edit_cell(qtbot, view: QTableView, row: int, column: int, text: str) -> None:
    """Edit a cell as a clerk does: open its editor, type, press Enter."""
    index = view.model().index(row, column)
    view.setCurrentIndex(index)
    view.edit(index)
    # The editor of an earlier edit may still await deletion: take the one now showing.
    shown = [e for e in view.viewport().findChildren(QLineEdit) if e.isVisible()]
    assert len(shown) == 1, "the cell did not open an editor"
    editor = shown[0]
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    if text:
        qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    # The delegate commits on Enter through a queued call: let the event loop run it.
    qtbot.waitUntil(lambda: view.state() != QAbstractItemView.State.EditingState,
                    timeout=3000)


def click_pick(qtbot, lst: QListWidget, text: str) -> None:
    item = next(lst.item(i) for i in range(lst.count()) if lst.item(i).text().startswith(text))
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton,
                     pos=lst.visualItemRect(item).center())


def edit_messages(page: EncounterPage) -> list[str]:
    return [message for _severity, _where, message, _source in page.panel.edits.rows]


def wait_preview(qtbot, page: EncounterPage) -> None:
    qtbot.waitUntil(lambda: not page.panel._timer.isActive(), timeout=3000)


# --- coding an encounter -------------------------------------------------------------------
def test_code_an_encounter_and_see_its_charges(qtbot, make_page, messages,
                                               clinic: Clinic) -> None:
    sv = clinic.sv
    page = make_page(sv)
    assert page.count_label.text() == "2 encounters"
    assert [queue_cell(page, r, STATUS) for r in range(2)] == ["Uncoded", "Uncoded"]
    page.table.selectRow(0)  # the oldest first
    panel = page.panel
    assert page.open_id == clinic.encounters[0]
    assert panel.header.name_label.text() == "Quill, Jane"
    assert panel.header.facts["DOS"].text() == "11/03/2025"
    assert panel.header.facts["Provider"].text() == "Stone, Sam MD"
    assert panel.edits.summary.text().startswith("Nothing coded yet")
    assert sv.audit.count(AuditFilter(action="coding.open",
                                      patient_id=clinic.patient_id)) == 1

    # A diagnosis through the picker: type words, move down to the code, Enter.
    qtbot.mouseClick(panel.diagnoses.add_button, Qt.MouseButton.LeftButton)
    picker = panel.diagnoses.picker
    assert picker is not None
    qtbot.keyClicks(picker.search_edit, "diabetes without")
    qtbot.waitUntil(lambda: bool(picker.model.hits), timeout=3000)
    codes = [h.code for h in picker.model.hits]
    for _ in range(codes.index("E11.9")):
        qtbot.keyClick(picker.search_edit, Qt.Key.Key_Down)
    qtbot.keyClick(picker.search_edit, Qt.Key.Key_Return)
    assert panel.diagnoses.codes() == ("E11.9",)
    assert panel.diagnoses.table.item(0, 0).text() == "A"
    picker.close()

    # A procedure line through the picker: the charge comes from the fee schedule.
    qtbot.mouseClick(panel.lines.add_button, Qt.MouseButton.LeftButton)
    picker = panel.lines.picker
    assert picker is not None
    qtbot.keyClicks(picker.search_edit, "99213")
    qtbot.keyClick(picker.search_edit, Qt.Key.Key_Return)
    assert not picker.isVisible()
    lines = panel.lines.model
    assert [(ln.code, ln.pointers) for ln in lines.lines] == [("99213", "A")]
    qtbot.waitUntil(lambda: lines.text(0, CHARGE) == "100.00", timeout=3000)
    assert "Total charges: 100.00" in panel.lines.total_label.text()
    assert panel.edits.summary.text() == "No code edits: ready to bill."
    assert not lines.flags(lines.index(0, NDC)) & Qt.ItemFlag.ItemIsEditable  # not a drug

    # Take the pointer away: the edit appears; put it back: it goes.
    edit_cell(qtbot, panel.lines.table, 0, POINTERS, "")
    wait_preview(qtbot, page)
    assert any("has no diagnosis pointer" in m for m in edit_messages(page))
    assert panel.edits.summary.text() == "1 error to fix before billing."
    edit_cell(qtbot, panel.lines.table, 0, POINTERS, "a")
    wait_preview(qtbot, page)
    assert lines.lines[0].pointers == "A"
    assert not any("pointer" in m for m in edit_messages(page))

    # The provider's quick pick adds a second diagnosis in one click.
    click_pick(qtbot, panel.quick_picks.diagnoses, "E11.65")
    assert panel.diagnoses.codes() == ("E11.9", "E11.65")
    assert panel.diagnoses.table.item(1, 0).text() == "B"

    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert messages == []
    assert panel.message.text() == "1 line posted; status: coded."
    assert [(e.kind, e.amount, e.code) for e in panel.charges.entries] == [
        ("charge", Decimal("100.00"), "99213")]
    assert panel.charges.table.item(0, 3).text() == "100.00"
    assert "Net posted for this encounter: 100.00" in panel.charges.total_label.text()
    assert panel.results.currentWidget() is panel.charges
    assert sv.ledger.balance(clinic.patient_id) == Decimal("100.00")
    assert queue_cell(page, 0, STATUS) == "Coded"
    assert queue_cell(page, 0, CHARGES) == "100.00"
    saved = sv.coding.open(clinic.encounters[0])
    assert [d.code for d in saved.diagnoses] == ["E119", "E1165"]

    # Saving again with nothing changed says so and posts nothing.
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert panel.message.text() == ("Nothing has changed since the last save; nothing was "
                                    "posted.")
    assert len(sv.ledger.entries(clinic.patient_id)) == 1

    # The queue's filters: coded only, and by MRN.
    page.status_combo.setCurrentIndex(page.status_combo.findData("coded"))
    assert page.model.total == 1 and page.count_label.text() == "1 encounter"
    page.status_combo.setCurrentIndex(page.status_combo.findData("uncoded"))
    assert [page.model.row(r).encounter_id for r in range(page.model.rowCount())] == [
        clinic.encounters[1]]


def test_changing_units_of_a_saved_line_reverses_and_reposts(
        qtbot, make_page, messages, clinic: Clinic) -> None:
    sv = clinic.sv
    eid = clinic.encounters[0]
    opened = sv.coding.open(eid)
    sv.coding.save(eid, opened.version,
                   CodingDraft(("E11.9",), (LineDraft("99213", pointers="A"),)))
    page = make_page(sv)
    page.status_combo.setCurrentIndex(page.status_combo.findData("coded"))
    page.table.selectRow(0)
    panel = page.panel
    lines = panel.lines.model
    assert lines.text(0, CHARGE) == "100.00" and not panel.is_dirty()

    edit_cell(qtbot, panel.lines.table, 0, UNITS, "2")
    qtbot.waitUntil(lambda: lines.text(0, CHARGE) == "200.00", timeout=3000)
    assert panel.message.text() == "Changes not saved yet."
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)

    assert messages == []
    assert panel.message.text() == "1 line posted, 1 corrected; status: coded."
    shown = [(panel.charges.table.item(r, 1).text(), panel.charges.table.item(r, 3).text())
             for r in range(panel.charges.table.rowCount())]
    assert sorted(shown) == sorted([("Charge (reversed)", "100.00"), ("Reversal", "-100.00"),
                                    ("Charge", "200.00")])
    assert "Net posted for this encounter: 200.00" in panel.charges.total_label.text()
    assert sv.ledger.balance(clinic.patient_id) == Decimal("200.00")
    assert queue_cell(page, 0, CHARGES) == "200.00"
    assert [ln.units for ln in sv.coding.open(eid).lines] == [Decimal(2)]


def test_drug_line_takes_an_ndc_and_removing_a_diagnosis_moves_pointers(
        qtbot, make_page, messages, clinic: Clinic) -> None:
    page = make_page(clinic.sv)
    page.table.selectRow(0)
    panel = page.panel
    for code in ("E11.9", "E11.65"):
        panel.diagnoses.add(DiagnosisItem(code, code))
    qtbot.mouseClick(panel.lines.add_button, Qt.MouseButton.LeftButton)
    assert panel.lines.picker is not None
    qtbot.keyClicks(panel.lines.picker.search_edit, "dexameth")
    qtbot.keyClick(panel.lines.picker.search_edit, Qt.Key.Key_Return)
    lines = panel.lines.model
    assert lines.lines[0].is_drug and lines.flags(lines.index(0, NDC)) & \
        Qt.ItemFlag.ItemIsEditable
    edit_cell(qtbot, panel.lines.table, 0, POINTERS, "B")
    edit_cell(qtbot, panel.lines.table, 0, UNITS, "4")
    qtbot.waitUntil(lambda: lines.text(0, CHARGE) == "10.00", timeout=3000)
    assert any("is a drug code" in m for m in edit_messages(page))

    panel.diagnoses.table.selectRow(0)
    qtbot.mouseClick(panel.diagnoses.remove_button, Qt.MouseButton.LeftButton)
    assert panel.diagnoses.codes() == ("E11.65",)
    assert lines.lines[0].pointers == "A"  # still E11.65, now letter A

    qtbot.mouseClick(panel.revert_button, Qt.MouseButton.LeftButton)  # messages: Yes
    assert messages[-1][0] == "question"
    assert lines.lines == [] and panel.diagnoses.codes() == () and not panel.is_dirty()
    assert clinic.sv.ledger.entries(clinic.patient_id) == []


def test_twelve_diagnoses_disable_add(qtbot, make_page, messages, clinic: Clinic) -> None:
    page = make_page(clinic.sv)
    page.table.selectRow(0)
    dx = page.panel.diagnoses
    for n in range(12):
        assert dx.add(DiagnosisItem(f"Z00.{n:02d}", "test"))
    assert not dx.add_button.isEnabled()
    assert "at most 12 diagnoses" in dx.add_button.toolTip()
    assert not dx.add(DiagnosisItem("Z99.99", "one too many"))
    assert dx.table.item(11, 0).text() == "L"
    assert messages and "at most 12" in messages[-1][1]


# --- leaving, conflicts and roles -------------------------------------------------------------
def test_switching_with_unsaved_changes_asks(qtbot, make_page, monkeypatch,
                                             clinic: Clinic) -> None:
    sv = clinic.sv
    page = make_page(sv)
    page.table.selectRow(0)
    click_pick(qtbot, page.panel.quick_picks.procedures, "99213")
    assert page.panel.is_dirty()
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes]
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda _p, _t, text, *a, **k: asked.append(text) or answers.pop(0))
    page.table.selectRow(1)  # Cancel: stay
    assert page.open_id == clinic.encounters[0]
    qtbot.waitUntil(lambda: [i.row() for i in page.table.selectionModel().selectedRows()]
                    == [0], timeout=3000)
    assert sv.ledger.entries(clinic.patient_id) == []
    page.table.selectRow(1)  # Yes: save, then open the other one
    assert len(asked) == 2 and "not saved" in asked[0]
    assert page.open_id == clinic.encounters[1]
    assert [e.amount for e in sv.ledger.entries(clinic.patient_id)] == [Decimal("100.00")]
    assert queue_cell(page, 0, STATUS) == "Needs review"  # no diagnosis: an error edit


def test_stale_save_is_refused_and_reloaded(qtbot, make_page, messages,
                                            clinic: Clinic) -> None:
    sv = clinic.sv
    eid = clinic.encounters[0]
    page = make_page(sv)
    page.table.selectRow(0)
    click_pick(qtbot, page.panel.quick_picks.diagnoses, "E11.65")
    other = Services(sv.db, PASSPHRASE)
    other.users.sign_in(ADMIN, ADMIN_PASSWORD)  # a second workstation
    other.coding.save(eid, other.coding.open(eid).version,
                      CodingDraft(("E11.9",), (LineDraft("99213", pointers="A"),)))
    qtbot.mouseClick(page.panel.save_button, Qt.MouseButton.LeftButton)
    assert messages and messages[-1][0] == "warning" and "Someone else" in messages[-1][1]
    assert page.panel.diagnoses.codes() == ("E11.9",)  # their work, reloaded
    assert [e.amount for e in sv.ledger.entries(clinic.patient_id)] == [Decimal("100.00")]
    assert not page.panel.is_dirty()


def test_front_desk_sees_the_coding_read_only(qtbot, make_page, messages,
                                              clinic: Clinic) -> None:
    sv = clinic.sv
    eid = clinic.encounters[0]
    sv.coding.save(eid, sv.coding.open(eid).version,
                   CodingDraft(("E11.9",), (LineDraft("99213", pointers="A"),)))
    password = add_user(sv, "fran", "front_desk")
    sv.users.sign_out()
    sv.users.sign_in("fran", password)
    page = make_page(sv)
    page.status_combo.setCurrentIndex(page.status_combo.findData("coded"))
    page.table.selectRow(0)
    panel = page.panel
    assert panel.lines.model.text(0, CHARGE) == "100.00"
    assert panel.save_button.isHidden() and panel.revert_button.isHidden()
    assert panel.diagnoses.add_button.isHidden() and panel.lines.add_button.isHidden()
    assert panel.picks_box.isHidden()
    assert panel.results.count() == 1  # no ledger view for this role
    lines = panel.lines.model
    assert not lines.flags(lines.index(0, UNITS)) & Qt.ItemFlag.ItemIsEditable
    assert not lines.setData(lines.index(0, UNITS), "3")
    assert "Read only" in panel.message.text()
    assert messages == []
