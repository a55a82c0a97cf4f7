"""The Coding tab's reference pages driven through their real widgets on a real encrypted
clinic: the look-up (words in any order, the hierarchy and notes, billable only), the CPT
mapping dialog (a good file imported, a bad one imports nothing and lists its line), a HCPCS
fixed-width import, the fee schedule (add, edit, export, import back), a contract rate, the
quick-pick lists (add, refuse, reorder, label), and roles that may only look."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QWidget,
)

from app.formats.icd10cm import Icd10Entry
from app.services import Services
from app.services.directory import PayerData, ProviderData
from app.services.favorites import DIAGNOSES, PROCEDURES
from app.services.procedure_codes import ProcedureData
from app.ui.dialogs.cpt_import_dialog import CptImportDialog
from app.ui.errors import ProblemsDialog
from app.ui.tabs.coding import RIGHT
from app.ui.tabs.coding.code_sets_page import CodeSetsPage
from app.ui.tabs.coding.favorites_page import FavoritesPage
from app.ui.tabs.coding.fees_page import FeesPage
from app.ui.tabs.coding.lookup_page import LookupPage
from app.ui.widgets.form import FormDialog
from tests.conftest import ADMIN, ADMIN_PASSWORD, add_user

pytest_plugins = ["tests.unit.icd_fixture"]

WAIT = 15_000


# --- helpers ------------------------------------------------------------------------------------
def open_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(path), "")))


def save_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(path), "")))


def type_into(qtbot, form_dialog: FormDialog, values: dict[str, str]) -> None:
    for attr, text in values.items():
        editor = form_dialog.form.editors[attr]
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(editor.findData(text))
        else:
            assert isinstance(editor, QLineEdit)
            editor.clear()
            qtbot.keyClicks(editor, text)


def save(form_dialog: FormDialog) -> None:
    form_dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def codes(page: LookupPage) -> list[str]:
    return [h.code for h in page.model.rows]


def wait_info(qtbot, messages: list[tuple[str, str]], before: int = 0) -> str:
    qtbot.waitUntil(lambda: any(k == "information" for k, _t in messages[before:]),
                    timeout=WAIT)
    return next(t for k, t in messages[before:] if k == "information")


def hidden(*widgets: QWidget) -> bool:
    return all(w.isHidden() for w in widgets)


# --- look-up ------------------------------------------------------------------------------------
def test_lookup_finds_words_in_any_order_and_shows_hierarchy_and_notes(qtbot, icd_admin: Services
                                                                       ) -> None:
    page = LookupPage(code_sets=icd_admin.code_sets, procedure_codes=icd_admin.procedure_codes)
    qtbot.addWidget(page)
    qtbot.keyClicks(page.search, "neuro type 2 diab")  # words in any order, as prefixes
    qtbot.waitUntil(lambda: "E11.40" in codes(page), timeout=WAIT)
    page.table.selectRow(codes(page).index("E11.40"))
    text = page.detail_text()
    assert "E11.40 Type 2 diabetes mellitus with diabetic neuropathy, unspecified" in text
    assert "Billable." in text
    # where it sits: chapter → block → category → subcategory → the code
    for line in ("Chapter 4", "E08-E13 Diabetes mellitus", "E11 Type 2 diabetes mellitus",
                 "E11.4 Type 2 diabetes mellitus with neurological complications"):
        assert line in text
    assert text.index("Chapter 4") < text.index("E08-E13") < text.index("E11.4 ")
    # the notes that apply, inherited from the category E11
    assert "Notes of E11" in text and "Excludes1" in text
    assert "type 1 diabetes mellitus (E10.-)" in text
    assert "Use additional code" in text and "insulin (Z79.4)" in text
    # a link in the hierarchy opens that entry, with the codes under it
    page.open_diagnosis("E11")
    text = page.detail_text()
    assert "Not billable" in text and "E11.9 Type 2 diabetes mellitus without complications" \
        in text


def test_lookup_billable_only_hides_a_header_and_searches_procedures(qtbot, icd_admin: Services
                                                                     ) -> None:
    icd_admin.procedure_codes.add_procedure(ProcedureData(
        "hcpcs", "J1100", "Dexamethasone 1 mg", "Injection, dexamethasone sodium phosphate, "
        "1 mg", is_drug=True))
    page = LookupPage(code_sets=icd_admin.code_sets, procedure_codes=icd_admin.procedure_codes)
    qtbot.addWidget(page)
    page.set_query("e11.6")
    assert "E11.6" in codes(page) and "E11.65" in codes(page)
    header = page.model.rows[codes(page).index("E11.6")]
    assert not header.billable and header.status.startswith("No")
    page.billable_box.click()
    assert page.billable_box.isChecked()
    assert "E11.6" not in codes(page) and "E11.65" in codes(page)
    assert all(h.billable for h in page.model.rows)
    page.system_combo.setCurrentIndex(page.system_combo.findText("HCPCS"))
    page.set_query("dexameth inj")
    assert codes(page) == ["J1100"]
    assert "Injection, dexamethasone sodium phosphate, 1 mg" in page.detail_text()
    assert "needs the NDC" in page.detail_text()


# --- CPT ----------------------------------------------------------------------------------------
def _cpt_dialog(qtbot, sv: Services, path: Path, monkeypatch) -> tuple[CodeSetsPage,
                                                                       CptImportDialog]:
    page = CodeSetsPage(ctx=sv.ctx, code_sets=sv.code_sets, procedure_codes=sv.procedure_codes)
    qtbot.addWidget(page)
    page.cpt_button.click()
    dlg = page.dialog
    assert isinstance(dlg, CptImportDialog)
    open_file(monkeypatch, path)
    dlg.choose_button.click()
    return page, dlg


def test_cpt_dialog_maps_columns_and_imports(qtbot, admin: Services, tmp_path: Path,
                                             monkeypatch, messages) -> None:
    path = tmp_path / "our-cpt.csv"
    path.write_text("Descriptor,CPT,Abbrev\n"
                    "\"Office or other outpatient visit, established patient, low\",99213,"
                    "Office visit est low\n"
                    "Electrocardiogram with interpretation and report,93000,ECG complete\n",
                    encoding="utf-8")
    page, dlg = _cpt_dialog(qtbot, admin, path, monkeypatch)
    assert dlg.header_box.isChecked()
    assert dlg.combos["code"].currentData() == 1  # the column named CPT
    assert dlg.preview_table.rowCount() == 2
    assert dlg.preview_table.item(0, 1).text() == "99213"
    dlg.set_column("short", 2)
    dlg.set_column("long", 0)
    with qtbot.waitSignal(dlg.imported, timeout=WAIT):
        dlg.import_button.click()
    assert "added 2" in wait_info(qtbot, messages)
    got = admin.procedure_codes.get("99213")
    assert got is not None and got.system == "cpt"
    assert got.short_description == "Office visit est low"
    assert got.long_description.startswith("Office or other outpatient visit")
    page.filter.setText("ecg")
    page.load_codes()
    assert [h.code for h in page.procedures.rows] == ["93000"]


def test_cpt_bad_file_imports_nothing_and_lists_the_line(qtbot, admin: Services, tmp_path: Path,
                                                         monkeypatch, messages) -> None:
    path = tmp_path / "cpt.csv"
    path.write_text("code,short,long\n99213,Office visit est low,Office visit\n"
                    "9921X,Typo,Typo row\n", encoding="utf-8")
    _page, dlg = _cpt_dialog(qtbot, admin, path, monkeypatch)
    dlg.import_button.click()
    qtbot.waitUntil(lambda: dlg.problem_lines() != [], timeout=WAIT)
    assert dlg.problem_lines() == [3]
    assert "nothing was imported" in dlg.summary.text()
    assert "9921X" in dlg.problems.item(0, 2).text()
    assert admin.procedure_codes.get("99213") is None  # the good row was not imported either
    assert dlg.isVisible() and not messages


# --- HCPCS --------------------------------------------------------------------------------------
def record(code: str, seq: int, ric: str, long: str = "", short: str = "",
           add: str = "") -> str:
    """One 320-character CMS HCPCS record (app.formats.hcpcs: 1-5 code, 6-10 sequence, 11
    record id, 12-91 long, 92-119 short, 269-276 add date)."""
    r = [" "] * 320
    for pos, text in ((1, code if len(code) == 5 else "   " + code), (6, f"{seq:05d}"),
                      (11, ric), (12, long[:80]), (92, short[:28]), (269, add)):
        r[pos - 1:pos - 1 + len(text)] = list(text)
    return "".join(r)


HCPCS_LINES = [
    record("J0129", 100, "3", "Injection, abatacept, 10 mg (code may be used for medicare when",
           "Abatacept injection", "20070101"),
    record("J0129", 200, "4", "drug administered under the direct supervision of a physician)"),
    record("LT", 100, "7", "Left side (used to identify procedures performed on the left side",
           "Left side", "19950101"),
]


def test_hcpcs_fixed_width_import_and_a_bad_file(qtbot, admin: Services, tmp_path: Path,
                                                 monkeypatch, messages) -> None:
    page = CodeSetsPage(ctx=admin.ctx, code_sets=admin.code_sets,
                        procedure_codes=admin.procedure_codes)
    qtbot.addWidget(page)
    bad = tmp_path / "HCPC2024_JAN_ANWEB.txt"
    bad.write_text("\n".join([HCPCS_LINES[0], record("A0100", 100, "3", "Taxi") + "extra"]),
                   encoding="cp1252")
    open_file(monkeypatch, bad)
    page.hcpcs_button.click()
    qtbot.waitUntil(lambda: isinstance(page.dialog, ProblemsDialog), timeout=WAIT)
    assert page.dialog.lines() == [2]
    assert admin.procedure_codes.get("J0129") is None and page.releases.rowCount() == 0

    good = tmp_path / "HCPC2025_JAN_ANWEB.txt"
    good.write_text("\n".join(HCPCS_LINES) + "\n", encoding="cp1252")
    open_file(monkeypatch, good)
    page.hcpcs_button.click()
    text = wait_info(qtbot, messages)
    assert "HCPCS release 2025 JAN" in text
    assert [(r.system, r.version) for r in page.releases.rows] == [("hcpcs", "2025 JAN")]
    got = admin.procedure_codes.get("J0129")
    assert got is not None and got.long_description.endswith("supervision of a physician)")
    assert got.effective_from == date(2007, 1, 1)
    assert "LT" in [m.code for m in page.modifiers.rows]


# --- fees ---------------------------------------------------------------------------------------
def _fees_page(qtbot, sv: Services) -> FeesPage:
    page = FeesPage(ctx=sv.ctx, fees=sv.fees, ncci=sv.ncci, directory=sv.directory)
    qtbot.addWidget(page)
    return page


def test_fee_schedule_add_edit_export_and_import_back(qtbot, admin: Services, tmp_path: Path,
                                                      monkeypatch, messages) -> None:
    page = _fees_page(qtbot, admin)
    page.add_fee_button.click()
    type_into(qtbot, page.dialog, {"code": "99213", "modifier": "", "charge": "abc"})
    save(page.dialog)
    assert page.dialog.isVisible() and page.dialog.form.problem("charge")
    type_into(qtbot, page.dialog, {"charge": "$1,250.00"})
    save(page.dialog)
    assert [(f.code, f.charge) for f in admin.fees.fee_schedule()] == [("99213",
                                                                         Decimal("1250.00"))]
    charge = page.fee_model.index(0, 3)
    assert charge.data() == "1,250.00" and charge.data(Qt.ItemDataRole.TextAlignmentRole) == RIGHT

    page.fee_view.selectRow(0)
    page.edit_fee_button.click()
    assert not page.dialog.form.editors["code"].isEnabled()
    type_into(qtbot, page.dialog, {"charge": "130.5"})
    save(page.dialog)
    assert admin.fees.fee_schedule()[0].charge == Decimal("130.50")

    exported = tmp_path / "fees.csv"
    save_file(monkeypatch, exported)
    page.export_fee_button.click()
    assert "1 rows written" in wait_info(qtbot, messages)
    page.fee_view.selectRow(0)
    page.delete_fee_button.click()  # the messages fixture answers Yes
    assert admin.fees.fee_schedule() == [] and page.fee_model.rowCount() == 0

    open_file(monkeypatch, exported)
    before = len(messages)
    page.import_fee_button.click()
    assert "1 added" in wait_info(qtbot, messages, before)
    assert [(f.code, f.modifier, f.charge) for f in admin.fees.fee_schedule()] == [
        ("99213", "", Decimal("130.50"))]
    assert page.fee_model.rowCount() == 1


def test_bad_fee_file_imports_nothing_and_lists_the_line(qtbot, admin: Services, tmp_path: Path,
                                                         monkeypatch, messages) -> None:
    path = tmp_path / "fees.csv"
    path.write_text("code,modifier,charge\n99213,,120.00\n99214,,12.345\n", encoding="utf-8")
    page = _fees_page(qtbot, admin)
    open_file(monkeypatch, path)
    page.import_fee_button.click()
    qtbot.waitUntil(lambda: isinstance(page.dialog, ProblemsDialog), timeout=WAIT)
    assert page.dialog.lines() == [3]
    assert admin.fees.fee_schedule() == []


def test_contract_rate_added_for_the_chosen_payer(qtbot, admin: Services, messages) -> None:
    payer = admin.directory.save_payer(PayerData("Blue Plan", "BLUE1", "BL"))
    page = _fees_page(qtbot, admin)
    page.payer_combo.setCurrentIndex(page.payer_combo.findData(payer.id))
    page.add_rate_button.click()
    assert page.dialog.form.values()["payer_id"] == str(payer.id)
    type_into(qtbot, page.dialog, {"code": "99213", "allowed": "82.17",
                                   "effective_from": "01/01/2025"})
    save(page.dialog)
    rates = admin.fees.contract_rates(payer_id=payer.id)
    assert [(r.code, r.allowed, r.effective_from) for r in rates] == [
        ("99213", Decimal("82.17"), date(2025, 1, 1))]
    assert page.rate_model.index(0, 4).data() == "82.17"


# --- quick picks --------------------------------------------------------------------------------
def _tiny_release() -> list[Icd10Entry]:
    return [Icd10Entry("4", "chapter", "Endocrine diseases (E00-E89)", False, "", "4", ""),
            Icd10Entry("E08-E13", "block", "Diabetes mellitus (E08-E13)", False, "4", "4",
                       "E08-E13"),
            Icd10Entry("E11", "category", "Type 2 diabetes mellitus", False, "E08-E13", "4",
                       "E08-E13"),
            Icd10Entry("E119", "subcategory", "Type 2 diabetes mellitus without complications",
                       True, "E11", "4", "E08-E13"),
            Icd10Entry("E1165", "subcategory", "Type 2 diabetes mellitus with hyperglycemia",
                       True, "E11", "4", "E08-E13")]


def _pick(qtbot, page: FavoritesPage, group: str, query: str) -> None:
    """Open the picker (if needed), type, and press Enter to add the first match."""
    if page.picker is None or not page.picker.isVisible():
        page.lists[group].add_button.click()
    assert page.picker is not None
    page.picker.search_edit.clear()
    qtbot.keyClicks(page.picker.search_edit, query)
    qtbot.keyClick(page.picker.search_edit, Qt.Key.Key_Return)


def shown(page: FavoritesPage, group: str) -> list[str]:
    return [r.display_code for r in page.rows(group)]


def test_quick_picks_add_refuse_reorder_and_label(qtbot, admin: Services, monkeypatch) -> None:
    admin.code_sets.load_release("FY2026", date(2025, 10, 1), _tiny_release(), "test")
    admin.procedure_codes.add_procedure(ProcedureData("hcpcs", "J1100", "Dexamethasone 1 mg"))
    provider = admin.directory.save_provider(ProviderData("Stone", "Sam", "1234567893"))
    page = FavoritesPage(ctx=admin.ctx, favorites=admin.favorites, directory=admin.directory,
                         code_sets=admin.code_sets, procedure_codes=admin.procedure_codes)
    qtbot.addWidget(page)
    assert page.provider_id() == provider.id
    _pick(qtbot, page, DIAGNOSES, "without compl")
    _pick(qtbot, page, DIAGNOSES, "hyperglyc type")
    _pick(qtbot, page, DIAGNOSES, "E11")  # the category: not billable, refused
    assert page.picker is not None and "not a billable code" in page.picker.status.text()
    page.picker.reject()
    assert shown(page, DIAGNOSES) == ["E11.9", "E11.65"]

    page.lists[DIAGNOSES].view.selectRow(1)
    page.lists[DIAGNOSES].up_button.click()
    assert shown(page, DIAGNOSES) == ["E11.65", "E11.9"]
    stored = admin.favorites.list(provider.id, DIAGNOSES)
    assert [(f.display_code, f.position) for f in stored] == [("E11.65", 1), ("E11.9", 2)]
    assert page.lists[DIAGNOSES].selected().display_code == "E11.65"  # stays on the moved one

    monkeypatch.setattr(QInputDialog, "getText",
                        staticmethod(lambda *a, **k: ("Diabetes, high sugar", True)))
    page.lists[DIAGNOSES].label_button.click()
    assert admin.favorites.list(provider.id, DIAGNOSES)[0].label == "Diabetes, high sugar"
    assert page.lists[DIAGNOSES].model.index(0, 3).data() == "Diabetes, high sugar"

    _pick(qtbot, page, PROCEDURES, "dexameth")
    assert [(f.system, f.code) for f in admin.favorites.list(provider.id, PROCEDURES)] == [
        ("hcpcs", "J1100")]
    page.lists[DIAGNOSES].view.selectRow(1)
    page.lists[DIAGNOSES].remove_button.click()
    assert shown(page, DIAGNOSES) == ["E11.65"]


# --- roles --------------------------------------------------------------------------------------
def _as(sv: Services, username: str, role: str) -> None:
    password = add_user(sv, username, role)
    sv.users.sign_in(username, password)


def test_a_coder_sees_fees_but_cannot_change_them(qtbot, admin: Services) -> None:
    admin.fees.set_fee("99213", "", Decimal("120.00"))
    _as(admin, "carla", "coder")
    page = _fees_page(qtbot, admin)
    assert page.fee_model.rowCount() == 1  # reading is allowed
    assert hidden(page.add_fee_button, page.edit_fee_button, page.delete_fee_button,
                  page.import_fee_button, page.add_rate_button, page.edit_rate_button,
                  page.delete_rate_button, page.import_rate_button, page.ptp_button,
                  page.mue_button)
    assert not page.export_fee_button.isHidden()
    page.fee_view.selectRow(0)
    page.edit_fee()  # a double click does nothing either
    assert page.dialog is None
    # ...while a coder manages code sets and quick picks
    sets = CodeSetsPage(ctx=admin.ctx, code_sets=admin.code_sets,
                        procedure_codes=admin.procedure_codes)
    qtbot.addWidget(sets)
    assert not sets.cpt_button.isHidden() and not sets.add_code_button.isHidden()


def test_a_biller_cannot_change_code_sets_or_quick_picks(qtbot, admin: Services) -> None:
    _as(admin, "bill", "biller")
    sets = CodeSetsPage(ctx=admin.ctx, code_sets=admin.code_sets,
                        procedure_codes=admin.procedure_codes)
    qtbot.addWidget(sets)
    assert hidden(sets.icd_button, sets.hcpcs_button, sets.cpt_button, sets.add_code_button,
                  sets.edit_code_button, sets.add_modifier_button, sets.edit_modifier_button)
    assert sets.modifiers.rowCount() > 0  # the bundled list, readable by all
    picks = FavoritesPage(ctx=admin.ctx, favorites=admin.favorites, directory=admin.directory,
                          code_sets=admin.code_sets, procedure_codes=admin.procedure_codes)
    qtbot.addWidget(picks)
    assert all(hidden(*fav_list.buttons()) for fav_list in picks.lists.values())


def test_every_page_opens_without_an_error_for_every_role(qtbot, admin: Services,
                                                         messages) -> None:
    """Each page reads only what every role may read, so none shows an error on opening."""
    for role in ("front_desk", "coder", "biller"):
        _as(admin, f"user_{role}", role)
        builders: list[Callable[[], QWidget]] = [
            lambda: LookupPage(code_sets=admin.code_sets,
                               procedure_codes=admin.procedure_codes),
            lambda: CodeSetsPage(ctx=admin.ctx, code_sets=admin.code_sets,
                                 procedure_codes=admin.procedure_codes),
            lambda: FeesPage(ctx=admin.ctx, fees=admin.fees, ncci=admin.ncci,
                             directory=admin.directory),
            lambda: FavoritesPage(ctx=admin.ctx, favorites=admin.favorites,
                                  directory=admin.directory, code_sets=admin.code_sets,
                                  procedure_codes=admin.procedure_codes),
        ]
        for build in builders:
            qtbot.addWidget(build())
        admin.users.sign_in(ADMIN, ADMIN_PASSWORD)
    assert messages == []


def test_mue_import_with_its_date_updates_the_counts(qtbot, admin: Services, tmp_path: Path,
                                                     monkeypatch, messages) -> None:
    path = tmp_path / "mue.csv"
    path.write_text("HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,"
                    "MUE Rationale\n99213,1,2 Date of Service Edit: Policy,Policy\n"
                    "J1100,30,3 Date of Service Edit: Clinical,Clinical\n", encoding="utf-8")
    page = _fees_page(qtbot, admin)
    assert "No MUE limits imported yet" in page.ncci_label.text()
    open_file(monkeypatch, path)
    page.mue_button.click()
    type_into(qtbot, page.dialog, {"effective_from": "01/01/2025"})
    save(page.dialog)
    assert "2 rows read from mue.csv: 2 added" in wait_info(qtbot, messages)
    counts = admin.ncci.counts(date(2025, 2, 1))
    assert (counts.mue_in_force, counts.mue_effective_from) == (2, date(2025, 1, 1))
    assert "file in force from 01/01/2025" in page.ncci_label.text()


def test_cpt_dialog_says_so_when_the_chosen_file_cannot_be_read(
        qtbot, admin: Services, tmp_path: Path, messages: list[tuple[str, str]]) -> None:
    dlg = CptImportDialog(procedure_codes=admin.procedure_codes)
    qtbot.addWidget(dlg)
    dlg.load_file(tmp_path / "gone.csv")
    assert messages and "gone.csv" in messages[-1][1]
    assert dlg.preview is None and not dlg.import_button.isEnabled()
