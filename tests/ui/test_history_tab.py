"""The Patients tab driven through its real widgets on a real encrypted clinic: register through
the dialog, find by typing, open the chart (audited), duplicates, lazy loading, accent and
punctuation folding, edit conflicts, SSN kept on edit, merge and its undo, buttons by role."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialogButtonBox, QInputDialog, QLineEdit, QWidget

from app.formats.names import fold
from app.models import Patient
from app.services import Services
from app.services.audit import AuditFilter
from app.services.patients import PatientData
from app.ui import main_window as mw
from app.ui.dialogs.patient_dialog import GUARANTOR_FIELDS, PatientDialog, data_fields
from app.ui.table_models.patient_table_model import PAGE_SIZE, PatientTableModel
from app.ui.tabs import history_tab
from app.ui.tabs.history_tab import HistoryTab
from tests.conftest import add_user


class StandInChart(QWidget):
    """The chart view's interface, opening charts through the real history service."""

    editPatientRequested = Signal(int)

    def __init__(self, *, ctx, patients, history, documents, summary, coverage=None, fhir=None,
                 parent=None) -> None:
        super().__init__(parent)
        self._history = history
        self.shown: list[int] = []

    def show_patient(self, patient_id: int) -> None:
        self._history.open_chart(patient_id)
        self.shown.append(patient_id)

    def clear(self) -> None:
        self.shown.clear()


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_tab, "make_chart_view", lambda **kw: StandInChart(**kw))


def make_tab(qtbot, sv: Services) -> HistoryTab:
    tab = HistoryTab(ctx=sv.ctx, patients=sv.patients, history=sv.history,
                     documents=sv.documents, summary=sv.summary,
                     patient_import=sv.patient_import)
    qtbot.addWidget(tab)
    return tab


def person(last: str, first: str, dob: date = date(1980, 1, 2), **kw: object) -> PatientData:
    values: dict[str, object] = dict(sex="F", city="Springfield", state="IL", zip="62701")
    values.update(kw)
    return PatientData(last_name=last, first_name=first, dob=dob, **values)  # type: ignore[arg-type]


def type_search(qtbot, tab: HistoryTab, text: str) -> None:
    tab.search.clear()
    qtbot.keyClicks(tab.search, text)
    qtbot.waitUntil(lambda: tab.model.query == text and not tab._timer.isActive(), timeout=3000)


def names(tab: HistoryTab) -> list[str]:
    return [f"{r.last_name}, {r.first_name}" for r in
            (tab.model.row(i) for i in range(tab.model.rowCount()))]


def chart_opens(sv: Services, patient_id: int) -> int:
    return sv.audit.count(AuditFilter(action="chart.open", patient_id=patient_id))


def type_into(qtbot, edit: QLineEdit, text: str) -> None:
    """Type like a clerk; QTest can only type ASCII, so an accented name is inserted the way
    an input method would."""
    if text.isascii():
        qtbot.keyClicks(edit, text)
    else:
        edit.setFocus()
        edit.insert(text)


def fill_new_patient(qtbot, dialog: PatientDialog, last: str, first: str, dob: str) -> None:
    ed = dialog.form.editors
    type_into(qtbot, ed["last_name"], last)
    type_into(qtbot, ed["first_name"], first)
    qtbot.keyClicks(ed["dob"], dob)
    ed["sex"].setCurrentIndex(ed["sex"].findData("F"))
    qtbot.keyClicks(ed["address1"], "12 Elm St")
    qtbot.keyClicks(ed["city"], "Springfield")
    ed["state"].setCurrentIndex(ed["state"].findData("IL"))
    qtbot.keyClicks(ed["zip"], "62701")
    qtbot.keyClicks(ed["phone"], "(217) 555-0142")


