"""The Quality tab's Measures page through its widgets on a real encrypted clinic (the
hand-built diabetics of tests/unit/test_quality.py, evaluated over 2024): the results table
with counts, rate and the list to act on, the split by provider, the trend chart, the list to
act on and the data gaps with their values, the CSV export, a kept run compared with an
earlier one after a definition changed, the definitions editor refusing a bad definition in
red and saving a good one, and who sees what. Grabbed to PNG. All names are made up."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from app.services import Services
from app.ui.tabs.quality.measure_dialogs import DefinitionsDialog
from app.ui.tabs.quality.measures_page import GAPS, MeasuresPage
from app.ui.tabs.quality.services import QualityServices
from app.ui.tabs.quality_tab import MEASURES, REGISTRIES, QualityTab
from tests.unit.test_coding import sign_in_as
from tests.unit.test_quality import A1C, World, diabetics, world  # noqa: F401 - fixtures

MEASURE, RATE, ACT = 0, 5, 6


def page_of(qtbot, sv: Services) -> MeasuresPage:
    tab = QualityTab(sv=QualityServices.of(sv))
    qtbot.addWidget(tab)
    tab.resize(1300, 900)
    tab.show()
    qtbot.waitExposed(tab)
    page = tab.page(MEASURES)
    page.owner_tab = tab  # the tab owns the page: keep it alive with the test's reference
    qtbot.waitUntil(lambda: page._loaded)
    page.start.setDate(QDate(2024, 1, 1))
    page.end.setDate(QDate(2024, 12, 31))
    return page


def evaluated(qtbot, page: MeasuresPage) -> None:
    page.evaluation = None
    page.evaluate_button.click()
    qtbot.waitUntil(lambda: page.evaluation is not None and not page.busy, timeout=30_000)


def row_of(page: MeasuresPage, measure_id: str) -> int:
    assert page.evaluation is not None
    return next(i for i, m in enumerate(page.evaluation.measures) if m.measure_id == measure_id)


def cell(page: MeasuresPage, row: int, col: int) -> str:
    return page.table.item(row, col).text()


def grab(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    assert widget.grab().save(str(path))


def test_evaluate_then_the_provider_split_trend_and_lists(
        qtbot, diabetics: World, tmp_path: Path, monkeypatch) -> None:  # noqa: F811
    sv = diabetics.sv
    page = page_of(qtbot, sv)
    assert not page.list_button.isEnabled()  # nothing evaluated yet
    evaluated(qtbot, page)
    i = row_of(page, A1C)
    expected = sv.quality.evaluate(page.evaluation.start, page.evaluation.end,
                                   measure_ids=[A1C], save=False).measure(A1C)
    assert cell(page, i, MEASURE).endswith("(lower is better)")
    assert cell(page, i, ACT) == f"{expected.counts.numerator:,}"  # inverse: the numerator
    assert cell(page, i, RATE) == f"{expected.counts.rate * 100:.1f}%"
    page.table.selectRow(i)
    assert page.providers.rowCount() >= 1
    assert page.providers.item(0, 0).text() == expected.providers[0].provider_name
    page.trend_button.click()
    qtbot.waitUntil(lambda: bool(page.trend) and not page.busy, timeout=30_000)
    assert len(page.chart.categories) == 12 and page.chart.categories[0] == "Jan 24"
    page.list_button.click()  # the list to act on
    qtbot.waitUntil(lambda: page.patient_list is not None and not page.busy, timeout=30_000)
    keys = {diabetics.key_of(r.patient_id) for r in page.patient_list.rows}
    assert keys == diabetics.keys(sv.quality.patients(A1C, page.evaluation.start,
                                                       page.evaluation.end).rows)
    assert page.patients.rowCount() == len(keys)
    headers = [page.patients.horizontalHeaderItem(c).text()
               for c in range(page.patients.columnCount())]
    assert headers[:2] == ["Patient", "MRN"] and "Hemoglobin A1c" in headers
    grab(page, tmp_path / "measures.png")
    page.part.setCurrentIndex(page.part.findData(GAPS))
    page.list_button.click()
    qtbot.waitUntil(lambda: page.patient_list.part == "data_gaps" and not page.busy,
                    timeout=30_000)
    assert "none" in {diabetics.key_of(r.patient_id) for r in page.patient_list.rows}
    assert page.patients.horizontalHeaderItem(page.patients.columnCount() - 1).text() \
        == "Missing"
    out = tmp_path / "gaps.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(out), "CSV files (*.csv)")))
    page.export_button.click()
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert len(rows) == 1 + len(page.patient_list.rows) and "gaps.csv" in page.result.text()


def test_a_kept_run_is_compared_after_the_definition_changed(
        qtbot, diabetics: World, tmp_path: Path) -> None:  # noqa: F811
    sv = diabetics.sv
    page = page_of(qtbot, sv)
    evaluated(qtbot, page)
    first = page.evaluation.run_id
    assert first is not None and "kept" in page.result.text()
    page.definitions_button.click()
    dialog = page.dialog
    assert isinstance(dialog, DefinitionsDialog)
    dialog.list.setCurrentRow(next(i for i, x in enumerate(dialog.infos)
                                   if x.measure_id == A1C))
    dialog.editor.setPlainText("{ not json")
    dialog.buttons["save"].click()
    assert "not valid JSON" in dialog.problem.text()
    data = json.loads(json.dumps(dialog.current.data))
    data["numerator"] = {"observation": {"code": "4548-4", "window": "period",
                                         "value": "latest", "gt": "99"}}
    dialog.editor.setPlainText(json.dumps(data, indent=2))
    bad = dict(data, inverse="yes")
    dialog.editor.setPlainText(json.dumps(bad))
    assert not dialog.check() and "inverse" in dialog.problem.text()
    dialog.editor.setPlainText(json.dumps(data, indent=2))
    assert dialog.check()
    grab(dialog, tmp_path / "definitions.png")
    dialog.buttons["save"].click()
    assert "saved" in dialog.result.text() and dialog.current.edited
    dialog.close()
    evaluated(qtbot, page)
    assert page.evaluation.run_id != first
    page.compare.setCurrentIndex(page.compare.findData(first))
    i = row_of(page, A1C)
    assert not page.table.isColumnHidden(9)
    assert cell(page, i, 4) == "0"  # nobody over 99
    assert cell(page, i, 9).endswith("pts") and cell(page, i, 9).startswith("-")


@pytest.mark.parametrize(("role", "pages", "edits"), [
    ("admin", [MEASURES, REGISTRIES], True), ("biller", [MEASURES, REGISTRIES], False),
    ("coder", [MEASURES, REGISTRIES], False)])
def test_who_sees_what(qtbot, admin: Services, role: str, pages: list[str],
                       edits: bool) -> None:
    if role != "admin":
        sign_in_as(admin, role)
    tab = QualityTab(sv=QualityServices.of(admin))
    qtbot.addWidget(tab)
    assert list(tab.pages) == pages
    page = tab.page(MEASURES)
    assert page.definitions_button.isVisibleTo(page) is edits
