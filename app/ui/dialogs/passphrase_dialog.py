"""Asks for the clinic passphrase when neither CLINIC_CLERK_PASSPHRASE nor the workstation's
keyring gives it (DESIGN.md §5), and opens the clinic with it.

A wrong passphrase is said plainly and asked again; the file is never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.services import secrets
from app.services.clinic import open_clinic
from app.services.database import Database
from app.ui.dialogs.sign_in_dialog import password_field, problem_label, show_problem

Opener = Callable[[Path, str], Database]

NO_KEYRING = ("This workstation has no usable keyring, so the passphrase will be asked "
              "at each start.")


class PassphraseDialog(QDialog):
    """Accepted once `opener(path, passphrase)` opens the clinic; `db` and `passphrase` then
    hold the open database and the passphrase that opened it."""

    def __init__(self, db_path: Path, *, opener: Opener = open_clinic,
                 message: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path = Path(db_path)
        self._opener = opener
        self.db: Database | None = None
        self.passphrase = ""
        self.setWindowTitle("Open the clinic")
        self.passphrase_edit = password_field()
        self.remember = QCheckBox("Remember the passphrase on this workstation")
        self.remember.setEnabled(secrets.keyring_usable())
        if not self.remember.isEnabled():
            self.remember.setToolTip(NO_KEYRING)
        self.message = problem_label()
        show_problem(self.message, message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.open_button = self.buttons.addButton("Open",
                                                  QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_button.setDefault(True)
        self.buttons.accepted.connect(self.try_open)
        self.buttons.rejected.connect(self.reject)
        self._layout()

    def _layout(self) -> None:
        intro = QLabel(f"Type the clinic passphrase to open <b>{self._path.name}</b>.")
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Clinic passphrase:", self.passphrase_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.remember)
        if not self.remember.isEnabled():
            note = QLabel(NO_KEYRING)
            note.setWordWrap(True)
            note.setStyleSheet("color: palette(mid);")
            layout.addWidget(note)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def try_open(self) -> None:
        """Open with what was typed; a refusal is shown and the field cleared for a retry."""
        typed = self.passphrase_edit.text()
        if not typed:
            show_problem(self.message, "Type the clinic passphrase.")
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.db = self._opener(self._path, typed)
        except UserError as exc:
            self.passphrase_edit.clear()
            show_problem(self.message, str(exc))
            self.passphrase_edit.setFocus()
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.passphrase = typed
        self.passphrase_edit.clear()
        self.accept()
