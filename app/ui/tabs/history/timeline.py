"""The chart's timeline: encounters, problems and observations, newest first, narrowed by kind
(check boxes) and by a date range typed as MM/DD/YYYY."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.history import Chart, TimelineEntry
from app.ui.tabs.history.history_list import compact_rows
from app.ui.widgets.form import DateLineEdit

KINDS = (("encounter", "Encounters"), ("problem", "Problems"), ("observation", "Observations"))
COLUMNS = ("Date", "Kind", "Entry", "Detail")
KIND_LABELS = {"encounter": "Encounter", "problem": "Problem", "observation": "Observation"}


def entry_date(when: date) -> str:
    return "" if when == date.min else f"{when:%m/%d/%Y}"


class TimelineWidget(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._chart: Chart | None = None
        self.entries: list[TimelineEntry] = []
        self.kind_boxes = {kind: QCheckBox(label) for kind, label in KINDS}
        self.date_from = DateLineEdit()
        self.date_to = DateLineEdit()
        self.count_label = QLabel()
        self.table = self._make_table()
        layout = QVBoxLayout(self)
        layout.addLayout(self._filters())
        layout.addWidget(self.table)
        layout.addWidget(self.count_label)

    def _filters(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("Show:"))
        for box in self.kind_boxes.values():
            box.setChecked(True)
            box.toggled.connect(self.refresh)
            row.addWidget(box)
        row.addStretch(1)
        for caption, edit in (("From:", self.date_from), ("To:", self.date_to)):
            edit.setFixedWidth(104)
            edit.setClearButtonEnabled(True)
            edit.textChanged.connect(self.refresh)
            row.addWidget(QLabel(caption))
            row.addWidget(edit)
        return row

    def _make_table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS))
        table.setHorizontalHeaderLabels(COLUMNS)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        compact_rows(table)
        table.setWordWrap(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((90, 100, 300, 200)):
            table.setColumnWidth(col, width)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        return table

    def set_chart(self, chart: Chart | None) -> None:
        self._chart = chart
        self.refresh()

    def kinds(self) -> set[str]:
        return {kind for kind, box in self.kind_boxes.items() if box.isChecked()}

    def refresh(self) -> None:
        self._mark_unreadable()
        if self._chart is None:
            self.entries = []
        else:
            self.entries = self._chart.timeline(self.kinds(), self.date_from.date_value(),
                                                self.date_to.date_value())
        self._fill()

    def _mark_unreadable(self) -> None:
        for edit in (self.date_from, self.date_to):
            bad = not edit.is_readable()
            edit.setStyleSheet("border: 1px solid #b00020;" if bad else "")
            edit.setToolTip("Type the date as MM/DD/YYYY." if bad else "")

    def _fill(self) -> None:
        self.table.setRowCount(len(self.entries))
        for row, e in enumerate(self.entries):
            texts = (entry_date(e.when), KIND_LABELS.get(e.kind, e.kind), e.title, e.detail)
            for col, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setToolTip(text if col >= 2 else "")
                self.table.setItem(row, col, item)
        total = len(self._chart.timeline()) if self._chart else 0
        self.count_label.setText(f"{len(self.entries)} of {total} entries" if total else "")

    def lines(self) -> list[str]:
        """What the table shows, one line per entry (for tests and copying)."""
        return [" | ".join(_text(self.table.item(r, c)) for c in range(len(COLUMNS)))
                for r in range(self.table.rowCount())]


def _text(item: QTableWidgetItem | None) -> str:
    return item.text() if item is not None else ""
