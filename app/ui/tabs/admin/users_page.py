"""Admin › Users: add users, change roles, disable, reset passwords, unlock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.permissions import ROLE_LABELS, Role
from app.services.users import MIN_PASSWORD, UserRow, UserService
from app.ui.errors import show_error
from app.ui.tabs.admin.records_page import Column, fill_table, fit_columns, make_table
from app.ui.widgets.form import FieldSpec, FormDialog, heading, note, yes_no

ROLE_TEXT = {r.value: label for r, label in ROLE_LABELS.items()}


def _locked(until: datetime | None) -> str:
    return f"until {until.astimezone():%H:%M}" if until else ""


USER_COLUMNS = (
    Column("User name", lambda u: u.username),
    Column("Full name", lambda u: u.full_name, stretch=True),
    Column("Role", lambda u: ROLE_TEXT.get(u.role, u.role)),
    Column("Active", lambda u: yes_no(u.active)),
    Column("Locked", lambda u: _locked(u.locked_until)),
    Column("Must change password", lambda u: "Yes" if u.must_change_password else ""),
)

NEW_USER_FIELDS = (
    FieldSpec("username", "User name", hint="e.g. jsmith", width=220),
    FieldSpec("full_name", "Full name", width=300),
    FieldSpec("role", "Role", "combo", ROLE_TEXT, show_code=False, width=220,
              default=Role.FRONT_DESK.value),
    FieldSpec("password", "Temporary password", hint=f"at least {MIN_PASSWORD} characters",
              width=220),
)


class UsersPage(QWidget):
    slug = "users"
    title = "Users"

    def __init__(self, *, users: UserService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._users = users
        self.rows: list[UserRow] = []
        self.dialog: FormDialog | None = None
        self.table = make_table(USER_COLUMNS)
        self.add_button = QPushButton("Add user…")
        self.role_button = QPushButton("Change role…")
        self.active_button = QPushButton("Disable")
        self.reset_button = QPushButton("Reset password…")
        self.unlock_button = QPushButton("Unlock")
        self._connect()
        self._build()

    def _connect(self) -> None:
        self.add_button.clicked.connect(self.add_user)
        self.role_button.clicked.connect(self.change_role)
        self.active_button.clicked.connect(self.toggle_active)
        self.reset_button.clicked.connect(self.reset_password)
        self.unlock_button.clicked.connect(self.unlock)
        self.table.itemSelectionChanged.connect(self._enable)

    def _build(self) -> None:
        buttons = QHBoxLayout()
        for b in (self.add_button, self.role_button, self.active_button, self.reset_button,
                  self.unlock_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Users"))
        layout.addWidget(note(
            "Each person signs in with their own name and password. New users and reset "
            "passwords are temporary: the user must choose a new one at the next sign-in. "
            "A disabled user cannot sign in; their audit history stays."))
        layout.addLayout(buttons)
        layout.addWidget(self.table)

    def reload(self, select_id: int | None = None) -> None:
        self.rows = self._users.list_users()
        fill_table(self.table, USER_COLUMNS, self.rows)
        fit_columns(self.table, USER_COLUMNS)
        ids = [u.id for u in self.rows]
        if select_id in ids:
            self.table.selectRow(ids.index(select_id))
        self._enable()

    def selected(self) -> UserRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _enable(self) -> None:
        user = self.selected()
        for b in (self.role_button, self.active_button, self.reset_button):
            b.setEnabled(user is not None)
        self.unlock_button.setEnabled(user is not None and user.locked_until is not None)
        self.active_button.setText("Enable" if user and not user.active else "Disable")

    def add_user(self) -> None:
        self.dialog = FormDialog(
            "Add user", NEW_USER_FIELDS, lambda v: self._users.create_user(**v), self,
            intro="Tell the new user their temporary password; they choose their own at "
                  "the first sign-in.")
        self.dialog.form.set_values(None)
        self.dialog.saved.connect(lambda row: self.reload(row.id))
        self.dialog.open()

    def change_role(self) -> None:
        user = self.selected()
        if user is None:
            return
        labels = list(ROLE_TEXT.values())
        current = labels.index(ROLE_TEXT.get(user.role, labels[0]))
        label, ok = QInputDialog.getItem(self, "Change role", f"Role for {user.username}:",
                                         labels, current, False)
        if ok:
            role = next(r for r, text in ROLE_TEXT.items() if text == label)
            self._act(lambda: self._users.set_role(user.id, role), user.id)

    def toggle_active(self) -> None:
        user = self.selected()
        if user is not None:
            self._act(lambda: self._users.set_active(user.id, not user.active), user.id)

    def reset_password(self) -> None:
        user = self.selected()
        if user is None:
            return
        password, ok = QInputDialog.getText(
            self, "Reset password",
            f"Temporary password for {user.username} (at least {MIN_PASSWORD} characters; "
            "they must change it at the next sign-in):", QLineEdit.EchoMode.Normal)
        if ok and password:
            if self._act(lambda: self._users.reset_password(user.id, password), user.id):
                QMessageBox.information(self, "Password reset",
                                        f"{user.username} has a new temporary password.")

    def unlock(self) -> None:
        user = self.selected()
        if user is not None:
            self._act(lambda: self._users.unlock(user.id), user.id)

    def _act(self, call: Callable[[], Any], user_id: int) -> bool:
        """Run one service call; errors go to the presenter. The list is re-read either way."""
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - the one presenter decides how to show it
            show_error(self, exc)
            return False
        finally:
            self.reload(user_id)
        return True
