"""The Payments tab's "Calls" page: every call logged to a payer, newest first (one payer's
or all, the open promises alone if asked), the chosen call in full, "Log a call…" for the
claims the clerk types, and "Promise kept" when the payer did what it said (which closes the
promise's work item)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.services.context import UserContext
from app.services.payer_calls import CallRow
from app.services.permissions import Permission
from app.ui.errors import show_error
from app.ui.tabs.claims import fill_table, read_only_table
from app.ui.tabs.payments.call_dialog import CallDialog
from app.ui.tabs.payments.follow_up_text import call_html, promise_text
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.form import heading, note

COLUMNS = ("When", "Payer", "Spoke to", "Reference", "Outcome", "Promised", "Claims", "By")
PROMISED_COLUMN = 5


def can_log_calls(ctx: UserContext) -> bool:
    return ctx.can(Permission.WORK_FOLLOW_UP)


def _open_promise(row: CallRow) -> bool:
    return row.promised_on is not None and not row.promise_kept


class CallsPage(QWidget):
    def __init__(self, sv: PaymentsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.dialog: Any = None
        self.rows: list[CallRow] = []
        self._loaded = False
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Payer calls"))
        layout.addWidget(note("Every call to a payer, newest first, with what was said and "
                              "what the payer promised. A promise not marked kept by its date "
                              "comes back in the Payer promises queue."))
        layout.addLayout(self._controls())
        self.table = read_only_table(COLUMNS, stretch=PROMISED_COLUMN)
        self.table.itemSelectionChanged.connect(self._show_detail)
        self.detail = QTextBrowser()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setSizes([480, 220])
        layout.addWidget(split, 1)

    def _controls(self) -> QHBoxLayout:
        self.payer_combo = QComboBox()
        self.payer_combo.setMinimumWidth(200)
        self.payer_combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.open_only = QCheckBox("Only promises not yet kept")
        self.open_only.toggled.connect(lambda _on: self._fill())
        self.log_button = QPushButton("Log a call…")
        self.log_button.clicked.connect(lambda: self.log_call())
        self.kept_button = QPushButton("Promise kept")
        self.kept_button.setToolTip("The payer did what it promised on the chosen call.")
        self.kept_button.clicked.connect(self.promise_kept)
        row = QHBoxLayout()
        row.addWidget(QLabel("Payer:"))
        row.addWidget(self.payer_combo)
        row.addSpacing(12)
        row.addWidget(self.open_only)
        row.addStretch(1)
        row.addWidget(self.log_button)
        row.addWidget(self.kept_button)
        return row

    # --- showing -----------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._loaded:
            self.reload()

    def _fill_payers(self) -> None:
        self.payer_combo.blockSignals(True)
        self.payer_combo.addItem("All payers", 0)
        for p in self._sv.directory.payers():
            self.payer_combo.addItem(p.name, p.id)
        self.payer_combo.blockSignals(False)

    def reload(self, keep: int | None = None) -> None:
        """The calls again (the call `keep` chosen when it is still listed)."""
        try:
            if not self._loaded:
                self._fill_payers()
            self.rows = self._sv.calls.calls(payer_id=self.payer_combo.currentData() or None)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._loaded = True
        self._fill(keep)

    def shown(self) -> list[CallRow]:
        return [r for r in self.rows if _open_promise(r)] if self.open_only.isChecked() \
            else self.rows

    def _fill(self, keep: int | None = None) -> None:
        rows = self.shown()
        fill_table(self.table, [(f"{r.called_at.astimezone():%m/%d/%Y %H:%M}", r.payer_name,
                                 r.representative, r.reference, r.outcome_label,
                                 promise_text(r), ", ".join(r.claim_numbers), r.called_by)
                                for r in rows])
        index = next((i for i, r in enumerate(rows) if r.id == keep), 0)
        self.table.clearSelection()  # the same row chosen again still shows the new call
        if rows:
            self.table.selectRow(index)
        self._show_detail()

    def current(self) -> CallRow | None:
        rows, i = self.shown(), self.table.currentRow()
        return rows[i] if 0 <= i < len(rows) else None

    def _show_detail(self) -> None:
        row = self.current()
        self.kept_button.setEnabled(row is not None and _open_promise(row))
        self.detail.setHtml(call_html(row) if row is not None else
                            "<i>No calls logged with these filters.</i>")

    # --- actions -----------------------------------------------------------------------------
    def log_call(self, claim_ids: tuple[int, ...] = ()) -> None:
        """The call dialog; the clerk types the claims (the payer follows the first)."""
        self.dialog = CallDialog(self._sv, claim_ids, self.payer_combo.currentData() or None,
                                 self)
        self.dialog.saved.connect(lambda row: self.reload(keep=row.id))
        self.dialog.open()

    def promise_kept(self) -> None:
        row = self.current()
        if row is None:
            return
        try:
            self._sv.calls.mark_promise_kept(row.id)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.reload(keep=row.id)
