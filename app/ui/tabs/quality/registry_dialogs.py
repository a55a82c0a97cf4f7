"""The Registries page's dialogs: add a patient by hand (found by name, with the reason), and
an administrator's editor for a registry's definition (name, the ICD-10-CM code starts its
rule looks for, and the fields it tracks), new ones started from a template. Each opens
with `open()` and emits `saved(result)` once the service has done it; a refusal is shown in
red inside the dialog, which stays open."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.registries import FIELD_KINDS, TEMPLATES, FieldSpec, RegistryData, RegistryRule
from app.ui.dialogs.merge_dialog import PatientPicker
from app.ui.tabs.plans.dialogs import _Dialog
from app.ui.tabs.quality.services import QualityServices
from app.ui.widgets.form import note

KIND_LABELS = {"text": "Text", "date": "Date", "number": "Number", "choice": "Choice"}
FIELD_COLUMNS = ("Key", "Label", "Kind", "Choices (comma-separated)", "Follow-up date")
KEY, LABEL, KIND, CHOICES, FOLLOW = range(len(FIELD_COLUMNS))


class AddMemberDialog(_Dialog):
    """Put a patient found by name in registry `registry_id`, with the reason."""

    def __init__(self, sv: QualityServices, registry_id: int, registry_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(f"Add a patient to {registry_name}", "Add to registry", parent)
        self._sv, self.registry_id = sv, registry_id
        self.picker = PatientPicker("Patient", sv.patients)
        self.picker.changed.connect(self._enable)
        self.reason = QLineEdit()
        self.reason.setMaxLength(300)
        self.reason.setPlaceholderText("Why (required), e.g. diagnosed elsewhere, records awaited")
        self.reason.textChanged.connect(self._enable)
        layout = QVBoxLayout(self)
        layout.addWidget(note("A patient added by hand stays in the registry until taken out "
                              "by hand, whatever the registry's rule finds."))
        layout.addWidget(self.picker, 1)
        form = QFormLayout()
        form.addRow("Reason:", self.reason)
        layout.addLayout(form)
        self.finish(layout, 520)
        self._enable()
        self.picker.search.setFocus(Qt.FocusReason.OtherFocusReason)

    def _enable(self) -> None:
        self.ok_button.setEnabled(self.picker.chosen is not None
                                  and bool(self.reason.text().strip()))

    def submit(self) -> None:
        chosen = self.picker.chosen
        if chosen is not None:
            self.run(lambda: self._sv.registries.add_member(self.registry_id, chosen.id,
                                                            self.reason.text()))


class RegistryDialog(_Dialog):
    """A registry's definition: `data` None makes a new one (from a template or empty)."""

    def __init__(self, sv: QualityServices, data: RegistryData | None,
                 parent: QWidget | None = None) -> None:
        super().__init__("New registry" if data is None else f"Registry: {data.name}",
                         "Save registry", parent)
        self._sv, self.data = sv, data
        self.name = QLineEdit()
        self.name.setMaxLength(80)
        self.description = QLineEdit()
        self.description.setMaxLength(500)
        self.prefixes = QLineEdit()
        self.prefixes.setPlaceholderText("ICD-10-CM codes or their starts, e.g. C, or E10, E11")
        self.active_only = QCheckBox("Only active problems (not resolved or inactive ones)")
        self.active = QCheckBox("In use")
        self.table = QTableWidget(0, len(FIELD_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(FIELD_COLUMNS))
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.setColumnWidth(KEY, 130)
        self.table.setColumnWidth(LABEL, 170)
        self.table.setColumnWidth(KIND, 100)
        self.table.setColumnWidth(CHOICES, 290)
        self.table.setColumnWidth(FOLLOW, 110)
        self.table.setMinimumHeight(220)
        add, remove = QPushButton("Add field"), QPushButton("Remove field")
        add.clicked.connect(lambda: self.add_field(FieldSpec("", "")))
        remove.clicked.connect(self.remove_field)
        layout = QVBoxLayout(self)
        if data is None:
            self.template = QComboBox()
            self.template.addItem("(empty)", None)
            for t in TEMPLATES:
                self.template.addItem(t.name, t)
            self.template.currentIndexChanged.connect(
                lambda _i: self.show_data(self.template.currentData()))
            row = QHBoxLayout()
            row.addWidget(QLabel("Start from:"))
            row.addWidget(self.template, 1)
            layout.addLayout(row)
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Description:", self.description)
        form.addRow("Rule: problems coded", self.prefixes)
        form.addRow("", self.active_only)
        form.addRow("", self.active)
        layout.addLayout(form)
        layout.addWidget(note("Fields the clinic tracks for each member. Mark one date as the "
                              "follow-up date: members past it are listed as overdue."))
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.finish(layout, 820)
        self.show_data(data)

    def show_data(self, d: RegistryData | None) -> None:
        d = d or RegistryData("", "", RegistryRule(()), ())
        self.name.setText(d.name)
        self.description.setText(d.description)
        self.prefixes.setText(", ".join(d.rule.condition_prefixes))
        self.active_only.setChecked(d.rule.active_only)
        self.active.setChecked(d.active)
        self.table.setRowCount(0)
        for f in d.fields:
            self.add_field(f)

    def add_field(self, f: FieldSpec) -> None:
        i = self.table.rowCount()
        self.table.insertRow(i)
        self.table.setItem(i, KEY, QTableWidgetItem(f.key))
        self.table.setItem(i, LABEL, QTableWidgetItem(f.label))
        kind = QComboBox()
        for k in FIELD_KINDS:
            kind.addItem(KIND_LABELS[k], k)
        kind.setCurrentIndex(max(kind.findData(f.kind), 0))
        self.table.setCellWidget(i, KIND, kind)
        self.table.setItem(i, CHOICES, QTableWidgetItem(", ".join(f.choices)))
        follow = QTableWidgetItem()
        follow.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
        follow.setCheckState(Qt.CheckState.Checked if f.follow_up else Qt.CheckState.Unchecked)
        self.table.setItem(i, FOLLOW, follow)

    def remove_field(self) -> None:
        if (i := self.table.currentRow()) >= 0:
            self.table.removeRow(i)

    def fields(self) -> tuple[FieldSpec, ...]:
        out = []
        for i in range(self.table.rowCount()):
            def text(col: int, row: int = i) -> str:
                item = self.table.item(row, col)
                return item.text().strip() if item is not None else ""
            kind = self.table.cellWidget(i, KIND)
            follow = self.table.item(i, FOLLOW)
            out.append(FieldSpec(
                text(KEY), text(LABEL), kind.currentData() if isinstance(kind, QComboBox)
                else "text", tuple(c.strip() for c in text(CHOICES).split(",") if c.strip()),
                follow is not None and follow.checkState() == Qt.CheckState.Checked))
        return tuple(out)

    def value(self) -> RegistryData:
        d = self.data
        prefixes = tuple(p.strip() for p in self.prefixes.text().replace(";", ",").split(",")
                         if p.strip())
        return RegistryData(self.name.text(), self.description.text(),
                            RegistryRule(prefixes, self.active_only.isChecked()),
                            self.fields(), self.active.isChecked(),
                            d.id if d else None, d.version if d else 0)

    def submit(self) -> None:
        self.run(lambda: self._sv.registries.save_registry(self.value()))
