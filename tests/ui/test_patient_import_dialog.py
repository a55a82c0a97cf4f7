"""The patient import dialog driven through its real widgets on a real encrypted clinic:
mapping a differently named column, problems listed by line and column, nothing imported
until clean, and the import-only-the-clean-rows path with the rejected rows saved."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from app.services import Services
from app.ui.dialogs.patient_import_dialog import NOT_IMPORTED, PatientImportDialog

# A file as another program exports it: its own column names, US dates.
HEADER = "Surname,Forename,Birth,Sex,City,State,Zip,Member phone\n"
CLEAN = ("Alvarez,Inés,02/03/1970,F,Springfield,IL,62701,217-555-0101\n"
         "O'Neil,Zoë,1975-06-30,F,Springfield,IL,62701,217-555-0102\n"
         "Smith,Jo,01/15/1990,M,Springfield,IL,62701,\n")
BAD = ("Badrow,Ann,13/45/1970,F,Springfield,IL,627,\n"      # line 5: DOB, ZIP
       "Other,Bea,03/04/1980,Q,Springfield,XX,62701,555\n")  # line 6: sex, state, phone


def choose(monkeypatch: pytest.MonkeyPatch, dlg: PatientImportDialog, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(path), "CSV files (*.csv)")))
    dlg.choose_button.click()


def make(qtbot, sv: Services) -> PatientImportDialog:
    dlg = PatientImportDialog(importer=sv.patient_import)
    qtbot.addWidget(dlg)
    return dlg


def check(qtbot, dlg: PatientImportDialog) -> None:
    dlg.check_button.click()
    qtbot.waitUntil(lambda: dlg.check is not None, timeout=10_000)


def test_mapping_a_differently_named_column_then_import(qtbot, admin: Services, tmp_path: Path,
                                                        monkeypatch, messages) -> None:
    path = tmp_path / "export.csv"
    path.write_text(HEADER + CLEAN, encoding="utf-8")
    dlg = make(qtbot, admin)
    assert not dlg.check_button.isEnabled()
    choose(monkeypatch, dlg, path)
    # Prefilled where the names agree; the others are for the clerk to choose.
    assert dlg.combos["last_name"].currentText() == "Surname"
    assert dlg.combos["sex"].currentText() == "Sex"
    assert dlg.combos["first_name"].currentText() == NOT_IMPORTED
    check(qtbot, dlg)
    assert not dlg.import_button.isEnabled() and not dlg.clean_button.isEnabled()
    assert "Fix the columns first" in dlg.summary.text()
    dlg.set_column("first_name", "Forename")
    dlg.set_column("dob", "Birth")
    dlg.set_column("phone", "Member phone")
    assert dlg.check is None  # a changed mapping needs a new check
    check(qtbot, dlg)
    assert dlg.problem_lines() == []
    assert "All 3 rows are clean" in dlg.summary.text()
    assert dlg.import_button.isEnabled() and not dlg.clean_button.isEnabled()
    with qtbot.waitSignal(dlg.imported, timeout=10_000) as sig:
        dlg.import_button.click()
    assert sig.args[0].imported == 3
    assert messages and messages[-1][0] == "information" and "Imported 3 patients" in \
        messages[-1][1]
    assert [r.first_name for r in admin.patients.search("alvarez")] == ["Inés"]
    assert admin.patients.get(admin.patients.search("smith")[0].id).data.dob.year == 1990


def _mapped_dialog(qtbot, sv: Services, path: Path, monkeypatch) -> PatientImportDialog:
    dlg = make(qtbot, sv)
    choose(monkeypatch, dlg, path)
    dlg.set_column("first_name", "Forename")
    dlg.set_column("dob", "Birth")
    dlg.set_column("phone", "Member phone")
    check(qtbot, dlg)
    return dlg


def test_check_lists_problems_and_imports_nothing(qtbot, admin: Services, tmp_path: Path,
                                                  monkeypatch, messages) -> None:
    path = tmp_path / "export.csv"
    path.write_text(HEADER + CLEAN + BAD, encoding="utf-8")
    dlg = _mapped_dialog(qtbot, admin, path, monkeypatch)
    lines = dlg.problem_lines()
    assert "line 5, Birth: not a date (use YYYY-MM-DD or MM/DD/YYYY)" in lines
    assert "line 5, Zip: A ZIP code is 5 or 9 digits." in lines
    assert any(ln.startswith("line 6, Sex: ") for ln in lines)
    assert any(ln.startswith("line 6, State: ") for ln in lines)
    assert any(ln.startswith("line 6, Member phone: ") for ln in lines)
    assert {ln.split(",")[0] for ln in lines} == {"line 5", "line 6"}
    assert "3 clean, 2 with problems" in dlg.summary.text()
    assert not dlg.import_button.isEnabled()
    assert dlg.clean_button.isEnabled()
    dlg.import_button.click()  # disabled: nothing happens
    assert admin.patients.count("") == 0 and messages == []


def test_import_only_the_clean_rows_saves_the_rejected(qtbot, admin: Services, tmp_path: Path,
                                                       monkeypatch, messages) -> None:
    path = tmp_path / "export.csv"
    path.write_text(HEADER + CLEAN + BAD, encoding="utf-8")
    dlg = _mapped_dialog(qtbot, admin, path, monkeypatch)
    out = tmp_path / "to-fix.csv"
    asked: list[str] = []

    def save_name(parent, caption, directory, *a, **k):
        asked.append(directory)
        return str(out), "CSV files (*.csv)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_name))
    with qtbot.waitSignal(dlg.imported, timeout=10_000) as sig:
        dlg.clean_button.click()
    assert asked == [str(tmp_path / "export-rejected.csv")]  # suggested beside the source
    assert (sig.args[0].imported, sig.args[0].rejected) == (3, 2)
    assert admin.patients.count("") == 3
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rejected = list(csv.DictReader(fh))
    assert [r["Surname"] for r in rejected] == ["Badrow", "Other"]
    assert "Birth: not a date" in rejected[0]["problem"]
    assert "2 rows with problems were saved" in messages[-1][1]


def test_cancelling_the_save_imports_nothing(qtbot, admin: Services, tmp_path: Path,
                                             monkeypatch, messages) -> None:
    path = tmp_path / "export.csv"
    path.write_text(HEADER + CLEAN + BAD, encoding="utf-8")
    dlg = _mapped_dialog(qtbot, admin, path, monkeypatch)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("", "")))
    dlg.clean_button.click()
    qtbot.wait(50)
    assert admin.patients.count("") == 0 and dlg.isEnabled()


def test_reimport_is_refused_in_the_dialog(qtbot, admin: Services, tmp_path: Path,
                                           monkeypatch, messages) -> None:
    path = tmp_path / "export.csv"
    path.write_text(HEADER + CLEAN, encoding="utf-8")
    dlg = _mapped_dialog(qtbot, admin, path, monkeypatch)
    with qtbot.waitSignal(dlg.imported, timeout=10_000):
        dlg.import_button.click()
    again = _mapped_dialog(qtbot, admin, path, monkeypatch)
    assert "already imported on" in again.summary.text()
    assert not again.import_button.isEnabled() and not again.clean_button.isEnabled()


def test_an_unreadable_file_is_explained(qtbot, admin: Services, tmp_path: Path, monkeypatch,
                                         messages) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    dlg = make(qtbot, admin)
    choose(monkeypatch, dlg, path)
    assert messages == [("warning", messages[0][1])] and "empty.csv is empty" in messages[0][1]
    assert dlg.csv is None and not dlg.check_button.isEnabled()


def test_ssn_sample_is_masked(qtbot, admin: Services, tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "ssn.csv"
    path.write_text("last_name,first_name,dob,sex,ssn\nAlpha,Ann,1970-01-01,F,123-45-6789\n",
                    encoding="utf-8")
    dlg = make(qtbot, admin)
    choose(monkeypatch, dlg, path)
    from app.services.patient_import import FIELDS

    item = dlg.mapping_table.item(FIELDS.index("ssn"), 2)
    assert item is not None and item.text() == "***-**-6789"
