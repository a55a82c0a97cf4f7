"""The chart's header: who the patient is, how to reach them and who pays.

The full SSN is shown only after an explicit click by a role allowed to see it (the reveal is
audited by `PatientService.reveal_ssn`) and is masked again when another chart opens. Other
issues add their own parts under the demographics with `add_header_section` (the benefits
issue puts the coverage summary there).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.context import UserContext
from app.services.patients import SEXES, PatientDetail, PatientService, mask_ssn
from app.services.permissions import Permission
from app.services.summary import (
    address_text,
    age,
    emergency_text,
    guarantor_text,
    phones_text,
)
from app.ui.errors import show_error

# (key, label, grid column) — three columns of label/value pairs.
FIELDS = (("mrn", "MRN", 0), ("dob", "DOB", 0), ("sex", "Sex", 0), ("ssn", "SSN", 0),
          ("address", "Address", 1), ("phones", "Phones", 1), ("email", "E-mail", 1),
          ("guarantor", "Guarantor", 2), ("emergency", "Emergency", 2),
          ("language", "Language", 2))


class ChartHeader(QFrame):
    """Demographics of the open chart. `values[key]` holds each value label (tests read it)."""

    def __init__(self, *, ctx: UserContext, patients: PatientService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._patients = patients
        self._detail: PatientDetail | None = None
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.name = QLabel()
        font = self.name.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.name.setFont(font)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.values: dict[str, QLabel] = {}
        self._labels: dict[str, QLabel] = {}
        self.show_ssn_button = QPushButton("Show")
        self.show_ssn_button.setToolTip("Show the full SSN (recorded in the audit log)")
        self.show_ssn_button.clicked.connect(self.reveal_ssn)
        self.show_ssn_button.setFixedWidth(
            self.show_ssn_button.fontMetrics().horizontalAdvance("Show") + 24)
        self._top = QHBoxLayout()
        self._top.addWidget(self.name, 1)
        self._layout = QVBoxLayout(self)
        self._layout.addLayout(self._top)
        self._layout.addLayout(self._grid())

    def _grid(self) -> QHBoxLayout:
        """Three independent columns of label/value pairs (a tall address does not push
        the other columns' rows apart)."""
        row = QHBoxLayout()
        grids = [QGridLayout() for _ in range(3)]
        for key, label, col in FIELDS:
            grid = grids[col]
            caption = QLabel(f"{label}:")
            caption.setStyleSheet("color: #555;")
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            # the first column's values are short (MRN, DOB with age, sex, masked SSN) and sit
            # in a column that does not stretch: wrapped, they were cut off at its bottom
            value.setWordWrap(col != 0)
            cell: QWidget = value if key != "ssn" else self._ssn_cell(value)
            line = grid.rowCount()
            grid.addWidget(caption, line, 0, Qt.AlignmentFlag.AlignVCenter if key == "ssn"
                           else Qt.AlignmentFlag.AlignTop)
            grid.addWidget(cell, line, 1, Qt.AlignmentFlag.AlignTop)
            self.values[key], self._labels[key] = value, caption
        for grid, stretch in zip(grids, (0, 1, 1), strict=True):
            grid.setHorizontalSpacing(8)
            grid.setVerticalSpacing(3)
            grid.setColumnStretch(1, 1)
            grid.setRowStretch(grid.rowCount(), 1)
            row.addLayout(grid, stretch)
        row.setSpacing(16)
        return row

    def _ssn_cell(self, value: QLabel) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(value)
        row.addWidget(self.show_ssn_button)
        row.addStretch(1)
        return box

    def add_action(self, button: QPushButton) -> None:
        """A button on the name line (the chart's Edit patient… and Print summary…)."""
        self._top.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)

    def add_header_section(self, widget: QWidget) -> None:
        """Add a part under the demographics (the benefits issue's coverage summary)."""
        self._layout.addWidget(widget)

    # --- filling ------------------------------------------------------------------------------
    def show_detail(self, detail: PatientDetail, today: date | None = None) -> None:
        self._detail = detail
        d = detail.data
        preferred = f" “{d.preferred_name}”" if d.preferred_name else ""
        self.name.setText(f"{detail.display_name}{preferred}")
        texts = {
            "mrn": detail.mrn,
            "dob": f"{d.dob:%m/%d/%Y} (age {age(d.dob, today or date.today())})",
            "sex": SEXES.get(d.sex, d.sex),
            "ssn": mask_ssn(detail.ssn_last4) or "none on file",
            "address": address_text(d.address1, d.address2, d.city, d.state, d.zip),
            "phones": phones_text(d),
            "email": d.email,
            "guarantor": guarantor_text(d) or "Self",
            "emergency": emergency_text(d),
            "language": d.language,
        }
        for key, text in texts.items():
            self._set(key, text)
        self.show_ssn_button.setVisible(
            bool(detail.ssn_last4) and self._ctx.can(Permission.VIEW_FULL_SSN))

    def _set(self, key: str, text: str) -> None:
        self.values[key].setText(text)
        self.values[key].setVisible(bool(text))
        self._labels[key].setVisible(bool(text))

    def clear(self) -> None:
        self._detail = None
        self.name.clear()
        for key in self.values:
            self._set(key, "")
        self.show_ssn_button.hide()

    def reveal_ssn(self) -> None:
        if self._detail is None:
            return
        try:
            ssn = self._patients.reveal_ssn(self._detail.id)
        except Exception as exc:  # noqa: BLE001 - shown by the one presenter
            show_error(self, exc)
            return
        self.values["ssn"].setText(ssn)
        self.show_ssn_button.hide()
