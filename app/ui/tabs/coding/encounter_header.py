"""Who and what is being coded: the patient (name, MRN, DOB with the age on the date of
service, sex) and the encounter (DOS, provider, facility and POS, reason, coding status)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from app.formats.code_edits import age_on
from app.services.coding import STATUS_LABELS, EncounterCoding
from app.services.patients import SEXES

KEYS = (("MRN", "DOB", "Sex"), ("DOS", "Provider", "Facility"), ("Reason", "Status", ""))
SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse


class EncounterHeader(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name_label = QLabel()
        self.name_label.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.name_label.setTextInteractionFlags(SELECTABLE)
        self.facts: dict[str, QLabel] = {}
        grid = QGridLayout()
        for r, row in enumerate(KEYS):
            for c, key in enumerate(k for k in row if k):
                value = QLabel()
                value.setTextInteractionFlags(SELECTABLE)
                grid.addWidget(QLabel(f"<b>{key}:</b>"), r, 2 * c)
                grid.addWidget(value, r, 2 * c + 1)
                self.facts[key] = value
        grid.setColumnStretch(3, 1)
        grid.setColumnStretch(5, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.name_label)
        layout.addLayout(grid)

    def show_encounter(self, enc: EncounterCoding) -> None:
        self.name_label.setText(enc.patient_name)
        coded = (f" by {enc.coded_by} on {enc.coded_at:%m/%d/%Y}"
                 if enc.coded_at is not None and enc.coded_by else "")
        values = {
            "MRN": enc.mrn,
            "DOB": f"{enc.dob:%m/%d/%Y} (age {age_on(enc.dob, enc.dos)} on DOS)",
            "Sex": SEXES.get(enc.sex, enc.sex),
            "DOS": f"{enc.dos:%m/%d/%Y}",
            "Provider": enc.provider or "—",
            "Facility": f"{enc.facility or '—'} (POS {enc.pos})",
            "Reason": enc.reason or "—",
            "Status": STATUS_LABELS.get(enc.status, enc.status) + coded,
        }
        for key, text in values.items():
            self.facts[key].setText(text)
