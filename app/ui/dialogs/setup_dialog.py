"""First run: create the clinic (the encrypted file, the practice and the first admin).

Every problem the service finds comes back at once as `ValidationError.problems`; each is
shown under its field and what was typed is kept. Nothing is written until all are right.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError, ValidationError
from app.services import secrets
from app.services.clinic import NewClinic, check_new_clinic, create_clinic
from app.services.database import Database
from app.services.directory import PracticeData
from app.ui.dialogs.passphrase_dialog import NO_KEYRING
from app.ui.dialogs.sign_in_dialog import password_field, problem_label, show_problem

# (problem key, label, placeholder, secret); problem keys are those of `check_new_clinic`.
PASSPHRASE_FIELDS = (
    ("passphrase", "Passphrase:", "at least 12 characters", True),
    ("passphrase_again", "Passphrase again:", "", True),
)
PRACTICE_FIELDS = (
    ("practice name", "Practice name:", "as on claims", False),
    ("practice npi", "NPI:", "10 digits", False),
    ("practice ein", "EIN (tax ID):", "12-3456789", False),
    ("practice taxonomy", "Taxonomy:", "207Q00000X", False),
    ("practice address1", "Address:", "street and number", False),
    ("practice address2", "Address line 2:", "optional", False),
    ("practice city", "City:", "", False),
    ("practice state", "State:", "NY", False),
    ("practice zip", "ZIP+4:", "62701-1234", False),
    ("practice phone", "Phone:", "217-555-0100", False),
)
ADMIN_FIELDS = (
    ("admin_username", "User name:", "for example ada", False),
    ("admin_full_name", "Full name:", "", False),
    ("admin_password", "Password:", "at least 10 characters", True),
    ("admin_password_again", "Password again:", "", True),
)


class _Field(QWidget):
    """A line edit with its own problem line under it (hidden while all is well)."""

    def __init__(self, placeholder: str, secret: bool) -> None:
        super().__init__()
        self.edit = password_field() if secret else QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.problem = problem_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.problem)

    def show_problem(self, text: str) -> None:
        show_problem(self.problem, text)


class SetupDialog(QDialog):
    """Accepted once the clinic exists; `db`, `passphrase` and `admin_username` then hold
    the open database, its passphrase and the first admin's user name."""

    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path = Path(db_path)
        self.db: Database | None = None
        self.passphrase = ""
        self.admin_username = ""
        self.fields: dict[str, _Field] = {}
        self.setWindowTitle("Set up your clinic")
        self.banner = problem_label()
        self.remember = QCheckBox("Remember the passphrase on this workstation")
        self.remember.setEnabled(secrets.keyring_usable())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.addButton(
            "Create clinic", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setDefault(True)
        self.buttons.accepted.connect(self.try_create)
        self.buttons.rejected.connect(self.reject)
        self._layout()

    # --- layout ------------------------------------------------------------------------------
    def _group(self, title: str, specs: tuple[tuple[str, str, str, bool], ...]) -> QGroupBox:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, label, placeholder, secret in specs:
            self.fields[key] = _Field(placeholder, secret)
            form.addRow(label, self.fields[key])
        return box

    def _passphrase_group(self) -> QGroupBox:
        box = self._group("Clinic passphrase (opens the encrypted database)", PASSPHRASE_FIELDS)
        form = box.layout()
        assert isinstance(form, QFormLayout)
        note = QLabel("Keep it safe: without it nobody can open the clinic's data, "
                      "and it cannot be recovered.")
        note.setWordWrap(True)
        form.addRow(note)
        form.addRow(self.remember)
        if not self.remember.isEnabled():
            self.remember.setToolTip(NO_KEYRING)
            why = QLabel(NO_KEYRING)
            why.setWordWrap(True)
            form.addRow(why)
        return box

    def _layout(self) -> None:
        intro = QLabel(f"Welcome to ClinicClerk. This creates the clinic database "
                       f"<b>{self._path.name}</b> in {self._path.parent}.")
        intro.setWordWrap(True)
        right = QVBoxLayout()
        right.addWidget(self._passphrase_group())
        right.addWidget(self._group("First administrator", ADMIN_FIELDS))
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addWidget(self._group("Practice (billing provider)", PRACTICE_FIELDS), 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.banner)
        layout.addLayout(columns)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(860)

    # --- values ------------------------------------------------------------------------------
    def text(self, key: str) -> str:
        return self.fields[key].edit.text()

    def set_text(self, key: str, value: str) -> None:
        self.fields[key].edit.setText(value)

    def new_clinic(self) -> NewClinic:
        p = {key.removeprefix("practice "): self.text(key) for key, *_ in PRACTICE_FIELDS}
        return NewClinic(
            passphrase=self.text("passphrase"), practice=PracticeData(**p),
            admin_username=self.text("admin_username").strip(),
            admin_full_name=self.text("admin_full_name"),
            admin_password=self.text("admin_password"))

    def _repeats(self) -> dict[str, str]:
        """The typed-twice checks, which only the form can make."""
        pairs = (("passphrase", "passphrase_again", "passphrases"),
                 ("admin_password", "admin_password_again", "passwords"))
        return {again: f"The two {what} differ; type it again."
                for first, again, what in pairs if self.text(first) != self.text(again)}

    # --- creating ----------------------------------------------------------------------------
    def try_create(self) -> None:
        """Create the clinic, or show every problem beside its field."""
        clinic = self.new_clinic()
        problems = {**check_new_clinic(clinic), **self._repeats()}
        self.show_problems(problems)
        if problems:
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.db = create_clinic(self._path, clinic)
        except ValidationError as exc:
            self.show_problems(exc.problems)
        except UserError as exc:
            show_problem(self.banner, str(exc))
        finally:
            QGuiApplication.restoreOverrideCursor()
        if self.db is not None:
            self._created(clinic)

    def _created(self, clinic: NewClinic) -> None:
        self.passphrase = clinic.passphrase
        self.admin_username = clinic.admin_username
        if self.remember.isEnabled() and self.remember.isChecked():
            secrets.remember(self._path, clinic.passphrase)
        for key in ("passphrase", "passphrase_again", "admin_password", "admin_password_again"):
            self.fields[key].edit.clear()
        self.accept()

    def show_problems(self, problems: dict[str, str]) -> None:
        """Put each problem under its field; any the form has no field for go in the banner."""
        for key, field in self.fields.items():
            field.show_problem(_sentence(problems.get(key, "")))
        loose = [f"• {k}: {v}" for k, v in problems.items() if k not in self.fields]
        head = (f"The clinic was not created. Fix the {len(problems)} problem(s) marked below."
                if problems else "")
        show_problem(self.banner, "\n".join([head, *loose]).strip())
        first = next((self.fields[k] for k in self.fields if k in problems), None)
        if first is not None:
            first.edit.setFocus()
        self._fit_height()

    def _fit_height(self) -> None:
        """Grow to fit wrapped problem lines (a window's minimum ignores height-for-width)."""
        layout = self.layout()
        layout.activate()
        needed = layout.heightForWidth(self.width()) if layout.hasHeightForWidth() else 0
        if needed > self.height():
            self.resize(self.width(), needed)


def _sentence(msg: str) -> str:
    """Service messages like "is required." read as a sentence under the field."""
    return "This is required." if msg == "is required." else msg
