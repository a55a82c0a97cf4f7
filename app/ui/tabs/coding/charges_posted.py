"""What the ledger holds for the open encounter: every charge posted for it and every
reversal (a correction never edits an entry; it reverses it and posts a new one), with the
net total. Read through `LedgerService.entries` (VIEW_LEDGER; audited as a ledger view)."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.ledger import LedgerRow
from app.ui.tabs.coding import RIGHT, money_text

COLUMNS = ("Posted", "Entry", "Code", "Amount", "Memo", "By")
AMOUNT = 3
TABLE_HEIGHT = 130
KIND_TEXT = {"charge": "Charge", "reversal": "Reversal"}


def entry_kind(row: LedgerRow) -> str:
    text = KIND_TEXT.get(row.kind, row.kind.title())
    return f"{text} (reversed)" if row.reversed_by_id is not None else text


class ChargesPosted(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        self.table.setFixedHeight(TABLE_HEIGHT)
        header = self.table.horizontalHeader()
        for column, width in enumerate((84, 130, 64, 90, 200, 90)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.total_label = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.total_label)
        self.entries: list[LedgerRow] = []
        self.show_entries([])

    def show_entries(self, entries: list[LedgerRow]) -> None:
        self.entries = list(entries)
        self.table.setRowCount(len(self.entries))
        for n, row in enumerate(self.entries):
            cells = (f"{row.entry_date:%m/%d/%Y}", entry_kind(row), row.code,
                     money_text(row.amount), row.memo, row.posted_by)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if column == AMOUNT:
                    item.setTextAlignment(RIGHT)
                if row.reversed_by_id is not None or row.kind == "reversal":
                    item.setForeground(QBrush(QColor("#777777")))
                if row.reversed_by_id is not None and column == AMOUNT:
                    struck = QFont()
                    struck.setStrikeOut(True)
                    item.setFont(struck)
                self.table.setItem(n, column, item)
        self.total_label.setText(self.total_text())

    def total(self) -> Decimal:
        return sum((r.amount for r in self.entries), Decimal("0.00"))

    def total_text(self) -> str:
        if not self.entries:
            return "Nothing posted for this encounter yet."
        charges = sum(1 for r in self.entries if r.kind == "charge")
        reversals = len(self.entries) - charges
        return (f"Net posted for this encounter: {money_text(self.total())} "
                f"({charges} charge{'s' if charges != 1 else ''}, {reversals} "
                f"reversal{'s' if reversals != 1 else ''})")
