"""The Quality tab's "Registries" page: a registry's members with the fields the clinic tracks
for them, typed into the table (a choice field offers its choices; dates as MM/DD/YYYY),
each change saved at once and refused in red when the value does not fit the field.
Overdue follow-ups are red and listed first; "Overdue only" leaves the rest out. The
membership is refreshed from the registry's rule, and patients are added or taken out by
hand with the reason. The members export as CSV for a clinical database, or with their
records as one FHIR R4 bundle. Administrators define registries (from a template or from
nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.services.permissions import Permission
from app.services.registries import FieldSpec, MemberRow, RegistryData, shown_value
from app.ui.background import run_in_background
from app.ui.errors import show_error
from app.ui.tabs.claims import date_text, fit_columns, read_only_table
from app.ui.tabs.coding import ERROR_COLOUR, OK_COLOUR
from app.ui.tabs.plans.dialogs import ReasonDialog, problem_label, say
from app.ui.tabs.quality.registry_dialogs import AddMemberDialog, RegistryDialog
from app.ui.tabs.quality.services import QualityServices
from app.ui.widgets.files import export_text
from app.ui.widgets.form import heading, note

FIXED = ("Patient", "MRN", "Date of birth", "Member since", "How")
PATIENT, MRN, DOB, SINCE, HOW = range(len(FIXED))
HOW_WORDS = {"rule": "Rule", "hand": "By hand"}
PAST_COLOUR = "#757575"
JSON_FILTER = "FHIR JSON (*.json)"
REMOVE_TEXT = ("The patient leaves the registry; their tracked values are kept with the past "
               "membership. A patient taken out by hand is not put back by the rule.")


class ChoiceDelegate(QStyledItemDelegate):
    """A combo box of the field's choices (and "" to clear) for a choice column."""

    def __init__(self, choices: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = ("", *choices)

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,  # noqa: N802
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        combo = QComboBox(parent)
        combo.addItems(list(self.choices))
        return combo

    def setEditorData(self, editor: QWidget,  # noqa: N802 - Qt's name
                      index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QComboBox):
            editor.setCurrentText(str(index.data() or ""))

    def setModelData(self, editor: QWidget, model: Any,  # noqa: N802 - Qt's name
                     index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText())


class RegistriesPage(QWidget):
    def __init__(self, sv: QualityServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.registry: RegistryData | None = None
        self.rows: list[MemberRow] = []
        self.dialog: Any = None
        self._loaded = False
        self._filling = False
        self.busy = False
        self.fhir_file: Path | None = None
        keeper = sv.ctx.can(Permission.EDIT_HISTORY)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Registries"))
        layout.addWidget(note("Type into a field to change it; it is saved at once. Overdue "
                              "follow-ups are red and come first."))
        layout.addLayout(self._top(keeper))
        self.table = read_only_table(FIXED, stretch=PATIENT)
        self._plain = QStyledItemDelegate(self.table)
        self.table.itemChanged.connect(self._edited)
        self.table.itemSelectionChanged.connect(self._enable)
        layout.addWidget(self.table, 1)
        self.problem = problem_label()
        self.result = QLabel()
        self.result.setStyleSheet(f"color: {OK_COLOUR};")
        self.result.setWordWrap(True)
        self.result.hide()
        layout.addWidget(self.problem)
        layout.addWidget(self.result)
        layout.addLayout(self._bottom(keeper))
        self._enable()

    def _top(self, keeper: bool) -> QHBoxLayout:
        self.combo = QComboBox()
        self.combo.setMinimumWidth(320)
        self.combo.currentIndexChanged.connect(lambda _i: self.show_registry())
        self.overdue_only = QCheckBox("Overdue only")
        self.overdue_only.toggled.connect(lambda _on: self.show_registry())
        self.past = QCheckBox("Show past members")
        self.past.toggled.connect(lambda _on: self.show_registry())
        self.new_button = QPushButton("New registry…")
        self.new_button.clicked.connect(lambda: self.edit_registry(None))
        self.edit_button = QPushButton("Edit registry…")
        self.edit_button.clicked.connect(lambda: self.edit_registry(self.registry))
        admin = self._sv.ctx.can(Permission.MANAGE_SETTINGS)
        self.new_button.setVisible(admin)
        self.edit_button.setVisible(admin)
        row = QHBoxLayout()
        for w in (QLabel("Registry:"), self.combo, self.overdue_only, self.past):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.new_button)
        row.addWidget(self.edit_button)
        return row

    def _bottom(self, keeper: bool) -> QHBoxLayout:
        self.count_label = QLabel()
        self.refresh_button = QPushButton("Refresh from the rule")
        self.refresh_button.clicked.connect(self.refresh)
        self.add_button = QPushButton("Add patient…")
        self.add_button.clicked.connect(self.add_member)
        self.remove_button = QPushButton("Take out…")
        self.remove_button.clicked.connect(self.remove_member)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.export_csv)
        self.fhir_button = QPushButton("Export FHIR…")
        self.fhir_button.setToolTip("The members' records (patient, problems, visits, "
                                    "observations, coverage) as one FHIR R4 JSON bundle")
        self.fhir_button.clicked.connect(self.export_fhir)
        for b in (self.refresh_button, self.add_button, self.remove_button):
            b.setVisible(keeper)
        row = QHBoxLayout()
        row.addWidget(self.count_label, 1)
        for b in (self.refresh_button, self.add_button, self.remove_button, self.export_button,
                  self.fhir_button):
            row.addWidget(b)
        return row

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self.reload()

    # --- the registries ----------------------------------------------------------------------
    def reload(self, keep: int | None = None) -> None:
        """Read the list of registries again, keeping the one shown (or `keep`)."""
        keep = keep or (self.registry.id if self.registry else None)
        try:
            summaries = self._sv.registries.registries()
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.combo.blockSignals(True)
        self.combo.clear()
        for r in summaries:
            late = f", {r.overdue:,} overdue" if r.overdue else ""
            self.combo.addItem(f"{r.name} ({r.members:,} members{late})"
                               + ("" if r.active else " — not in use"), r.id)
        self.combo.setCurrentIndex(max(self.combo.findData(keep), 0))
        self.combo.blockSignals(False)
        self.show_registry()

    def show_registry(self) -> None:
        rid = self.combo.currentData()
        self.registry, self.rows = None, []
        say(self.problem, "")
        if rid is not None:
            try:
                self.registry = self._sv.registries.registry(rid)
                self.rows = self._sv.registries.members(
                    rid, include_removed=self.past.isChecked(),
                    overdue_only=self.overdue_only.isChecked())
            except Exception as exc:  # noqa: BLE001 - the one presenter shows it
                show_error(self, exc)
        self._fill()
        self._enable()

    def fields(self) -> tuple[FieldSpec, ...]:
        return self.registry.fields if self.registry else ()

    def _fill(self) -> None:
        fields = self.fields()
        self._filling = True
        t = self.table
        t.clear()
        t.setColumnCount(len(FIXED) + len(fields) + 1)
        t.setHorizontalHeaderLabels([*FIXED, *(f.label for f in fields), "Why"])
        for col in range(t.columnCount()):
            t.setItemDelegateForColumn(col, self._plain)
        for k, f in enumerate(fields):
            if f.kind == "choice":
                t.setItemDelegateForColumn(len(FIXED) + k, ChoiceDelegate(f.choices, t))
        t.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            self._fill_row(i, r)
        t.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                          | QAbstractItemView.EditTrigger.EditKeyPressed
                          | QAbstractItemView.EditTrigger.AnyKeyPressed)
        fit_columns(t)
        self._filling = False
        overdue = sum(r.overdue for r in self.rows)
        self.count_label.setText(f"{len(self.rows):,} shown" + (f", {overdue:,} overdue"
                                                                if overdue else ""))

    def _fill_row(self, i: int, r: MemberRow) -> None:
        fixed = (r.name, r.mrn, date_text(r.dob), date_text(r.added_on),
                 HOW_WORDS.get(r.source, r.source))
        cells = [QTableWidgetItem(x) for x in fixed]
        past = r.removed_on is not None
        for f in self.fields():
            cell = QTableWidgetItem(shown_value(f, r.values.get(f.key, "")))
            cell.setData(Qt.ItemDataRole.UserRole, f.key)
            editable = not past and self._sv.ctx.can(Permission.EDIT_HISTORY)
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            cell.setFlags(flags | Qt.ItemFlag.ItemIsEditable if editable else flags)
            if f.follow_up and r.overdue:
                cell.setForeground(QColor(ERROR_COLOUR))
                font = cell.font()
                font.setBold(True)
                cell.setFont(font)
                cell.setToolTip("Follow-up overdue")
            cells.append(cell)
        why = (f"Left {date_text(r.removed_on)}: {r.removed_reason}" if past else r.reason)
        cells.append(QTableWidgetItem(why))
        for col, cell in enumerate(cells):
            if not cell.data(Qt.ItemDataRole.UserRole):  # not a tracked field: read only
                cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if past:
                cell.setForeground(QColor(PAST_COLOUR))
            self.table.setItem(i, col, cell)

    # --- editing a value ---------------------------------------------------------------------
    def _edited(self, item: QTableWidgetItem) -> None:
        key = item.data(Qt.ItemDataRole.UserRole)
        if self._filling or not key:
            return
        i = item.row()
        row = self.rows[i]
        try:
            saved = self._sv.registries.set_values(row.member_id, {key: item.text()},
                                                   row.version)
        except UserError as exc:
            say(self.problem, f"{row.name}: {exc}")
            self._filling = True
            self._fill_row(i, row)  # the value as saved
            self._filling = False
            return
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        say(self.problem, "")
        self.rows[i] = saved
        self._filling = True
        self._fill_row(i, saved)
        self._filling = False

    # --- membership --------------------------------------------------------------------------
    def current(self) -> MemberRow | None:
        i = self.table.currentRow()
        if not self.table.selectedItems() or not 0 <= i < len(self.rows):
            return None
        return self.rows[i]

    def _enable(self) -> None:
        has = self.registry is not None
        row = self.current()
        for b in (self.refresh_button, self.add_button, self.export_button, self.edit_button):
            b.setEnabled(has)
        self.fhir_button.setEnabled(has and not self.busy
                                    and any(r.removed_on is None for r in self.rows))
        self.remove_button.setEnabled(row is not None and row.removed_on is None)

    def say(self, text: str) -> None:
        self.result.setText(text)
        self.result.setVisible(bool(text))

    def refresh(self) -> None:
        if self.registry is None or self.registry.id is None:
            return
        try:
            r = self._sv.registries.refresh(self.registry.id)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.reload()
        self.say(f"{r.added:,} patient(s) joined from the rule, {r.ended:,} left; "
                 f"{r.members:,} member(s).")

    def add_member(self) -> None:
        if self.registry is None or self.registry.id is None:
            return
        self.dialog = AddMemberDialog(self._sv, self.registry.id, self.registry.name, self)
        self.dialog.saved.connect(lambda r: self._changed(f"{r.name} added by hand."))
        self.dialog.open()

    def remove_member(self) -> None:
        if (row := self.current()) is None:
            return
        self.dialog = ReasonDialog(
            f"Take {row.name} out of the registry", REMOVE_TEXT, "Take out",
            lambda reason: self._sv.registries.remove_member(row.member_id, reason), self)
        self.dialog.reason.setPlaceholderText("Why (required)")
        self.dialog.saved.connect(lambda _r: self._changed(f"{row.name} taken out."))
        self.dialog.open()

    def _changed(self, text: str) -> None:
        self.reload()
        self.say(text)

    def edit_registry(self, data: RegistryData | None) -> None:
        self.dialog = RegistryDialog(self._sv, data, self)
        self.dialog.saved.connect(lambda d: self._registry_saved(d))
        self.dialog.open()

    def _registry_saved(self, d: RegistryData) -> None:
        self.reload(d.id)
        self.say(f"Registry {d.name} saved. Refresh it from the rule to bring its members up "
                 "to date.")

    def export_csv(self) -> None:
        if self.registry is None or self.registry.id is None:
            return
        rid = self.registry.id
        path = export_text(self, "Export the registry",
                           f"{self.registry.name.lower().replace(' ', '-')}.csv",
                           lambda: self._sv.registries.export_csv(rid))
        if path is None:
            return
        self.say(f"Exported to {path.name}. Keep the file safe: it names patients and "
                 "their conditions.")

    def export_fhir(self) -> None:
        """The members' records as one FHIR R4 bundle, built off the GUI thread (a large
        registry takes a while) and written where the clerk chooses."""
        reg = self.registry
        if reg is None or reg.id is None or self.busy:
            return
        name, _ = QFileDialog.getSaveFileName(
            self, "Export the registry as FHIR", f"{reg.name.lower().replace(' ', '-')}.json",
            JSON_FILTER)
        if not name:
            return
        rid, path = reg.id, Path(name)

        def build() -> int:
            ids = self._sv.registries.member_ids(rid)
            data = self._sv.fhir.patients_bundle(ids, reg.name)
            path.write_bytes(data)
            return len(ids)

        self.busy = True
        self._enable()
        run_in_background(build, lambda n: self._fhir_done(path, n), self._fhir_failed,
                          parent=self, progress="Writing the FHIR bundle…")

    def _fhir_done(self, path: Path, count: int) -> None:
        self.busy = False
        self.fhir_file = path
        self._enable()
        self.say(f"{count:,} member(s) exported to {path.name} (FHIR R4). Keep the file safe: "
                 "it holds their records.")

    def _fhir_failed(self, exc: BaseException) -> None:
        self.busy = False
        self._enable()
        if isinstance(exc, OSError):
            exc = UserError(f"The file could not be written ({exc.strerror}); choose another "
                            "folder.")
        show_error(self, exc)
