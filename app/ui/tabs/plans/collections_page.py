"""The Payment plans tab's "Collections" page: the accounts past their final notice that could
go to a collection agency (still owing, not on hold, not on a plan in good standing), ticked
and exported as CSV for the agency, then marked as sent; and every account on hold or in
collections, with what it owes now, released from its hold or recalled from the agency. An
account can be put on hold from here too (found by name). The ledger is never touched: an
account in collections still owes its balance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.models.statements import IN_COLLECTIONS
from app.services.statements import CollectionsCandidate, CollectionsResult, HeldAccount
from app.ui.errors import show_error
from app.ui.tabs.claims import add_ticks, date_text, fill_table, read_only_table, ticked_rows
from app.ui.tabs.coding import OK_COLOUR, WARNING_COLOUR, money_text
from app.ui.tabs.payments.pdf_dialog import dollars
from app.ui.tabs.plans.dialogs import ReasonDialog
from app.ui.tabs.plans.services import PlansServices
from app.ui.tabs.plans.statement_dialogs import HoldDialog, SendDialog
from app.ui.widgets.files import export_text
from app.ui.widgets.form import heading, note

CANDIDATE_COLUMNS = ("Send", "Account", "Patient", "Balance", "Final notice", "Last payment")
TICK, C_ACCOUNT, C_PATIENT, C_BALANCE, C_NOTICE, C_PAID = range(len(CANDIDATE_COLUMNS))
HELD_COLUMNS = ("Account", "Patient", "Status", "Since", "Until / agency", "Amount sent",
                "Owes now", "Reason")
RECALL_TEXT = ("The agency stops working this account and it gets statements again. The "
               "balance is unchanged; post what the agency collected as payments.")


class CollectionsPage(QWidget):
    def __init__(self, sv: PlansServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.candidates: list[CollectionsCandidate] = []
        self.held: list[HeldAccount] = []
        self.dialog: Any = None
        self.exported: Path | None = None
        self._loaded = False
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Collections"))
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self._candidates_area())
        split.addWidget(self._held_area())
        split.setSizes([380, 320])
        layout.addWidget(split, 1)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setStyleSheet(f"color: {OK_COLOUR};")
        self.result.hide()
        layout.addWidget(self.result)
        QShortcut(QKeySequence("F5"), self, self.reload)

    def _candidates_area(self) -> QWidget:
        self.as_of = QDateEdit(QDate.currentDate())
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("MM/dd/yyyy")
        self.as_of.dateChanged.connect(lambda _d: self.reload_candidates())
        self.refresh_button = QPushButton("Refresh (F5)")
        self.refresh_button.clicked.connect(self.reload)
        self.table = read_only_table(CANDIDATE_COLUMNS, stretch=C_PATIENT)
        self.table.itemChanged.connect(lambda _i: self._ticked())
        self.count_label = QLabel()
        self.all_button = QPushButton("Tick all")
        self.all_button.clicked.connect(lambda: self.tick_all(True))
        self.none_button = QPushButton("Untick all")
        self.none_button.clicked.connect(lambda: self.tick_all(False))
        self.export_button = QPushButton("Export CSV for the agency…")
        self.export_button.clicked.connect(self.export_csv)
        self.send_button = QPushButton("Send to collections…")
        self.send_button.clicked.connect(self.send)
        self.after_note = note("")
        top = QHBoxLayout()
        top.addWidget(QLabel("As of:"))
        top.addWidget(self.as_of)
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        bottom = QHBoxLayout()
        for w in (self.all_button, self.none_button, self.count_label):
            bottom.addWidget(w)
        bottom.addStretch(1)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.send_button)
        box = QGroupBox("Accounts past their final notice")
        column = QVBoxLayout(box)
        column.addWidget(self.after_note)
        column.addLayout(top)
        column.addWidget(self.table, 1)
        column.addLayout(bottom)
        return box

    def _held_area(self) -> QWidget:
        self.held_table = read_only_table(HELD_COLUMNS, stretch=len(HELD_COLUMNS) - 1)
        self.held_table.itemSelectionChanged.connect(self._enable_held)
        self.hold_button = QPushButton("Put an account on hold…")
        self.hold_button.clicked.connect(self.hold)
        self.release_button = QPushButton("Release hold")
        self.release_button.clicked.connect(self.release)
        self.recall_button = QPushButton("Recall from collections…")
        self.recall_button.clicked.connect(self.recall)
        row = QHBoxLayout()
        row.addWidget(self.hold_button)
        row.addStretch(1)
        row.addWidget(self.release_button)
        row.addWidget(self.recall_button)
        box = QGroupBox("On hold or in collections (no statements)")
        column = QVBoxLayout(box)
        column.addWidget(self.held_table, 1)
        column.addLayout(row)
        self._enable_held()
        return box

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self.reload()

    # --- candidates --------------------------------------------------------------------------
    def reload(self) -> None:
        self.reload_candidates()
        self.reload_held()

    def reload_candidates(self) -> None:
        as_of: date = self.as_of.date().toPython()  # type: ignore[assignment]
        try:
            after = self._sv.statements.settings().collections_after_days
            rows = self._sv.statements.collections_candidates(as_of)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.after_note.setText(
            f"Accounts sent a final notice at least {after} day(s) before {date_text(as_of)} "
            "that still owe, are not on hold and not on a payment plan in good standing. Tick "
            "the accounts to hand over, export them for the agency, then mark them sent. The "
            "balance stays on the ledger: the patient still owes it.")
        self.candidates = rows
        self.table.blockSignals(True)
        fill_table(self.table, [("", r.account_number, r.name, money_text(r.balance),
                                 date_text(r.final_notice_on), date_text(r.last_payment_on))
                                for r in rows], right=(C_BALANCE,))
        self.table.blockSignals(False)
        self.tick_all(False)

    def tick_all(self, on: bool) -> None:
        add_ticks(self.table, TICK, on)
        self._ticked()

    def ticked(self) -> list[CollectionsCandidate]:
        return [self.candidates[i] for i in ticked_rows(self.table, TICK)]

    def _ticked(self) -> None:
        chosen = self.ticked()
        total = sum((r.balance for r in chosen), Decimal("0.00"))
        if not self.candidates:
            self.count_label.setText("No account is past its final notice.")
        else:
            self.count_label.setText(f"{len(chosen):,} of {len(self.candidates):,} ticked, "
                                     f"{dollars(total)}")
        for button in (self.export_button, self.send_button):
            button.setEnabled(bool(chosen))
        for button in (self.all_button, self.none_button):
            button.setEnabled(bool(self.candidates))

    def export_csv(self) -> None:
        chosen = self.ticked()
        if not chosen:
            return
        path = export_text(
            self, "Export for the collection agency",
            f"collections-{self.as_of.date().toString('yyyy-MM-dd')}.csv",
            lambda: self._sv.statements.export_collections([r.patient_id for r in chosen]))
        if path is None:
            return
        self.exported = path
        self.say(f"{len(chosen):,} account(s) exported to {path.name}. Keep the file safe: it "
                 "holds patients' names and addresses.")

    def send(self) -> None:
        chosen = self.ticked()
        if not chosen:
            return
        self.dialog = SendDialog(self._sv, [r.patient_id for r in chosen],
                                 sum((r.balance for r in chosen), Decimal("0.00")), self)
        self.dialog.saved.connect(self._sent)
        self.dialog.open()

    def _sent(self, result: CollectionsResult) -> None:
        self.reload()
        self.say(f"{result.accounts:,} account(s), {dollars(result.total)} in all, marked as "
                 f"sent to {result.agency}.")

    def say(self, text: str) -> None:
        self.result.setText(text)
        self.result.setVisible(bool(text))

    # --- holds and accounts in collections ---------------------------------------------------
    def reload_held(self) -> None:
        try:
            self.held = self._sv.statements.held_accounts()
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        fill_table(self.held_table, [self._held_cells(h) for h in self.held], right=(5, 6))
        for i, h in enumerate(self.held):
            if h.status.status == IN_COLLECTIONS and (item := self.held_table.item(i, 2)):
                item.setForeground(QColor(WARNING_COLOUR))
        self._enable_held()

    @staticmethod
    def _held_cells(h: HeldAccount) -> tuple[str, ...]:
        st = h.status
        if st.status == IN_COLLECTIONS:
            return (h.account_number, h.name, "In collections", date_text(st.started_on),
                    st.agency, money_text(st.amount) if st.amount is not None else "",
                    money_text(h.balance), "")
        return (h.account_number, h.name, "On hold", date_text(st.started_on),
                date_text(st.hold_until) if st.hold_until else "until released", "",
                money_text(h.balance), st.reason)

    def current_held(self) -> HeldAccount | None:
        i = self.held_table.currentRow()
        if not self.held_table.selectedItems():
            return None
        return self.held[i] if 0 <= i < len(self.held) else None

    def _enable_held(self) -> None:
        h = self.current_held()
        self.release_button.setEnabled(h is not None and h.status.status != IN_COLLECTIONS)
        self.recall_button.setEnabled(h is not None and h.status.status == IN_COLLECTIONS)

    def hold(self) -> None:
        self.dialog = HoldDialog(self._sv, None, self)
        self.dialog.saved.connect(lambda _r: self._changed("The account is on hold."))
        self.dialog.open()

    def release(self) -> None:
        if (h := self.current_held()) is None:
            return
        try:
            self._sv.statements.release(h.patient_id)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._changed(f"{h.name} ({h.account_number}) is no longer on hold.")

    def recall(self) -> None:
        if (h := self.current_held()) is None:
            return
        who = f"{h.name} ({h.account_number})"
        self.dialog = ReasonDialog(
            f"Recall {h.account_number} from collections", RECALL_TEXT, "Recall",
            lambda reason: self._sv.statements.recall_from_collections(h.patient_id, reason),
            self)
        self.dialog.reason.setPlaceholderText("Why (required), e.g. the patient paid the "
                                              "agency in full")
        self.dialog.saved.connect(lambda _r: self._changed(f"{who} recalled from "
                                                           "collections."))
        self.dialog.open()

    def _changed(self, text: str) -> None:
        self.reload()
        self.say(text)
