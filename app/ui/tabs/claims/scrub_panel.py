"""The claim editor's check results: what the scrubber found, errors first, each with a
"Fix…" button that opens the place to fix it (the editor decides where that is)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QGroupBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.scrubber import Fix, ScrubIssue
from app.ui.tabs.claims import read_only_table
from app.ui.tabs.coding import ERROR_COLOUR, OK_COLOUR, WARNING_COLOUR

COLUMNS = ("", "What the scrubber found", "")


class ScrubPanel(QGroupBox):
    fixRequested = Signal(object)  # the Fix of the issue whose button was pressed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Check before sending", parent)
        self.issues: list[ScrubIssue] = []
        self.fix_buttons: list[QPushButton] = []
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.table = read_only_table(COLUMNS, stretch=1)
        self.table.setWordWrap(True)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.horizontalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setAlternatingRowColors(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addStretch(0)  # holds the spare room when there is no list
        self.show_note("")

    def show_note(self, text: str) -> None:
        """No list, only a line (a claim that cannot change, or not checked yet)."""
        self.issues, self.fix_buttons = [], []
        self.table.setRowCount(0)
        self.table.hide()
        self.summary.setStyleSheet("")
        self.summary.setText(text)

    def show_issues(self, issues: list[ScrubIssue], *, can_fix: bool = True) -> None:
        self.issues = list(issues)
        self.fix_buttons = []
        self.table.setRowCount(len(issues))
        for row, issue in enumerate(issues):
            self._put(row, issue, can_fix)
        self.table.resizeRowsToContents()
        self.table.setVisible(bool(issues))
        self._summarise()

    def _put(self, row: int, issue: ScrubIssue, can_fix: bool) -> None:
        error = issue.blocking
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical if error
                                         else QStyle.StandardPixmap.SP_MessageBoxWarning)
        kind = QTableWidgetItem(icon, "Error" if error else "Warning")
        kind.setForeground(QBrush(QColor(ERROR_COLOUR if error else WARNING_COLOUR)))
        kind.setFlags(Qt.ItemFlag.ItemIsEnabled)
        message = QTableWidgetItem(issue.message)
        message.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.table.setItem(row, 0, kind)
        self.table.setItem(row, 1, message)
        button = QPushButton("Fix…")
        button.setToolTip(where_to_fix(issue.fix))
        button.setEnabled(can_fix)
        button.clicked.connect(lambda _c=False, fix=issue.fix: self.fixRequested.emit(fix))
        self.table.setCellWidget(row, 2, button)
        self.fix_buttons.append(button)

    def _summarise(self) -> None:
        errors = sum(1 for i in self.issues if i.blocking)
        warnings = len(self.issues) - errors
        if not self.issues:
            text, colour = "No problems found: the claim can be marked ready.", OK_COLOUR
        elif errors:
            text = (f"{_count(errors, 'error')}" + (f" and {_count(warnings, 'warning')}"
                                                    if warnings else "")
                    + ": fix the errors before the claim can be marked ready.")
            colour = ERROR_COLOUR
        else:
            text = (f"{_count(warnings, 'warning')}: the claim can be marked ready, but "
                    "read them first.")
            colour = WARNING_COLOUR
        self.summary.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.summary.setText(text)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


WHERE = {"practice": "Admin → Practice", "payer": "the payer (Admin → Payers)",
         "provider": "the provider (Admin → Providers)",
         "facility": "the facility (Admin → Facilities)",
         "settings": "the 837P settings (Admin → Settings)", "patient": "the patient's record",
         "coverage": "the patient's coverage", "coding": "the visit's coding (Coding tab)",
         "claim": "this claim"}


def where_to_fix(fix: Fix) -> str:
    return f"Opens {WHERE.get(fix.kind, fix.kind)}"
