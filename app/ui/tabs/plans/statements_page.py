"""The Payment plans tab's "Statements" page: a statement run previewed (who gets a statement,
how much, which notice; who is left out and why), accounts unticked to leave them out, then
printed as one PDF and recorded; earlier runs listed, printed again whole or one statement at
a time; accounts put on hold or released from the preview; the statement settings (minimum
balance, days, dunning messages) for an administrator. Preview and print run off the GUI
thread: a large clinic's run takes seconds to a minute."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.statements import REMAINDER, STANDARD
from app.services.permissions import Permission
from app.services.statements import (
    SKIP_HOLD,
    StatementPreview,
    StatementRunResult,
    StatementRunRow,
)
from app.ui.background import run_in_background
from app.ui.errors import show_error
from app.ui.tabs.claims import add_ticks, date_text, fill_table, read_only_table, ticked_rows
from app.ui.tabs.coding import OK_COLOUR, money_text
from app.ui.tabs.payments.pdf_dialog import PdfDialog, dollars
from app.ui.tabs.plans.new_page import show_pdf
from app.ui.tabs.plans.services import PlansServices
from app.ui.tabs.plans.statement_dialogs import HoldDialog, RunStatementsDialog, notice_text
from app.ui.widgets.form import heading, note

KINDS = (("Standard: the whole balance", STANDARD),
         ("Remainder: only what insurance has finished with", REMAINDER))
KIND_WORDS = {STANDARD: "Standard", REMAINDER: "Remainder"}
SEND_COLUMNS = ("Send", "Account", "Patient", "Balance due", "Asked now", "Notice")
SEND, S_ACCOUNT, S_PATIENT, S_BALANCE, S_ASKED, S_NOTICE = range(len(SEND_COLUMNS))
LEFT_COLUMNS = ("Account", "Patient", "Balance", "Why left out", "Last statement")
RUNS_COLUMNS = ("Run", "Statement date", "Kind", "Statements", "Left out", "Total", "By",
                "Printed")


class StatementsPage(QWidget):
    def __init__(self, sv: PlansServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.preview: StatementPreview | None = None
        self.runs: list[StatementRunRow] = []
        self.dialog: Any = None
        self.busy = False
        self._loaded = False
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Patient statements"))
        layout.addWidget(note(
            "Preview a run to see who gets a statement, how much it asks for and which "
            "notice it carries, and who is left out and why. Untick an account to leave it "
            "out of this run. Printing records the run: every statement can be printed again "
            "exactly as it was sent."))
        layout.addLayout(self._controls())
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self._preview_area())
        split.addWidget(self._runs_area())
        split.setSizes([460, 240])
        layout.addWidget(split, 1)
        QShortcut(QKeySequence("F5"), self, self.reload_runs)

    # --- construction ------------------------------------------------------------------------
    def _controls(self) -> QHBoxLayout:
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("MM/dd/yyyy")
        self.date_edit.dateChanged.connect(lambda _d: self._stale())
        self.kind = QComboBox()
        for label, code in KINDS:
            self.kind.addItem(label, code)
        self.kind.currentIndexChanged.connect(lambda _i: self._stale())
        self.preview_button = QPushButton("Preview")
        self.preview_button.clicked.connect(self.run_preview)
        self.print_button = QPushButton("Print statements…")
        self.print_button.clicked.connect(self.print_run)
        self.print_button.setEnabled(False)
        self.settings_button = QPushButton("Settings…")
        self.settings_button.setToolTip("Minimum balance, days between statements, due "
                                        "date, dunning messages (administrators)")
        self.settings_button.clicked.connect(self.edit_settings)
        self.settings_button.setVisible(self._sv.ctx.can(Permission.MANAGE_SETTINGS))
        row = QHBoxLayout()
        for w in (QLabel("Statement date:"), self.date_edit, QLabel("Kind:"), self.kind,
                  self.preview_button, self.print_button):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.settings_button)
        return row

    def _preview_area(self) -> QWidget:
        self.send_table = read_only_table(SEND_COLUMNS, stretch=S_PATIENT)
        self.send_table.itemChanged.connect(self._ticked)
        self.send_label = QLabel("Preview the run to see who gets a statement.")
        self.left_table = read_only_table(LEFT_COLUMNS, stretch=1)
        self.left_label = QLabel()
        self.hold_button = QPushButton("Put on hold…")
        self.hold_button.clicked.connect(self.hold)
        self.release_button = QPushButton("Release hold")
        self.release_button.clicked.connect(self.release)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setStyleSheet(f"color: {OK_COLOUR};")
        self.result.hide()
        for table in (self.send_table, self.left_table):
            table.itemSelectionChanged.connect(lambda t=table: self._chose(t))
        send = QGroupBox("To be sent")
        column = QVBoxLayout(send)
        column.addWidget(self.send_label)
        column.addWidget(self.send_table, 1)
        left = QGroupBox("Left out")
        column = QVBoxLayout(left)
        column.addWidget(self.left_label)
        column.addWidget(self.left_table, 1)
        tables = QSplitter(Qt.Orientation.Horizontal)
        tables.addWidget(send)
        tables.addWidget(left)
        tables.setSizes([640, 520])
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("The account chosen:"))
        buttons.addWidget(self.hold_button)
        buttons.addWidget(self.release_button)
        buttons.addStretch(1)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(tables, 1)
        column.addLayout(buttons)
        column.addWidget(self.result)
        self._chose(None)
        return box

    def _runs_area(self) -> QWidget:
        self.runs_table = read_only_table(RUNS_COLUMNS, stretch=len(RUNS_COLUMNS) - 1)
        self.runs_table.activated.connect(lambda _i: self.open_run())
        self.runs_table.itemSelectionChanged.connect(self._enable_runs)
        self.reprint_button = QPushButton("Print run again…")
        self.reprint_button.clicked.connect(self.reprint_run)
        self.open_button = QPushButton("Statements of this run…")
        self.open_button.clicked.connect(self.open_run)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_button)
        row.addWidget(self.reprint_button)
        box = QGroupBox("Runs printed (newest first)")
        column = QVBoxLayout(box)
        column.addWidget(self.runs_table, 1)
        column.addLayout(row)
        self._enable_runs()
        return box

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self._read_kind()
            self.reload_runs()

    def _read_kind(self) -> None:
        try:
            kind = self._sv.statements.settings().default_kind
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.kind.setCurrentIndex(max(self.kind.findData(kind), 0))

    # --- the preview -------------------------------------------------------------------------
    def statement_date(self) -> date:
        return self.date_edit.date().toPython()  # type: ignore[return-value]

    def _stale(self) -> None:
        """A date or kind changed: what was previewed is not what would print."""
        if self.preview is not None:
            self.show_preview(None)
            self.send_label.setText("The date or kind changed: preview the run again.")

    def run_preview(self) -> None:
        if self.busy:
            return
        day, kind = self.statement_date(), self.kind.currentData()
        self._busy(True)
        run_in_background(lambda: self._sv.statements.preview(day, kind), self._previewed,
                          self._failed, parent=self, progress="Working out the statements…")

    def _busy(self, on: bool) -> None:
        self.busy = on
        self.preview_button.setEnabled(not on)
        self.print_button.setEnabled(not on and self.preview is not None
                                     and bool(self.ticked()))

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        show_error(self, exc)

    def _previewed(self, preview: StatementPreview) -> None:
        self.show_preview(preview)
        self._busy(False)

    def show_preview(self, preview: StatementPreview | None) -> None:
        self.preview = preview
        rows = preview.accounts if preview else ()
        skipped = preview.skipped if preview else ()
        self.send_table.blockSignals(True)
        fill_table(self.send_table, [("", r.account_number, r.name, money_text(r.balance_due),
                                      money_text(r.amount_due),
                                      notice_text(r.dunning_level, r.final_notice, r.on_plan))
                                     for r in rows], right=(S_BALANCE, S_ASKED))
        add_ticks(self.send_table, SEND, True)
        self.send_table.blockSignals(False)
        fill_table(self.left_table, [(x.account_number, x.name, money_text(x.balance),
                                      x.reason, date_text(x.last_statement)) for x in skipped],
                   right=(2,))
        self.left_label.setText(f"{len(skipped):,} account(s) that owe or are owed something "
                                "get no statement." if preview else "")
        self._ticked()
        self._chose(None)

    def ticked(self) -> list[int]:
        """The patient ids still ticked in the preview."""
        if self.preview is None:
            return []
        return [self.preview.accounts[i].patient_id for i in ticked_rows(self.send_table, SEND)]

    def _ticked(self, _item: Any = None) -> None:
        if self.preview is None:
            self.send_label.setText("Preview the run to see who gets a statement.")
        else:
            chosen = set(self.ticked())
            total = sum((r.balance_due for r in self.preview.accounts
                         if r.patient_id in chosen), Decimal("0.00"))
            out = len(self.preview.accounts) - len(chosen)
            self.send_label.setText(
                f"{len(chosen):,} statement(s), {dollars(total)} due in all"
                + (f"; {out:,} unticked (left out of this run)." if out else "."))
        self.print_button.setEnabled(not self.busy and bool(self.ticked()))

    # --- printing ----------------------------------------------------------------------------
    def print_run(self) -> None:
        if self.busy or self.preview is None:
            return
        ids, preview = self.ticked(), self.preview
        if not ids:
            return
        self._busy(True)
        run_in_background(
            lambda: self._sv.statements.run(preview.statement_date, preview.kind,
                                            patient_ids=ids),
            self._printed, self._failed, parent=self,
            progress=f"Printing {len(ids):,} statement(s)… (the run is saved even if you stop "
                     "waiting)")

    def _printed(self, result: StatementRunResult) -> None:
        self.show_preview(None)
        self._busy(False)
        self.say(f"Run {result.run_id}: {result.accounts:,} statement(s) dated "
                 f"{date_text(result.statement_date)}, due {date_text(result.due_date)}, "
                 f"{dollars(result.total)} in all. Print them from the window that opened, or "
                 "later from the runs below.")
        self.reload_runs(result.run_id)
        self.dialog = PdfDialog(f"Statements of {date_text(result.statement_date)}",
                                result.pdf, f"statements-{result.statement_date}.pdf", self)
        self.dialog.open()

    def say(self, text: str) -> None:
        self.result.setText(text)
        self.result.setVisible(bool(text))

    # --- holds -------------------------------------------------------------------------------
    def _chose(self, table: QTableWidget | None) -> None:
        """The account chosen in one table (the other's choice is cleared)."""
        other = {id(self.send_table): self.left_table, id(self.left_table): self.send_table}
        if table is not None and table.currentRow() >= 0 and table.selectedItems():
            peer = other[id(table)]
            peer.blockSignals(True)
            peer.clearSelection()
            peer.setCurrentCell(-1, -1)
            peer.blockSignals(False)
        chosen = self.chosen()
        held = chosen is not None and chosen[2] == SKIP_HOLD
        self.hold_button.setEnabled(chosen is not None and not held)
        self.release_button.setEnabled(held)

    def chosen(self) -> tuple[int, str, str] | None:
        """(patient id, "Name (account)", why left out or "") of the account chosen."""
        if self.preview is None:
            return None
        i = self.send_table.currentRow()
        if self.send_table.selectedItems() and 0 <= i < len(self.preview.accounts):
            r = self.preview.accounts[i]
            return r.patient_id, f"{r.name} ({r.account_number})", ""
        i = self.left_table.currentRow()
        if self.left_table.selectedItems() and 0 <= i < len(self.preview.skipped):
            x = self.preview.skipped[i]
            return x.patient_id, f"{x.name} ({x.account_number})", x.reason
        return None

    def hold(self) -> None:
        if (chosen := self.chosen()) is None:
            return
        self.dialog = HoldDialog(self._sv, chosen[:2], self)
        self.dialog.saved.connect(
            lambda _r: self._changed(f"{chosen[1]} is on hold: preview the run again."))
        self.dialog.open()

    def release(self) -> None:
        if (chosen := self.chosen()) is None:
            return
        try:
            self._sv.statements.release(chosen[0])
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._changed(f"{chosen[1]} is no longer on hold: preview the run again.")

    def _changed(self, text: str) -> None:
        self.show_preview(None)
        self._busy(False)
        self.say(text)

    # --- runs --------------------------------------------------------------------------------
    def reload_runs(self, keep: int | None = None) -> None:
        try:
            self.runs = self._sv.statements.runs()
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        fill_table(self.runs_table, [
            (str(r.id), date_text(r.statement_date), KIND_WORDS.get(r.kind, r.kind),
             f"{r.accounts:,}", f"{r.skipped:,}", money_text(r.total), r.created_by,
             f"{r.created_at:%m/%d/%Y %H:%M}") for r in self.runs], right=(0, 3, 4, 5))
        index = next((i for i, r in enumerate(self.runs) if r.id == keep), 0)
        if self.runs:
            self.runs_table.selectRow(index)
        self._enable_runs()

    def current_run(self) -> StatementRunRow | None:
        i = self.runs_table.currentRow()
        return self.runs[i] if 0 <= i < len(self.runs) else None

    def _enable_runs(self) -> None:
        on = self.current_run() is not None
        self.reprint_button.setEnabled(on)
        self.open_button.setEnabled(on)

    def reprint_run(self) -> None:
        if (run := self.current_run()) is not None:
            self.dialog = show_pdf(self, lambda: self._sv.statements.run_pdf(run.id),
                                   f"Statements of {date_text(run.statement_date)} "
                                   f"(run {run.id})", f"statements-run-{run.id}.pdf")

    def open_run(self) -> None:
        if (run := self.current_run()) is None:
            return
        try:
            rows = self._sv.statements.run_statements(run.id)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.dialog = RunStatementsDialog(self._sv, run, rows, self)
        self.dialog.open()

    # --- settings ----------------------------------------------------------------------------
    def edit_settings(self) -> None:
        from app.ui.tabs.plans.statement_settings import StatementSettingsDialog

        try:
            dialog = StatementSettingsDialog(self._sv.statements, self)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.dialog = dialog
        dialog.saved.connect(lambda data: self._settings_saved(data))
        dialog.open()

    def _settings_saved(self, data: Any) -> None:
        self.kind.setCurrentIndex(max(self.kind.findData(data.default_kind), 0))
        self._changed("Statement settings saved: preview the run again to see their effect.")