def click_save(dialog: PatientDialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()


# --- the required path -------------------------------------------------------------
def _real_chart(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    chart_view = pytest.importorskip("app.ui.tabs.history.chart_view")
    seen: list[int] = []
    original = chart_view.ChartView.show_patient

    def spy(self, patient_id: int) -> None:
        seen.append(patient_id)
        original(self, patient_id)

    monkeypatch.setattr(chart_view.ChartView, "show_patient", spy)
    return seen


@pytest.mark.parametrize("chart", ["stand-in", "real"])
def test_register_find_by_typing_and_open_chart(qtbot, admin: Services, monkeypatch, messages,
                                                chart: str) -> None:
    if chart == "stand-in":
        monkeypatch.setattr(history_tab, "make_chart_view", lambda **kw: StandInChart(**kw))
    else:
        real_seen = _real_chart(monkeypatch)
    admin.patients.register(person("Abbott", "Carl", sex="M"))
    tab = make_tab(qtbot, admin)
    tab.show()
    qtbot.waitExposed(tab)
    qtbot.mouseClick(tab.register_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert isinstance(dialog, PatientDialog) and dialog.isVisible()
    fill_new_patient(qtbot, dialog, "Quintero-Vásquez", "Marisol", "04/05/1988")
    click_save(dialog)
    assert not dialog.isVisible() and messages == []
    [row] = admin.patients.search("quintero")
    assert (row.first_name, row.dob, row.phone) == ("Marisol", date(1988, 4, 5), "2175550142")
    opened_after_save = chart_opens(admin, row.id)

    type_search(qtbot, tab, "quinterov mari")
    assert names(tab) == ["Quintero-Vásquez, Marisol"]
    assert tab.count_label.text() == "1 match"
    rect = tab.table.visualRect(tab.model.index(0, 1))
    # A real double-click is a click then a double-click event at the same place.
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    shown = tab.chart.shown if chart == "stand-in" else real_seen
    assert shown[-1] == row.id and tab.chart_patient_id == row.id
    assert chart_opens(admin, row.id) == opened_after_save + 1


def test_enter_in_the_search_box_opens_the_first_match(qtbot, admin, stand_in) -> None:
    a = admin.patients.register(person("Nakamura", "Kenji", sex="M"))
    tab = make_tab(qtbot, admin)
    type_search(qtbot, tab, "nakam")
    qtbot.keyClick(tab.search, Qt.Key.Key_Return)
    assert tab.chart.shown == [a.id]
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    assert tab.chart.shown == [a.id, a.id]
    assert chart_opens(admin, a.id) == 2


def test_the_form_edits_every_patient_field(qtbot, admin, stand_in) -> None:
    dialog = PatientDialog(patients=admin.patients)
    qtbot.addWidget(dialog)
    assert set(dialog.form.editors) == data_fields()


# --- registration problems and duplicates ---------------------------------------------------
def test_problems_show_under_fields_and_typing_is_kept(qtbot, admin, stand_in, messages) -> None:
    tab = make_tab(qtbot, admin)
    tab.register()
    dialog = tab.dialog
    ed = dialog.form.editors
    qtbot.keyClicks(ed["first_name"], "Ann")
    qtbot.keyClicks(ed["dob"], "13/45/1990")
    click_save(dialog)
    assert "not a date" in dialog.form.problem("dob")
    ed["dob"].setText("01/02/2999")
    qtbot.keyClicks(ed["zip"], "627")
    click_save(dialog)
    assert dialog.form.problem("last_name") == "Last name is required."
    assert "future" in dialog.form.problem("dob")
    assert "M, F or U" in dialog.form.problem("sex")
    assert dialog.form.problem("zip") and dialog.form.problem("first_name") == ""
    assert ed["first_name"].text() == "Ann" and ed["zip"].text() == "627"
    assert dialog.isVisible() and admin.patients.count() == 0 and messages == []


def test_responsible_party_fields_apply_only_when_not_self(qtbot, admin, stand_in) -> None:
    dialog = PatientDialog(patients=admin.patients)
    qtbot.addWidget(dialog)
    ed = dialog.form.editors
    assert not any(ed[a].isEnabled() for a in GUARANTOR_FIELDS)
    fill_new_patient(qtbot, dialog, "Young", "Timmy", "03/03/2015")
    ed["guarantor_relationship"].setCurrentIndex(ed["guarantor_relationship"].findData("parent"))
    assert all(ed[a].isEnabled() for a in GUARANTOR_FIELDS)
    click_save(dialog)
    assert "someone else" in dialog.form.problem("guarantor_last_name")
    qtbot.keyClicks(ed["guarantor_last_name"], "Young")
    qtbot.keyClicks(ed["guarantor_first_name"], "Pat")
    qtbot.keyClicks(ed["guarantor_address1"], "12 Elm St")
    qtbot.keyClicks(ed["guarantor_city"], "Springfield")
    ed["guarantor_state"].setCurrentIndex(ed["guarantor_state"].findData("IL"))
    qtbot.keyClicks(ed["guarantor_zip"], "62701")
    qtbot.keyClicks(ed["notes"], "Prefers morning visits.")
    click_save(dialog)
    [row] = admin.patients.search("young timmy")
    saved = admin.patients.get(row.id).data
    assert (saved.guarantor_relationship, saved.guarantor_first_name) == ("parent", "Pat")
    assert saved.notes == "Prefers morning visits."


def test_duplicate_shows_candidates_and_save_as_new(qtbot, admin, stand_in, messages) -> None:
    first = admin.patients.register(person("Lopez", "Maria", ssn="123456789"))
    tab = make_tab(qtbot, admin)
    tab.register()
    dialog = tab.dialog
    fill_new_patient(qtbot, dialog, "López", "María", "01/02/1980")
    click_save(dialog)
    dupes = dialog.duplicates
    assert dupes is not None and dupes.isVisible() and dialog.isVisible()
    assert [c.id for c in dupes.candidates] == [first.id]
    assert dupes.table.item(0, 0).text() == first.mrn
    assert dupes.table.item(0, 6).text() == "***-**-6789"
    dupes.back_button.click()
    assert dialog.isVisible() and admin.patients.count("lopez") == 1
    click_save(dialog)
    dialog.duplicates.new_button.click()
    assert not dialog.isVisible() and admin.patients.count("lopez maria") == 2
    assert tab.chart.shown[-1] != first.id and messages == []


def test_duplicate_open_existing_opens_that_chart(qtbot, admin, stand_in) -> None:
    first = admin.patients.register(person("Lopez", "Maria"))
    tab = make_tab(qtbot, admin)
    tab.register()
    fill_new_patient(qtbot, tab.dialog, "Lopez", "Maria", "1980-01-02")
    click_save(tab.dialog)
    tab.dialog.duplicates.open_button.click()
    assert not tab.dialog.isVisible()
    assert tab.chart.shown == [first.id] and admin.patients.count("lopez") == 1


# --- search --------------------------------------------------------------------------------
def add_many(sv: Services, n: int) -> None:
    with sv.db.session() as s:
        for i in range(n):
            last, first = f"Lazy{i:04d}", "Pat"
            s.add(Patient(mrn=f"M{9_000_000 + i}", last_name=last, first_name=first,
                          dob=date(1970, 1, 1), sex="U", last_key=fold(last),
                          first_key=fold(first)))


def test_model_fetches_lazily(qtbot, admin, stand_in) -> None:
    add_many(admin, 300)
    tab = make_tab(qtbot, admin)
    assert tab.model.total == 300 and tab.model.rowCount() == PAGE_SIZE
    assert tab.count_label.text() == "300 patients"
    assert tab.model.canFetchMore()
    tab.model.fetchMore()
    assert tab.model.rowCount() == 2 * PAGE_SIZE
    type_search(qtbot, tab, "lazy01")
    assert tab.model.total == 100 and tab.model.rowCount() == 100
    assert not tab.model.canFetchMore()
    type_search(qtbot, tab, "pat")
    assert tab.model.total == 300 and tab.model.rowCount() == PAGE_SIZE


def test_every_row_is_reached_by_scrolling_pages(admin) -> None:
    add_many(admin, 250)
    model = PatientTableModel(admin.patients, page_size=100)
    model.set_query("")
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 250
    assert len({model.row(i).id for i in range(250)}) == 250


def test_accents_and_punctuation_fold(qtbot, admin, stand_in) -> None:
    admin.patients.register(person("Adler", "Zoë", preferred_name="Zo"))
    admin.patients.register(person("O'Neil", "Patrick", dob=date(1970, 5, 6), sex="M",
                                   phone="2175550100", ssn="987654321"))
    tab = make_tab(qtbot, admin)
    type_search(qtbot, tab, "zoe")
    assert names(tab) == ["Adler, Zoë"]
    assert tab.model.data(tab.model.index(0, 1)) == 'Adler, Zoë "Zo"'
    type_search(qtbot, tab, "oneil")
    assert names(tab) == ["O'Neil, Patrick"]
    cells = [tab.model.data(tab.model.index(0, c)) for c in range(7)]
    assert cells[2:] == ["05/06/1970", "M", "(217) 555-0100", "Springfield", "***-**-4321"]
    type_search(qtbot, tab, "05/06/1970")
    assert names(tab) == ["O'Neil, Patrick"]
    type_search(qtbot, tab, "nobody here")
    assert names(tab) == [] and tab.count_label.text() == "No match"


# --- edit ----------------------------------------------------------------------------------
def test_edit_conflict_keeps_the_other_change(qtbot, admin, stand_in, messages) -> None:
    p = admin.patients.register(person("Conflict", "Carla"))
    tab = make_tab(qtbot, admin)
    tab.edit_patient(p.id)
    dialog = tab.dialog
    other = admin.patients.get(p.id).data
    admin.patients.update(replace(other, city="Capital City"))
    dialog.form.editors["phone"].setText("2175550199")
    click_save(dialog)
    assert messages and "Someone else saved" in messages[0][1]
    assert dialog.isVisible() and dialog.form.editors["city"].text() == "Capital City"
    stored = admin.patients.get(p.id).data
    assert (stored.city, stored.phone) == ("Capital City", "")
    dialog.form.editors["phone"].setText("2175550199")
    click_save(dialog)
    assert not dialog.isVisible()
    stored = admin.patients.get(p.id).data
    assert (stored.city, stored.phone) == ("Capital City", "2175550199")


def test_edit_keeps_the_ssn_unless_changed(qtbot, admin, stand_in, messages) -> None:
    p = admin.patients.register(person("Masked", "Mona", ssn="123-45-6789"))
    tab = make_tab(qtbot, admin)
    tab.chart.editPatientRequested.emit(p.id)
    dialog = tab.dialog
    ssn = dialog.form.editors["ssn"]
    assert ssn.text() == "***-**-6789" and ssn.isReadOnly()
    dialog.form.editors["city"].setText("Peoria")
    click_save(dialog)
    assert admin.patients.reveal_ssn(p.id) == "123-45-6789"
    assert admin.patients.get(p.id).data.city == "Peoria"
    tab.edit_patient(p.id)
    dialog = tab.dialog
    dialog.form.change_ssn.setChecked(True)
    assert dialog.form.editors["ssn"].text() == "" and not dialog.form.editors["ssn"].isReadOnly()
    qtbot.keyClicks(dialog.form.editors["ssn"], "111-22-3333")
    click_save(dialog)
    assert admin.patients.reveal_ssn(p.id) == "111-22-3333" and messages == []


# --- merge ---------------------------------------------------------------------------------
def test_merge_and_undo(qtbot, admin, stand_in, messages, monkeypatch) -> None:
    keep = admin.patients.register(person("Twin", "Tess"))
    dup = admin.patients.register(person("Twinn", "Tess"), allow_duplicates=True)
    tab = make_tab(qtbot, admin)
    type_search(qtbot, tab, "tess")
    tab.table.selectAll()
    tab.merge_button.click()
    dialog = tab.dialog
    assert (dialog.keep.chosen.id, dialog.duplicate.chosen.id) == (keep.id, dup.id)
    dialog.merge_button.click()
    seq = tab.last_merge_seq
    assert not dialog.isVisible() and seq is not None
    assert f"Audit event number: {seq}" in messages[-1][1]
    assert names(tab) == ["Twin, Tess"]
    asked: list[int] = []

    def get_int(parent, title, label, value, *a, **k):
        asked.append(value)
        return value, True

    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(get_int))
    tab.unmerge_button.click()
    assert asked == [seq]
    assert "is back" in messages[-1][1]
    assert sorted(names(tab)) == ["Twin, Tess", "Twinn, Tess"]


def test_merge_dialog_pickers_search(qtbot, admin, stand_in, messages) -> None:
    a = admin.patients.register(person("Pickme", "Ann"))
    b = admin.patients.register(person("Pickyou", "Bea", dob=date(1990, 3, 4)))
    tab = make_tab(qtbot, admin)
    tab.merge()
    dialog = tab.dialog
    assert not dialog.merge_button.isEnabled()
    for picker, text in ((dialog.keep, "pickme"), (dialog.duplicate, "pickyou")):
        qtbot.keyClicks(picker.search, text)
        qtbot.waitUntil(lambda p=picker: p.matches.count() == 1, timeout=3000)
        picker.matches.setCurrentRow(0)
    assert (dialog.keep.chosen.id, dialog.duplicate.chosen.id) == (a.id, b.id)
    assert dialog.merge_button.isEnabled()
    dialog.duplicate.choose(dialog.keep.chosen)
    assert not dialog.merge_button.isEnabled() and "different" in dialog.problem.text()


def test_undo_of_something_not_a_merge_is_explained(qtbot, admin, stand_in, messages,
                                                   monkeypatch) -> None:
    tab = make_tab(qtbot, admin)
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *a, **k: (1, True)))
    tab.undo_merge()
    assert messages and "not a patient merge" in messages[-1][1]


