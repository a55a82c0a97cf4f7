"""The coverage line under a chart's demographics: each coverage in force today in its order,
with its member ID and when it was last verified, and any warning for a visit today
(expired, not verified recently, inactive). Details live in the Benefits tab."""

from __future__ import annotations

from datetime import date
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from app.services.coverage import CoverageRow, CoverageService

WARNING_COLOUR = "#8a4b00"


def coverage_text(row: CoverageRow) -> str:
    ck = row.last_check
    if ck is None:
        verified = "never verified"
    else:
        state = ("rejected" if ck.rejected else "active" if ck.active
                 else "inactive" if ck.active is False else "status unknown")
        verified = f"verified {ck.checked_on:%m/%d/%Y} ({state})"
    return f"<b>{row.rank_label}</b> {escape(row.payer_name)} · member " \
           f"{escape(row.data.member_id)} · {verified}"


class CoverageSummary(QLabel):
    def __init__(self, coverage: CoverageService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._coverage = coverage
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def show_patient(self, patient_id: int, today: date | None = None) -> None:
        """Errors are raised for the chart to show."""
        day = today or date.today()
        found = self._coverage.overview(patient_id, day)
        lines = [coverage_text(r) for r in found.in_force] or [
            "<b>Coverage:</b> none in force (self-pay)"]
        lines += [f'<span style="color:{WARNING_COLOUR}">⚠ {escape(w.message)}</span>'
                  for w in found.warnings if w.kind != "no_coverage"]
        self.setText("<br>".join(lines))
