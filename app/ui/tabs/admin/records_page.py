"""Admin › Providers, Facilities, Payers: one generic page driven by a `RecordSpec`.

Each page is a table of the records with Add and Edit; the dialog is a `FormDialog` built from
the spec's fields, so the three directories behave the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.context import UserContext
from app.services.directory import DirectoryService
from app.services.permissions import Permission
from app.ui.widgets.form import FieldSpec, FormDialog, heading, note

READ_ONLY = "Your role can see these but not change them."


@dataclass(frozen=True)
class Column:
    header: str
    text: Callable[[Any], str]
    stretch: bool = False


@dataclass(frozen=True)
class RecordSpec:
    """What a directory page lists and edits."""

    slug: str
    title: str
    noun: str
    intro: str
    data_cls: type
    fields: tuple[FieldSpec, ...]
    columns: tuple[Column, ...]
    load: Callable[[DirectoryService], list[Any]]
    save: Callable[[DirectoryService, Any], Any]


class RecordPage(QWidget):
    """A table of one kind of directory record with Add and Edit."""

    def __init__(self, spec: RecordSpec, *, ctx: UserContext, directory: DirectoryService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.slug, self.title = spec.slug, spec.title
        self._ctx, self._directory = ctx, directory
        self.records: list[Any] = []
        self.dialog: FormDialog | None = None
        self.table = make_table(spec.columns)
        self.add_button = QPushButton(f"Add {spec.noun}…")
        self.edit_button = QPushButton("Edit…")
        self.role_note = QLabel()
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit)
        self.table.itemSelectionChanged.connect(self._enable)
        self.table.doubleClicked.connect(self.edit)
        self._build()

    def _build(self) -> None:
        buttons = QHBoxLayout()
        for w in (self.add_button, self.edit_button, self.role_note):
            buttons.addWidget(w)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.spec.title))
        layout.addWidget(note(self.spec.intro))
        layout.addLayout(buttons)
        layout.addWidget(self.table)

    def _can_edit(self) -> bool:
        return self._ctx.can(Permission.MANAGE_PRACTICE)

    def reload(self, select_id: int | None = None) -> None:
        self.records = self.spec.load(self._directory)
        fill_table(self.table, self.spec.columns, self.records)
        fit_columns(self.table, self.spec.columns)
        ids = [getattr(r, "id", None) for r in self.records]
        if select_id in ids:
            self.table.selectRow(ids.index(select_id))
        self.add_button.setEnabled(self._can_edit())
        self.role_note.setText("" if self._can_edit() else READ_ONLY)
        self._enable()

    def _enable(self) -> None:
        self.edit_button.setEnabled(self._can_edit() and self.selected() is not None)

    def selected(self) -> Any | None:
        rows = self.table.selectionModel().selectedRows()
        return self.records[rows[0].row()] if rows else None

    def add(self) -> None:
        self._open(None)

    def edit(self) -> None:
        record = self.selected()
        if record is not None and self._can_edit():
            self._open(record)

    def _open(self, record: Any | None) -> None:
        verb = "Edit" if record is not None else "Add"
        self.dialog = FormDialog(f"{verb} {self.spec.noun}", self.spec.fields,
                                 lambda values: self._submit(record, values), self)
        self.dialog.form.set_values(record)
        self.dialog.saved.connect(lambda saved: self.reload(getattr(saved, "id", None)))
        self.dialog.rejected.connect(self.reload)
        self.dialog.open()

    def _submit(self, record: Any | None, values: dict[str, Any]) -> Any:
        data = replace(record, **values) if record is not None else self.spec.data_cls(**values)
        return self.spec.save(self._directory, data)


def make_table(columns: tuple[Column, ...]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels([c.header for c in columns])
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setMinimumSectionSize(60)
    for i, c in enumerate(columns):
        mode = QHeaderView.ResizeMode.Stretch if c.stretch else QHeaderView.ResizeMode.Interactive
        header.setSectionResizeMode(i, mode)
    return table


def fill_table(table: QTableWidget, columns: tuple[Column, ...], records: list[Any]) -> None:
    """Inactive records stay listed, greyed, so they can be switched back on."""
    table.setRowCount(len(records))
    grey = QBrush(table.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
    for r, record in enumerate(records):
        for c, column in enumerate(columns):
            item = QTableWidgetItem(column.text(record))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            if not getattr(record, "active", True):
                item.setForeground(grey)
            table.setItem(r, c, item)


def fit_columns(table: QTableWidget, columns: tuple[Column, ...]) -> None:
    """Size fixed columns to their contents once, then leave them for the clerk to drag."""
    for i, c in enumerate(columns):
        if not c.stretch:
            table.resizeColumnToContents(i)
            table.setColumnWidth(i, min(table.columnWidth(i) + 16, 360))
