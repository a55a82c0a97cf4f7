"""Sign-in with the user's own name and password (ONC 170.315(d)(1)).

The service decides and words every refusal (wrong password, lockout, disabled account);
the dialog shows that text beside the form and keeps the user name.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.services.users import UserService

PROBLEM_STYLE = "color: #b00020;"


def problem_label() -> QLabel:
    """A red, word-wrapped label for a refusal or a field problem; hidden until used."""
    label = QLabel()
    label.setStyleSheet(PROBLEM_STYLE)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def show_problem(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def password_field() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class SignInDialog(QDialog):
    """Asks for a user name and password and signs the user in through `users.sign_in`.

    Accepted once the service accepts; `signed_in` then holds the `CurrentUser`."""

    def __init__(self, users: UserService, *, clinic_label: str = "", username: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._users = users
        self.signed_in = None
        self.setWindowTitle("Sign in to ClinicClerk")
        self.username = QLineEdit(username)
        self.password = password_field()
        self.message = problem_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_in_button = self.buttons.addButton(
            "Sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_in_button.setDefault(True)
        self.buttons.accepted.connect(self.try_sign_in)
        self.buttons.rejected.connect(self.reject)
        self._layout(clinic_label)
        (self.password if username else self.username).setFocus()

    def _layout(self, clinic_label: str) -> None:
        title = QLabel("<b>Sign in</b>" + (f" to {clinic_label}" if clinic_label else ""))
        form = QFormLayout()
        form.addRow("User name:", self.username)
        form.addRow("Password:", self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(380)

    def try_sign_in(self) -> None:
        """Ask the service; on refusal show its message, clear the password, stay open."""
        try:
            self.signed_in = self._users.sign_in(self.username.text().strip(),
                                                 self.password.text())
        except UserError as exc:
            self.password.clear()
            show_problem(self.message, str(exc))
            self.password.setFocus()
            return
        self.password.clear()
        self.accept()
