"""The claim editor's "Payer calls" tab: every call logged about the claim (Payments tab →
Calls), newest first, with what the payer said and promised."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTableWidget, QVBoxLayout, QWidget

from app.services.payer_calls import CallRow, PayerCallService
from app.ui.tabs.claims import date_text, fill_table, read_only_table

COLUMNS = ("When", "Spoke to", "Reference", "Outcome", "What was said", "Promised")


def _promise(c: CallRow) -> str:
    if not c.promised_action:
        return ""
    kept = " (kept)" if c.promise_kept else ""
    return f"{c.promised_action} by {date_text(c.promised_on)}{kept}"


class CallsPanel(QWidget):
    def __init__(self, calls: PayerCallService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._calls = calls
        self.rows: list[CallRow] = []
        self.table: QTableWidget = read_only_table(COLUMNS, stretch=4)
        self.table.setWordWrap(True)
        self.empty = QLabel("No call was logged about this claim (Payments tab → Calls).")
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)

    def show_claim(self, claim_id: int) -> int:
        """Load the claim's calls; returns how many."""
        self.rows = self._calls.calls_for_claim(claim_id)
        fill_table(self.table, [(f"{c.called_at.astimezone():%m/%d/%Y %H:%M}",
                                 c.representative, c.reference, c.outcome_label, c.summary,
                                 _promise(c)) for c in self.rows])
        self.table.resizeRowsToContents()
        self.empty.setVisible(not self.rows)
        return len(self.rows)
