"""The one place that shows errors (DESIGN.md §2.5).

`UserError` → a plain message box with the text as written; `Cancelled` → nothing;
anything else → logged (type and traceback, never field values) and a crash dialog with a
Copy button whose text carries no patient data.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
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
