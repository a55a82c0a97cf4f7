"""The Quality tab's Registries page through its widgets on a real encrypted clinic: members
found by the rule, a tracked value typed into the table and saved (a bad date refused in red
and put back), an overdue follow-up red and first, a patient added and taken out by hand,
past members shown greyed, the CSV export, a registry made from a template by an
administrator, and what each role sees. The page and its dialogs are grabbed to PNG. All
names are made up."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from app.formats.fhir_export import read_bundle
from app.services import Services
from app.services.registries import TEMPLATES, FieldSpec
from app.ui.tabs.coding import ERROR_COLOUR
from app.ui.tabs.quality.registries_page import FIXED, RegistriesPage
from app.ui.tabs.quality.registry_dialogs import AddMemberDialog, RegistryDialog
from app.ui.tabs.quality.services import QualityServices
from app.ui.tabs.quality_tab import REGISTRIES, QualityTab, can_open
from tests.unit.claim_fixtures import patient
from tests.unit.test_coding import sign_in_as
from tests.unit.test_registries import problem

CANCER = TEMPLATES[0]
EDITABLE = Qt.ItemFlag.ItemIsEditable
STAGE, FOLLOW_UP = len(FIXED) + 2, len(FIXED) + 5  # columns of the cancer template's fields


@pytest.fixture
def rid(admin: Services) -> int:
    """A cancer registry with two members found by its rule."""
    for n, last, code in ((1, "Alder", "C50.911"), (2, "Birch", "C18.9")):
        problem(admin, patient(admin, n, last=last), code)
    saved = admin.registries.save_registry(CANCER)
    assert saved.id is not None
    admin.registries.refresh(saved.id)
    return saved.id


def page_of(qtbot, sv: Services) -> RegistriesPage:
    tab = QualityTab(sv=QualityServices.of(sv))
    qtbot.addWidget(tab)
    tab.resize(1300, 700)
    tab.show()
    qtbot.waitExposed(tab)
    page = tab.page(REGISTRIES)
    page.owner_tab = tab  # the tab owns the page: keep it alive with the test's reference
    qtbot.waitUntil(lambda: page._loaded)
    return page


def grab(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    assert widget.grab().save(str(path))


def column(page: RegistriesPage, col: int) -> list[str]:
    return [page.table.item(i, col).text() for i in range(page.table.rowCount())]


def test_values_are_typed_into_the_table_and_a_bad_one_is_refused(
        qtbot, admin: Services, rid: int, tmp_path: Path) -> None:
    page = page_of(qtbot, admin)
    assert column(page, 0) == ["Alder, Jane", "Birch, Jane"]
    assert column(page, 4) == ["Rule", "Rule"]
    assert page.table.horizontalHeaderItem(STAGE).text() == "Stage"
    page.table.item(0, STAGE).setText("II")
    assert page.rows[0].values["stage"] == "II" and page.problem.isHidden()
    page.table.item(1, FOLLOW_UP).setText("13/45/2026")  # refused, put back
    assert "Follow-up date" in page.problem.text() and column(page, FOLLOW_UP)[1] == ""
    late = date.today() - timedelta(days=3)
    page.table.item(1, FOLLOW_UP).setText(f"{late:%m/%d/%Y}")
    assert page.rows[1].overdue and page.problem.isHidden()
    grab(page, tmp_path / "registry.png")
    page.reload()  # the overdue member comes first, in red
    assert column(page, 0) == ["Birch, Jane", "Alder, Jane"]
    assert page.table.item(0, FOLLOW_UP).foreground().color() == QColor(ERROR_COLOUR)
    assert "1 overdue" in page.count_label.text() and "1 overdue" in page.combo.currentText()
    page.overdue_only.setChecked(True)
    assert column(page, 0) == ["Birch, Jane"]
    assert [r.values.get("stage") for r in admin.registries.members(rid)] == [None, "II"]


def test_patients_are_added_and_taken_out_by_hand(qtbot, admin: Services, rid: int,
                                                  tmp_path: Path) -> None:
    patient(admin, 3, last="Cedar")
    page = page_of(qtbot, admin)
    page.add_button.click()
    dialog = page.dialog
    assert isinstance(dialog, AddMemberDialog) and not dialog.ok_button.isEnabled()
    dialog.picker.search.setText("Cedar")
    dialog.picker.run_search()
    dialog.picker.matches.setCurrentRow(0)
    dialog.reason.setText("Diagnosed elsewhere")
    grab(dialog, tmp_path / "registry_add.png")
    dialog.ok_button.click()
    assert "Cedar, Jane added by hand" in page.result.text()
    assert column(page, 0) == ["Alder, Jane", "Birch, Jane", "Cedar, Jane"]
    assert column(page, 4)[2] == "By hand"
    assert not page.remove_button.isEnabled()  # nobody chosen
    page.table.selectRow(0)
    page.remove_button.click()
    page.dialog.reason.setPlainText("Benign on review")
    page.dialog.ok_button.click()
    assert column(page, 0) == ["Birch, Jane", "Cedar, Jane"]
    page.past.setChecked(True)  # the past member, greyed, with why they left
    assert column(page, 0)[-1] == "Alder, Jane"
    assert "Benign on review" in page.table.item(2, page.table.columnCount() - 1).text()
    assert page.table.item(0, STAGE).flags() & EDITABLE  # members' values are typed in
    assert not page.table.item(2, STAGE).flags() & EDITABLE  # a past member's are not


def test_the_members_export_as_csv(qtbot, admin: Services, rid: int, tmp_path: Path,
                                   monkeypatch) -> None:
    out = tmp_path / "cancer.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(out), "CSV files (*.csv)")))
    page = page_of(qtbot, admin)
    page.export_button.click()
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["last_name"] for r in rows] == ["Alder", "Birch"]
    assert "cancer.csv" in page.result.text()


def test_the_members_export_as_a_fhir_bundle(qtbot, admin: Services, rid: int,
                                             tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "cancer.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(out), "FHIR JSON (*.json)")))
    page = page_of(qtbot, admin)
    page.fhir_button.click()
    qtbot.waitUntil(lambda: page.fhir_file is not None, timeout=20_000)
    bundle = read_bundle(out.read_bytes())
    kinds = [e.resource.resource_type for e in bundle.entry]
    assert kinds.count("Patient") == 2 and kinds.count("Condition") == 2
    assert "2 member(s) exported to cancer.json" in page.result.text()


def test_an_administrator_makes_a_registry_from_a_template(qtbot, admin: Services,
                                                           tmp_path: Path) -> None:
    page = page_of(qtbot, admin)
    assert page.combo.count() == 0 and not page.add_button.isEnabled()
    page.new_button.click()
    dialog = page.dialog
    assert isinstance(dialog, RegistryDialog)
    dialog.template.setCurrentIndex(dialog.template.findText("Diabetes registry"))
    assert dialog.prefixes.text() == "E10, E11, E13" and dialog.table.rowCount() == 4
    dialog.name.setText("")
    dialog.ok_button.click()  # refused: no name
    assert dialog.isVisible() and "name" in dialog.problem.text()
    dialog.name.setText("Diabetes (adults)")
    dialog.add_field(FieldSpec("a1c_goal", "A1c goal", "number"))
    grab(dialog, tmp_path / "registry_editor.png")
    dialog.ok_button.click()
    assert not dialog.isVisible()
    (summary,) = admin.registries.registries()
    assert summary.name == "Diabetes (adults)"
    assert page.combo.currentData() == summary.id
    assert page.table.horizontalHeaderItem(len(FIXED) + 4).text() == "A1c goal"


def test_who_sees_what(qtbot, admin: Services, rid: int) -> None:
    sign_in_as(admin, "biller")  # reads and exports; keeps nothing
    page = page_of(qtbot, admin)
    assert page.table.rowCount() == 2 and page.export_button.isVisibleTo(page)
    assert not page.add_button.isVisibleTo(page) and not page.new_button.isVisibleTo(page)
    assert not page.table.item(0, STAGE).flags() & EDITABLE
    sign_in_as(admin, "coder")
    page = page_of(qtbot, admin)
    assert page.add_button.isVisibleTo(page) and not page.new_button.isVisibleTo(page)
    sign_in_as(admin, "front_desk")
    assert not can_open(admin.ctx)
