"""The one place that shows errors (DESIGN.md §2.5).

`UserError` → a plain message box with the text as written; `Cancelled` → nothing;
anything else → logged (type and traceback, never field values) and a crash dialog with a
Copy button whose text carries no patient data.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.errors import Cancelled, PermissionDenied, UserError

log = logging.getLogger(__name__)


def crash_report(exc: BaseException) -> str:
    """A report safe to copy: version, exception type and the code locations, no values.

    Exception messages can quote data (a SQL parameter, a name), so only the type is kept."""
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f"ClinicClerk {__version__}", f"Python {sys.version.split()[0]}",
             f"Error type: {type(exc).__module__}.{type(exc).__qualname__}", "Where:"]
    lines += [f"  {f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames]
    return "\n".join(lines)


class CrashDialog(QDialog):
    def __init__(self, report: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("ClinicClerk: something went wrong")
        self.report = QPlainTextEdit(report)
        self.report.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            "ClinicClerk hit an unexpected problem. Your saved work is safe; what you were "
            "doing was not completed.\nCopy the report below (it holds no patient data) and "
            "send it to your support contact."))
        layout.addWidget(self.report)
        layout.addWidget(buttons)
        self.resize(560, 360)

    def copy(self) -> None:
        QApplication.clipboard().setText(self.report.toPlainText())


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """Show any exception the way its kind asks for."""
    if isinstance(exc, Cancelled):
        return
    if isinstance(exc, UserError):
        title = "Not allowed" if isinstance(exc, PermissionDenied) else "Please check"
        QMessageBox.warning(parent, title, str(exc))
        return
    log.error("unexpected error: %s", type(exc).__name__,
              exc_info=(type(exc), exc, exc.__traceback__))
    CrashDialog(crash_report(exc), parent).exec()


def install_excepthook() -> None:
    """Route uncaught exceptions in Qt slots to `show_error` instead of stderr."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        exc.__traceback__ = tb
        show_error(QApplication.activeWindow(), exc)

    sys.excepthook = hook


# --- a refused file: every bad line, in a table that scrolls ----------------------------------
# (show_error's message box has room for the first twenty; a file import's refusal lists all
# it found, so `present_import_error` shows those in a table and hands any other error to
# show_error.)
def table_cell(text: str, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def problems_table() -> QTableWidget:
    table = QTableWidget(0, 3)
    table.setHorizontalHeaderLabels(["Line", "Column", "What to fix"])
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    header.resizeSection(1, 150)
    header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
    return table


def fill_problems(table: QTableWidget, problems: Sequence[Any]) -> None:
    """One row per problem (anything with `line`, `column`, `reason`)."""
    table.setRowCount(len(problems))
    for i, p in enumerate(problems):
        table.setItem(i, 0, table_cell(f"{p.line:,}", right=True))
        table.setItem(i, 1, table_cell(str(p.column)))
        table.setItem(i, 2, table_cell(str(p.reason)))
    table.resizeRowsToContents()


def listed_lines(table: QTableWidget) -> list[int]:
    items = (table.item(i, 0) for i in range(table.rowCount()))
    return [int(item.text().replace(",", "")) for item in items if item is not None]


def file_problems(exc: BaseException) -> list[Any] | None:
    """The bad lines a refused file import names, or None for any other error."""
    problems = getattr(exc, "problems", None)
    if isinstance(exc, UserError) and isinstance(problems, list) and problems:
        return problems
    return None


class ProblemsDialog(QDialog):
    """A refused file: what was wrong, line by line, in a table that scrolls."""

    def __init__(self, exc: UserError, problems: list[Any], parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Nothing was imported")
        total = int(getattr(exc, "total", len(problems)))
        lead = str(exc).split("\n", 1)[0]
        more = (f" The first {len(problems):,} of {total:,} are listed."
                if total > len(problems) else "")
        self.summary = QLabel(f"{lead}{more}")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("color: #b00020;")
        self.table = problems_table()
        fill_problems(self.table, problems)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(720, 420)

    def lines(self) -> list[int]:
        """The line numbers listed (what the clerk reads in the first column)."""
        return listed_lines(self.table)


def present_import_error(parent: QWidget | None, exc: BaseException) -> QDialog | None:
    """Show why an import failed; returns the problems dialog when one was opened."""
    problems = file_problems(exc)
    if problems is None or not isinstance(exc, UserError):
        show_error(parent, exc)
        return None
    dialog = ProblemsDialog(exc, problems, parent)
    dialog.open()
    return dialog
