"""A user changes their own password (required after an administrator set a temporary one)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError, ValidationError
from app.services.users import UserService
from app.ui.dialogs.sign_in_dialog import password_field, problem_label, show_problem

FORCED = ("An administrator set a temporary password for you. Choose your own password "
          "before you continue.")


class ChangePasswordDialog(QDialog):
    """Accepted once `users.change_own_password` accepts the change."""

    def __init__(self, users: UserService, *, forced: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._users = users
        self.setWindowTitle("Change my password")
        self.current = password_field()
        self.new = password_field()
        self.repeat = password_field()
        self.message = problem_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.change_button = self.buttons.addButton(
            "Change password", QDialogButtonBox.ButtonRole.AcceptRole)
        self.change_button.setDefault(True)
        self.buttons.accepted.connect(self.try_change)
        self.buttons.rejected.connect(self.reject)
        self._layout(forced)

    def _layout(self, forced: bool) -> None:
        layout = QVBoxLayout(self)
        intro = QLabel(FORCED if forced else "Type your current password, then the new one "
                       "twice. A password has at least 10 characters.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        form.addRow("Current password:", self.current)
        form.addRow("New password:", self.new)
        form.addRow("New password again:", self.repeat)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def try_change(self) -> None:
        if self.new.text() != self.repeat.text():
            self._refuse("The two new passwords differ; type the new password twice.")
            return
        try:
            self._users.change_own_password(self.current.text(), self.new.text())
        except ValidationError as exc:
            self._refuse("\n".join(exc.problems.values()))
            return
        except UserError as exc:
            self._refuse(str(exc))
            return
        for edit in (self.current, self.new, self.repeat):
            edit.clear()
        self.accept()

    def _refuse(self, text: str) -> None:
        self.new.clear()
        self.repeat.clear()
        show_problem(self.message, text)


def ask_new_password(parent: QWidget | None, users: UserService, *, forced: bool) -> bool:
    """Show the dialog modally; True when the password was changed."""
    dialog = ChangePasswordDialog(users, forced=forced, parent=parent)
    return dialog.exec() == QDialog.DialogCode.Accepted
