"""Admin › Practice: the billing provider printed in box 33 and sent in 837P loop 2010AA."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.errors import ConflictError, ValidationError
from app.formats.identifiers import US_STATES
from app.services.context import UserContext
from app.services.directory import DirectoryService, PracticeData
from app.services.permissions import Permission
from app.ui.errors import show_error
from app.ui.widgets.form import FieldSpec, FormWidget, format_ein, format_phone, format_zip, heading

STATES = dict.fromkeys(sorted(US_STATES), "")



def address_fields(line1: str = "Address", zip_label: str = "ZIP",
                   zip_hint: str = "12345 or 12345-6789", width: int = 340
                   ) -> tuple[FieldSpec, ...]:
    """The address block every directory form shares (address1/2, city, state, zip)."""
    return (
        FieldSpec("address1", line1, width=width),
        FieldSpec("address2", "Address line 2", width=width),
        FieldSpec("city", "City", width=240),
        FieldSpec("state", "State", "combo", STATES, blank=True, width=90),
        FieldSpec("zip", zip_label, hint=zip_hint, width=160, display=format_zip),
    )


PRACTICE_FIELDS = (
    FieldSpec("name", "Practice name", width=380),
    FieldSpec("npi", "NPI", hint="10 digits", width=160),
    FieldSpec("ein", "EIN (tax ID)", hint="12-3456789", width=160, display=format_ein),
    FieldSpec("taxonomy", "Taxonomy code", hint="207Q00000X", width=160),
    *address_fields(zip_label="ZIP+4", zip_hint="12345-6789", width=380),
    FieldSpec("phone", "Phone", hint="(212) 555-0100", width=160, display=format_phone),
)


class PracticePage(QWidget):
    """Edits the one practice record; problems show under their fields."""

    slug = "practice"
    title = "Practice"

    def __init__(self, *, ctx: UserContext, directory: DirectoryService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._directory = ctx, directory
        self._current: PracticeData | None = None
        self.form = FormWidget(PRACTICE_FIELDS)
        self.save_button = QPushButton("Save")
        self.revert_button = QPushButton("Undo changes")
        self.status = QLabel()
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.reload)
        self._build()

    def _build(self) -> None:
        intro = QLabel(
            "The billing provider: printed in box 33 of the paper claim and sent as the "
            "billing provider on electronic claims. Claims need the full ZIP+4.")
        intro.setWordWrap(True)
        buttons = QHBoxLayout()
        for w in (self.save_button, self.revert_button, self.status):
            buttons.addWidget(w)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Billing provider"))
        layout.addWidget(intro)
        layout.addWidget(self.form)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def reload(self) -> None:
        self._current = self._directory.practice()
        self.form.set_values(self._current)
        editable = self._ctx.can(Permission.MANAGE_PRACTICE)
        self.form.set_editable(editable)
        self.save_button.setEnabled(editable)
        self.revert_button.setEnabled(editable)
        self.status.setText("" if editable else "Your role can see the practice but not change it.")

    def save(self) -> None:
        version = self._current.version if self._current else 0
        data = PracticeData(**self.form.values(), version=version)
        self.form.clear_problems()
        try:
            saved = self._directory.save_practice(data)
        except ValidationError as exc:
            self.form.show_problems(exc.problems)
            self.status.setText("")
            return
        except ConflictError as exc:
            show_error(self, exc)
            self.reload()
            return
        except Exception as exc:  # noqa: BLE001 - the one presenter decides how to show it
            show_error(self, exc)
            return
        self._current = saved
        self.form.set_values(saved)
        self.status.setText(f"Saved at {datetime.now():%H:%M}.")