# --- roles and the window ------------------------------------------------------------------
def sign_in_as(sv: Services, username: str, role: str) -> None:
    pw = add_user(sv, username, role)
    sv.users.sign_out()
    sv.users.sign_in(username, pw)


def test_front_desk_sees_no_merge(qtbot, admin, stand_in) -> None:
    sign_in_as(admin, "fran", "front_desk")
    tab = make_tab(qtbot, admin)
    assert not tab.register_button.isHidden() and not tab.import_button.isHidden()
    assert tab.merge_button.isHidden() and tab.unmerge_button.isHidden()


def test_coder_sees_no_register(qtbot, admin, stand_in) -> None:
    admin.patients.register(person("Visible", "Vic"))
    sign_in_as(admin, "cody", "coder")
    tab = make_tab(qtbot, admin)
    assert tab.register_button.isHidden() and tab.edit_button.isHidden()
    assert tab.import_button.isHidden() and tab.merge_button.isHidden()
    assert tab.model.total == 1


def test_import_button_opens_the_import_dialog_and_refreshes(qtbot, admin, stand_in) -> None:
    tab = make_tab(qtbot, admin)
    tab.import_button.click()
    assert tab.dialog.isVisible() and type(tab.dialog).__name__ == "PatientImportDialog"
    admin.patients.register(person("Later", "Lou"))
    tab.dialog.reject()
    assert tab.model.total == 1


def test_window_puts_the_patients_tab_first(qtbot, admin, stand_in) -> None:
    w = mw.MainWindow(admin, idle_ms=0)
    qtbot.addWidget(w)
    assert list(w.tabs_by_slug)[0] == "history"
    assert w.tab_widget.tabText(0) == "Patients"
