"""Coding › Code sets: the releases loaded (ICD-10-CM and HCPCS, with versions and the dates
each is in force), loading a new one (the CMS ICD-10-CM tabular XML, the CMS HCPCS file, the
clinic's own CPT CSV through the mapping dialog), the procedure codes with Add/Edit, and the
modifiers with Add/Edit.

Imports run in the background with progress and are all-or-nothing in the services; a refused
file's bad lines are listed (`present_import_error`). Roles without MANAGE_CODE_SETS see the
lists without the buttons that change them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.services.code_sets import CPT, HCPCS, ICD10CM, CodeSetService, ReleaseInfo
from app.services.context import UserContext
from app.services.permissions import Permission
from app.services.procedure_codes import (
    ModifierData,
    ModifierRow,
    ProcedureCodeService,
    ProcedureData,
    ProcedureHit,
    import_summary_lines,
    version_from_filename,
)
from app.ui.dialogs.cpt_import_dialog import CptImportDialog, choose_file, start_file_job
from app.ui.errors import present_import_error, show_error
from app.ui.table_models.reference_table_models import (
    ModifierTableModel,
    ProcedureCodeTableModel,
    ReleaseTableModel,
    make_view,
    selected_row,
)
from app.ui.widgets.form import FieldSpec, FormDialog, heading, note

DEBOUNCE_MS = 150
FIRST_CODES = 200  # listed before anything is typed, in code order
SYSTEM_FILTER = (("HCPCS and CPT", ""), ("HCPCS", HCPCS), ("CPT", CPT))
SYSTEM_NAMES = {HCPCS: "HCPCS Level II", CPT: "CPT"}
PROCEDURE_FIELDS = (
    FieldSpec("system", "Code set", "combo", SYSTEM_NAMES, show_code=False, width=200,
              default=CPT),
    FieldSpec("code", "Code", hint="e.g. 99213 or J1100", width=120),
    FieldSpec("short_description", "Short description", hint="at most 60 characters",
              width=420),
    FieldSpec("long_description", "Long description", "multiline", width=420),
    FieldSpec("effective_from", "In force from", "date", width=120),
    FieldSpec("effective_to", "Until", "date", width=120, hint="empty: no end date"),
    FieldSpec("is_drug", "Drug (claim line needs the NDC)", "bool"),
)
MODIFIER_FIELDS = (
    FieldSpec("code", "Modifier", hint="e.g. 25", width=80),
    FieldSpec("description", "Description", "multiline", width=420),
    FieldSpec("effective_from", "In force from", "date", width=120),
    FieldSpec("effective_to", "Until", "date", width=120),
)
READ_ONLY = "Your role can see these but not change them."
INTRO = ("ICD-10-CM ships with ClinicClerk; load a newer CMS release when it comes out. HCPCS "
         "Level II comes from the CMS public file; CPT is licensed by your clinic and imported "
         "from its own CSV. A release is in force from its start until the next one starts.")
HCPCS_FILTER = "HCPCS files (*.txt *.csv);;All files (*)"
XML_FILTER = "ICD-10-CM tabular (*.xml);;All files (*)"


def _group(title: str, *rows: QWidget | QHBoxLayout, stretch_last: bool = True) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for i, row in enumerate(rows):
        stretch = 1 if stretch_last and i == len(rows) - 1 else 0
        if isinstance(row, QHBoxLayout):
            layout.addLayout(row)
        else:
            layout.addWidget(row, stretch)
    return box


def _row(*widgets: QWidget, stretch_at: int = -1) -> QHBoxLayout:
    row = QHBoxLayout()
    for i, w in enumerate(widgets):
        row.addWidget(w, 1 if i == stretch_at else 0)
    if stretch_at < 0:
        row.addStretch(1)
    return row


def _read_xml(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path.name} cannot be read ({exc.strerror or 'access refused'}); "
                        "choose the file again.") from None


class CodeSetsPage(QWidget):
    slug = "code_sets"
    title = "Code sets"

    def __init__(self, *, ctx: UserContext, code_sets: CodeSetService,
                 procedure_codes: ProcedureCodeService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._code_sets, self._codes = ctx, code_sets, procedure_codes
        self.dialog: Any = None  # the dialog opened last (tests drive it)
        self.releases = ReleaseTableModel()
        self.procedures = ProcedureCodeTableModel()
        self.modifiers = ModifierTableModel()
        self._build()
        self.reload()

    # --- construction ---------------------------------------------------------------------------
    def _button(self, text: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        button.setVisible(self._ctx.can(Permission.MANAGE_CODE_SETS))
        return button

    def _build(self) -> None:
        self.icd_button = self._button("Load ICD-10-CM tabular…", self.import_icd)
        self.hcpcs_button = self._button("Import HCPCS file…", self.import_hcpcs)
        self.cpt_button = self._button("Import CPT CSV…", self.import_cpt)
        self.add_code_button = self._button("Add code…", self.add_code)
        self.edit_code_button = self._button("Edit code…", self.edit_code)
        self.add_modifier_button = self._button("Add modifier…", self.add_modifier)
        self.edit_modifier_button = self._button("Edit modifier…", self.edit_modifier)
        self.release_view = make_view(self.releases)
        self.code_view = make_view(self.procedures)
        self.code_view.doubleClicked.connect(lambda _i: self.edit_code())
        self.modifier_view = make_view(self.modifiers)
        self.modifier_view.doubleClicked.connect(lambda _i: self.edit_modifier())
        for view in (self.code_view, self.modifier_view):
            view.selectionModel().selectionChanged.connect(lambda *_a: self._enable())
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Find a code: type part of a code or words of it")
        self.filter.setClearButtonEnabled(True)
        self.system_combo = QComboBox()
        for text, value in SYSTEM_FILTER:
            self.system_combo.addItem(text, value)
        self.code_status = QLabel()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.load_codes)
        self.filter.textChanged.connect(self._timer.start)
        self.system_combo.currentIndexChanged.connect(lambda _i: self.load_codes())
        self._layout()

    def _layout(self) -> None:
        releases = _group("Releases loaded", self.release_view,
                          _row(self.icd_button, self.hcpcs_button, self.cpt_button),
                          stretch_last=False)
        codes = _group("Procedure codes (HCPCS and CPT)",
                       _row(self.filter, self.system_combo, stretch_at=0), self.code_view,
                       _row(self.add_code_button, self.edit_code_button, self.code_status,
                            stretch_at=2), stretch_last=False)
        modifiers = _group("Modifiers", self.modifier_view,
                           _row(self.add_modifier_button, self.edit_modifier_button),
                           stretch_last=False)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(codes)
        splitter.addWidget(modifiers)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([700, 540])
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Code sets"))
        layout.addWidget(note(INTRO if self._ctx.can(Permission.MANAGE_CODE_SETS) else
                              f"{INTRO} {READ_ONLY}"))
        layout.addWidget(releases)
        layout.addWidget(splitter, 1)

    # --- reading --------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the releases, the codes for what is typed, and the modifiers again."""
        try:
            rels: list[ReleaseInfo] = []
            for system in (ICD10CM, HCPCS):
                rels += self._code_sets.releases(system)
            self.releases.set_rows(rels)
            self._fit_releases()
            self.modifiers.set_rows(self._codes.modifiers())
        except Exception as exc:  # noqa: BLE001 - the one presenter decides
            show_error(self, exc)
        self.load_codes()

    def _fit_releases(self) -> None:
        """As tall as its rows (two to six), so the code lists below get the room."""
        view = self.release_view
        rows = min(max(self.releases.rowCount(), 2), 6)
        view.setFixedHeight(view.horizontalHeader().height() + 4
                            + rows * view.verticalHeader().defaultSectionSize())

    def load_codes(self) -> None:
        self._timer.stop()
        text, system = self.filter.text().strip(), str(self.system_combo.currentData() or "")
        try:
            hits = self._find(text, system)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
            hits = []
        self.procedures.set_rows(hits)
        self._enable()
        if text:
            self.code_status.setText(f"{len(hits):,} match{'es' if len(hits) != 1 else ''}"
                                     if hits else "No code matches.")
        else:
            self.code_status.setText(f"The first {len(hits):,} codes; type to find others."
                                     if len(hits) >= FIRST_CODES else f"{len(hits):,} codes")

    def _find(self, text: str, system: str) -> list[ProcedureHit]:
        if text:
            return self._codes.search(text, system=system or None, limit=FIRST_CODES)
        # The service has no plain listing: the codes in code order, one leading character
        # at a time (each a range scan of the in-memory index), until the page is full.
        hits: list[ProcedureHit] = []
        for first in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            found = self._codes.search(first, system=system or None,
                                       limit=FIRST_CODES - len(hits))
            hits += [h for h in found if h.code.startswith(first)]
            if len(hits) >= FIRST_CODES:
                break
        return hits

    def selected_code(self) -> ProcedureHit | None:
        row = selected_row(self.code_view)
        return self.procedures.row(row) if row >= 0 else None

    def selected_modifier(self) -> ModifierRow | None:
        row = selected_row(self.modifier_view)
        return self.modifiers.row(row) if row >= 0 else None

    def _enable(self) -> None:
        self.edit_code_button.setEnabled(self.selected_code() is not None)
        self.edit_modifier_button.setEnabled(self.selected_modifier() is not None)

    # --- procedure codes ------------------------------------------------------------------------
    def add_code(self) -> None:
        self._open_code(None)

    def edit_code(self) -> None:
        hit = self.selected_code()
        if hit is None or not self._ctx.can(Permission.MANAGE_CODE_SETS):
            return
        try:
            detail = self._codes.get(hit.code)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
            return
        if detail is None:
            show_error(self, UserError(f"{hit.code} is no longer in the code list."))
            self.load_codes()
            return
        self._open_code(detail.data())

    def _open_code(self, data: ProcedureData | None) -> None:
        verb = "Edit" if data is not None else "Add"
        dialog = FormDialog(f"{verb} procedure code", PROCEDURE_FIELDS,
                            lambda v: self._save_code(data, v), self)
        dialog.form.set_values(data)
        if data is not None:
            dialog.form.set_fields_enabled(("system", "code"), False)
        self._open_form(dialog, self.load_codes)

    def _save_code(self, data: ProcedureData | None, values: dict[str, Any]) -> Any:
        if data is None:
            return self._codes.add_procedure(ProcedureData(**values))
        return self._codes.edit_procedure(ProcedureData(**values, id=data.id,
                                                        version=data.version))

    def _open_form(self, dialog: FormDialog, after: Callable[[], None]) -> None:
        dialog.saved.connect(lambda _saved: after())
        dialog.rejected.connect(after)  # a conflict closes the dialog: show the stored value
        self.dialog = dialog
        dialog.open()

    # --- modifiers ------------------------------------------------------------------------------
    def add_modifier(self) -> None:
        self._open_modifier(None)

    def edit_modifier(self) -> None:
        row = self.selected_modifier()
        if row is not None and self._ctx.can(Permission.MANAGE_CODE_SETS):
            self._open_modifier(row.data())

    def _open_modifier(self, data: ModifierData | None) -> None:
        verb = "Edit" if data is not None else "Add"
        dialog = FormDialog(f"{verb} modifier", MODIFIER_FIELDS,
                            lambda v: self._save_modifier(data, v), self)
        dialog.form.set_values(data)
        if data is not None:
            dialog.form.set_fields_enabled(("code",), False)
        self._open_form(dialog, self.reload)

    def _save_modifier(self, data: ModifierData | None, values: dict[str, Any]) -> Any:
        if data is None:
            return self._codes.add_modifier(ModifierData(**values))
        return self._codes.edit_modifier(ModifierData(**values, id=data.id,
                                                      version=data.version))

    # --- imports --------------------------------------------------------------------------------
    def import_hcpcs(self) -> None:
        path = choose_file(self, "Choose the CMS HCPCS file", HCPCS_FILTER)
        if path is None:
            return
        version = version_from_filename(path.name)
        if version is None:
            version = self._ask_version(path)
            if not version:
                return
        start_file_job(self, lambda: self._codes.import_hcpcs(path, version), self._imported,
                     self._import_failed, f"Importing HCPCS {version}")

    def _ask_version(self, path: Path) -> str:
        text, ok = QInputDialog.getText(
            self, "HCPCS release", f"Which HCPCS release is {path.name}? (for example 2025, "
            "or 2025 APR for a quarterly update)")
        return text.strip() if ok else ""

    def import_icd(self) -> None:
        path = choose_file(self, "Choose the CMS ICD-10-CM tabular XML", XML_FILTER)
        if path is None:
            return
        start_file_job(self, lambda: self._code_sets.import_tabular(_read_xml(path), path.name),
                     self._imported, self._import_failed, "Loading the ICD-10-CM release")

    def import_cpt(self) -> None:
        dialog = CptImportDialog(procedure_codes=self._codes, parent=self)
        dialog.imported.connect(lambda _r: self.reload())
        self.dialog = dialog
        dialog.open()

    def _imported(self, result: Any) -> None:
        if isinstance(result, ReleaseInfo):
            text = (f"ICD-10-CM {result.version} loaded: {result.codes:,} billable codes, in "
                    f"force from {result.effective_from:%m/%d/%Y}.")
        else:
            text = "\n".join(import_summary_lines(result))
        self.reload()
        QMessageBox.information(self, "Imported", text)

    def _import_failed(self, exc: BaseException) -> None:
        dialog = present_import_error(self, exc)
        if isinstance(dialog, QDialog):
            self.dialog = dialog
        self.reload()
