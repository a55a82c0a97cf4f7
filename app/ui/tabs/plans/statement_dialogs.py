"""The Statements and Collections pages' dialogs: put an account on hold (the account chosen
on the page, or one found by name), the statements of an earlier run with a re-print of any
one of them, and the hand-off of the ticked accounts to a collection agency. Each opens with
`open()` and emits `saved(result)` once the service has done it; a refusal is shown in red
inside the dialog, which stays open."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.statements import StatementFigures, StatementRunRow
from app.ui.dialogs.merge_dialog import PatientPicker
from app.ui.tabs.claims import date_text, fill_table, read_only_table
from app.ui.tabs.coding import money_text
from app.ui.tabs.payments.pdf_dialog import dollars
from app.ui.tabs.plans.dialogs import _Dialog
from app.ui.tabs.plans.new_page import show_pdf
from app.ui.tabs.plans.services import PlansServices
from app.ui.widgets.form import note

HOLD_TEXT = ("An account on hold gets no statements and is never handed to collections, "
             "until the hold ends (on the day chosen, or when it is released). Use it while a "
             "charge is disputed, an appeal is pending or a hardship is reviewed.")


def notice_text(level: int | None, final: bool, on_plan: bool = False) -> str:
    """The dunning message a statement carries, in a word for a table cell."""
    if on_plan:
        return "On a plan"
    if final:
        return "Final notice"
    return f"Reminder {level}" if level else ""


class HoldDialog(_Dialog):
    """Hold `patient` (id, "Last, First (account)") or, with None, one the clerk finds."""

    def __init__(self, sv: PlansServices, patient: tuple[int, str] | None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Put an account on hold", "Put on hold", parent)
        self._sv = sv
        self.patient_id = patient[0] if patient else None
        self.picker: PatientPicker | None = None
        self.reason = QLineEdit()
        self.reason.setMaxLength(200)
        self.reason.setPlaceholderText("Why (required), e.g. disputes the lab charge")
        self.reason.textChanged.connect(self._enable)
        self.has_end = QCheckBox("Until")
        self.until = QDateEdit(QDate.currentDate().addDays(30))
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("MM/dd/yyyy")
        self.until.setEnabled(False)
        self.has_end.toggled.connect(self.until.setEnabled)
        layout = QVBoxLayout(self)
        layout.addWidget(note(HOLD_TEXT))
        if patient is None:
            self.picker = PatientPicker("Account of", sv.patients)
            self.picker.changed.connect(self._enable)
            layout.addWidget(self.picker, 1)
        form = QFormLayout()
        if patient is not None:
            form.addRow("Account:", QLabel(patient[1]))
        form.addRow("Reason:", self.reason)
        end = QHBoxLayout()
        end.addWidget(self.has_end)
        end.addWidget(self.until)
        end.addWidget(QLabel("(otherwise until released)"))
        end.addStretch(1)
        form.addRow("Ends:", end)
        layout.addLayout(form)
        self.finish(layout, 520)
        self._enable()
        (self.picker.search if self.picker else self.reason).setFocus(
            Qt.FocusReason.OtherFocusReason)

    def chosen_id(self) -> int | None:
        if self.picker is not None:
            return self.picker.chosen.id if self.picker.chosen is not None else None
        return self.patient_id

    def _enable(self) -> None:
        self.ok_button.setEnabled(bool(self.reason.text().strip())
                                  and self.chosen_id() is not None)

    def submit(self) -> None:
        pid = self.chosen_id()
        if pid is None:
            return
        until = self.until.date().toPython() if self.has_end.isChecked() else None
        self.run(lambda: self._sv.statements.hold(pid, self.reason.text(), until))


class SendDialog(_Dialog):
    """Hand the ticked accounts to an agency: its name, and what is sent."""

    def __init__(self, sv: PlansServices, patient_ids: list[int], total: Decimal,
                 parent: QWidget | None = None) -> None:
        super().__init__("Send to collections", "Send to collections", parent)
        self._sv, self.patient_ids = sv, patient_ids
        self.agency = QLineEdit()
        self.agency.setMaxLength(60)
        self.agency.setPlaceholderText("The collection agency's name")
        self.agency.textChanged.connect(
            lambda text: self.ok_button.setEnabled(bool(text.strip())))
        count = len(patient_ids)
        layout = QVBoxLayout(self)
        layout.addWidget(note(
            f"{count} account{'s' if count != 1 else ''} owing {dollars(total)} in all will be "
            "marked as sent to the agency. The balances stay on the ledger (the patients still "
            "owe them); these accounts get no more statements until recalled. Export the CSV "
            "for the agency first if it has not been sent yet."))
        form = QFormLayout()
        form.addRow("Agency:", self.agency)
        layout.addLayout(form)
        self.finish(layout, 500)
        self.ok_button.setEnabled(False)
        self.agency.setFocus(Qt.FocusReason.OtherFocusReason)

    def submit(self) -> None:
        self.run(lambda: self._sv.statements.send_to_collections(self.patient_ids,
                                                                 self.agency.text()))


RUN_COLUMNS = ("Statement", "Account", "Previous balance", "Balance due", "Asked", "Notice")


class RunStatementsDialog(QDialog):
    """The statements of run `run` as they were printed; "Print again…" shows the chosen
    one (from what was recorded then). `rows` were read (and audited) by the caller."""

    def __init__(self, sv: PlansServices, run: StatementRunRow, rows: list[StatementFigures],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv, self.run, self.rows = sv, run, rows
        self.shown: list[StatementFigures] = list(rows)
        self.pdf: Any = None
        self.setWindowTitle(f"Statements of run {run.id} ({date_text(run.statement_date)})")
        self.find = QLineEdit()
        self.find.setPlaceholderText("Account number")
        self.find.textChanged.connect(self._filter)
        self.table = read_only_table(RUN_COLUMNS, stretch=len(RUN_COLUMNS) - 1)
        self.table.activated.connect(lambda _i: self.reprint())
        self.print_button = QPushButton("Print this statement again…")
        self.print_button.clicked.connect(self.reprint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(QLabel("Find:"))
        top.addWidget(self.find, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(note(
            f"{run.accounts:,} statement(s), {dollars(run.total)} in all, printed by "
            f"{run.created_by}. A statement printed again is the one sent then, whatever "
            "has been posted since."))
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self._filter("")
        self.resize(760, 520)

    def _filter(self, text: str) -> None:
        text = text.strip().upper()
        self.shown = [r for r in self.rows if text in r.account_number.upper()]
        fill_table(self.table, [(r.number, r.account_number, money_text(r.previous_balance),
                                 money_text(r.balance_due), money_text(r.amount_due),
                                 notice_text(r.dunning_level, r.final_notice,
                                             r.plan_installment is not None))
                                for r in self.shown], right=(2, 3, 4))
        if self.shown:
            self.table.selectRow(0)
        self.print_button.setEnabled(bool(self.shown))

    def reprint(self) -> None:
        i = self.table.currentRow()
        if not 0 <= i < len(self.shown):
            return
        r = self.shown[i]
        self.pdf = show_pdf(self, lambda: self._sv.statements.statement_pdf_for(
            self.run.id, r.patient_id), f"Statement {r.number}", f"statement-{r.number}.pdf")


def qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)
