"""The page the window shows when it locks (ONC 170.315(d)(5) automatic access time-out).

It covers the tabs without destroying them, shows no patient data, and asks the same user's
password. "Sign in as someone else" first warns that the first user's unsaved edits will be
discarded, then signs that user out; whoever signs in next gets tabs for their own role.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.services.context import UserContext
from app.services.users import UserService
from app.ui.dialogs.sign_in_dialog import password_field, problem_label, show_problem

CARD_WIDTH = 460


def confirm_discard(parent: QWidget, full_name: str) -> bool:
    """Warn that the signed-in user's unsaved edits will be lost; True to go on."""
    answer = QMessageBox.question(
        parent, "Sign out " + full_name,
        f"{full_name} will be signed out and any edits they have not saved will be "
        "discarded. Continue?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class LockScreen(QWidget):
    """Two modes: *locked* (the same user types their password; emits `unlocked`) and
    *signed out* (anyone signs in; emits `switched`). `signedOut` fires when the locked
    user was signed out to let someone else in."""

    unlocked = Signal()
    signedOut = Signal()
    switched = Signal()

    def __init__(self, *, users: UserService, ctx: UserContext,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._users = users
        self._ctx = ctx
        self.title = QLabel()
        self.who = QLabel()
        self.who.setWordWrap(True)
        self.username = QLineEdit()
        self.password = password_field()
        self.message = problem_label()
        self.submit_button = QPushButton("Unlock")
        self.submit_button.setDefault(True)
        self.switch_button = QPushButton("Sign in as someone else…")
        self.submit_button.clicked.connect(self.submit)
        self.password.returnPressed.connect(self.submit)
        self.switch_button.clicked.connect(self.switch_user)
        self._layout()

    def _layout(self) -> None:
        self.form = QFormLayout()
        self.form.addRow("User name:", self.username)
        self.form.addRow("Password:", self.password)
        buttons = QHBoxLayout()
        buttons.addWidget(self.switch_button)
        buttons.addStretch(1)
        buttons.addWidget(self.submit_button)
        self.card = card = QFrame()
        card.setObjectName("lockCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setFixedWidth(CARD_WIDTH)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(24, 20, 24, 20)
        for w in (self.title, self.who):
            inner.addWidget(w)
        inner.addLayout(self.form)
        inner.addWidget(self.message)
        inner.addLayout(buttons)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    # --- modes -------------------------------------------------------------------------------
    @property
    def is_signed_out_mode(self) -> bool:
        return self.username.isVisibleTo(self)

    def show_locked(self) -> None:
        """Ask the signed-in user for their password again."""
        user = self._ctx.user
        if user is None:
            self.show_signed_out()
            return
        self.title.setText("<h2>ClinicClerk is locked</h2>")
        self.who.setText(f"Locked for <b>{user.full_name}</b> ({user.role_label}). "
                         "Type your password to carry on where you left off.")
        self._set_mode(signed_out=False)

    def show_signed_out(self) -> None:
        """Nobody is signed in: ask for any user name and password."""
        self.title.setText("<h2>Sign in</h2>")
        self.who.setText("Nobody is signed in. Type your user name and password.")
        self.username.clear()
        self._set_mode(signed_out=True)

    def _set_mode(self, *, signed_out: bool) -> None:
        self.form.setRowVisible(self.username, signed_out)
        self.switch_button.setVisible(not signed_out)
        self.submit_button.setText("Sign in" if signed_out else "Unlock")
        self.password.clear()
        show_problem(self.message, "")
        (self.username if signed_out else self.password).setFocus()
        self._fit_card()

    def _fit_card(self) -> None:
        """Give the card the height its wrapped lines need at its fixed width."""
        layout = self.card.layout()
        layout.activate()
        self.card.setFixedHeight(max(layout.heightForWidth(CARD_WIDTH),
                                     layout.sizeHint().height()))

    # --- actions -----------------------------------------------------------------------------
    def submit(self) -> None:
        """Check the password through the service; a refusal keeps the screen locked."""
        user = self._ctx.user
        signed_out = self.is_signed_out_mode or user is None
        username = self.username.text().strip() if signed_out or user is None else user.username
        try:
            if signed_out:
                self._users.sign_in(username, self.password.text())
            else:
                self._users.resume_session(self.password.text())
        except UserError as exc:
            self.password.clear()
            show_problem(self.message, str(exc))
            self._fit_card()
            self.password.setFocus()
            return
        self.password.clear()
        show_problem(self.message, "")
        (self.switched if signed_out else self.unlocked).emit()

    def switch_user(self) -> None:
        """After a warning, sign the locked user out so someone else can sign in."""
        user = self._ctx.user
        if user is not None:
            if not confirm_discard(self, user.full_name):
                return
            self._users.sign_out("switch user")
        self.show_signed_out()
        self.signedOut.emit()
