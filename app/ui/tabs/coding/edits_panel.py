"""The code edits of the coding on screen (app.formats.code_edits via CodingService.preview):
each with its severity, where to fix it, the message and the rule's source; data problems
that would refuse the save are listed first as "Fix"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.formats.code_edits import ERROR, CodeEdit
from app.ui.tabs.coding import ERROR_COLOUR, OK_COLOUR, WARNING_COLOUR

COLUMNS = ("", "What to fix, where, and the rule's source")
FIX = "fix"  # a data problem: the save is refused until it is fixed
LABELS = {FIX: "Fix", ERROR: "Error", "warning": "Warning"}
TABLE_HEIGHT = 140
COLOURS = {FIX: ERROR_COLOUR, ERROR: ERROR_COLOUR, "warning": WARNING_COLOUR}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


NOTHING_CODED = "Nothing coded yet: add the diagnoses and the procedure lines."


def summary_text(errors: int, warnings: int, problems: int, empty: bool = False) -> str:
    """One line: what stands between this coding and a bill."""
    if not (errors or warnings or problems):
        return NOTHING_CODED if empty else "No code edits: ready to bill."
    parts = []
    if problems:
        parts.append(_plural(problems, "problem") + " to fix before it can be saved")
    if errors:
        parts.append(_plural(errors, "error") + " to fix before billing")
    if warnings:
        parts.append(_plural(warnings, "warning") + " to look at")
    return "; ".join(parts) + "."


class EditsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        self.table.setFixedHeight(TABLE_HEIGHT)
        header = self.table.horizontalHeader()
        header.resizeSection(0, 28)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addStretch(1)
        self.rows: list[tuple[str, str, str, str]] = []  # (severity, where, message, source)
        self.show_edits((), {})

    def show_edits(self, edits: Sequence[CodeEdit], problems: Mapping[str, str],
                   empty: bool = False) -> None:
        """`empty`: nothing is coded, so no edits does not mean ready to bill."""
        self.rows = [(FIX, field, msg, "Required to save") for field, msg in problems.items()]
        self.rows += [(e.severity, e.where, e.message, e.source) for e in edits]
        errors = sum(e.severity == ERROR for e in edits)
        self.summary.setText(summary_text(errors, len(edits) - errors, len(problems), empty))
        worst = FIX if problems else ERROR if errors else "warning" if edits else ""
        colour = COLOURS.get(worst, "#000000" if empty else OK_COLOUR)
        self.summary.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self._fill()

    def show_message(self, text: str) -> None:
        """A sentence instead of edits (e.g. the preview could not run)."""
        self.rows = []
        self.summary.setText(text)
        self.summary.setStyleSheet(f"color: {ERROR_COLOUR};")
        self._fill()

    def _fill(self) -> None:
        icons = {FIX: QStyle.StandardPixmap.SP_MessageBoxCritical,
                 ERROR: QStyle.StandardPixmap.SP_MessageBoxCritical,
                 "warning": QStyle.StandardPixmap.SP_MessageBoxWarning}
        self.table.setRowCount(len(self.rows))
        for n, (severity, where, message, source) in enumerate(self.rows):
            label = LABELS.get(severity, severity)
            first = QTableWidgetItem(self.style().standardIcon(icons[severity]), "")
            first.setToolTip(label)
            self.table.setItem(n, 0, first)
            text = f"{label} · {where[:1].upper()}{where[1:]}: {message}\nSource: {source}"
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            item.setForeground(QBrush(QColor(COLOURS.get(severity, "#000000"))))
            self.table.setItem(n, 1, item)
        self.table.resizeRowsToContents()
        self.table.setVisible(bool(self.rows))
