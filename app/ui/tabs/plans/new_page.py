"""The Payment plans tab's "New plan" page: find the patient, tick the visit balances the plan
is for (all of them at first), set the terms while the schedule is previewed beside them,
save, then print the agreement for the patient to sign. A down payment is taken at the desk
in the same step (cash, check, or card by its last 4 digits)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.formats.plan_schedule import PlanTerms
from app.services.payments import Applied, PatientBalance
from app.services.plans import PlanDetail, PlanPreview
from app.ui.dialogs.merge_dialog import PatientPicker
from app.ui.errors import show_error, table_cell
from app.ui.tabs.claims import date_text, fill_table, read_only_table
from app.ui.tabs.coding import OK_COLOUR, money_text
from app.ui.tabs.payments.desk_page import balance_text
from app.ui.tabs.payments.pdf_dialog import PdfDialog, dollars
from app.ui.tabs.plans import terms_words
from app.ui.tabs.plans.services import PlansServices
from app.ui.tabs.plans.terms_form import TermsForm
from app.ui.widgets.form import heading, note

COLUMNS = ("Include", "Date of service", "Code", "Patient owes")
INCLUDE, DOS, CODE, OWES = range(len(COLUMNS))
NOTE_LIMIT = 500
ZERO = Decimal("0.00")


def show_pdf(parent: QWidget, make: Callable[[], bytes], title: str,
             filename: str) -> PdfDialog | None:
    """A PDF from a service, shown to print or save (None when it could not be made)."""
    try:
        pdf = make()
    except Exception as exc:  # noqa: BLE001 - the one presenter shows it
        show_error(parent, exc)
        return None
    dialog = PdfDialog(title, pdf, filename, parent)
    dialog.open()
    return dialog


def agreement_dialog(sv: PlansServices, plan_id: int, number: str,
                     parent: QWidget) -> PdfDialog | None:
    """The plan's agreement, to print for signing or save."""
    return show_pdf(parent, lambda: sv.plans.agreement_pdf(plan_id),
                    f"Plan agreement {number}", f"plan-agreement-{number}.pdf")


class NewPlanPage(QWidget):
    planSaved = Signal(int)  # the new plan's id

    def __init__(self, sv: PlansServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.balance: PatientBalance | None = None
        self.lines: list[Applied] = []
        self.saved: PlanDetail | None = None
        self.dialog: Any = None
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Set up a payment plan"))
        layout.addWidget(note("Find the patient (or the person responsible, through the "
                              "patient), keep ticked the visits the plan is for, then set the "
                              "terms. The schedule on the right is what will be saved."))
        top = QSplitter(Qt.Orientation.Horizontal)
        self.picker = PatientPicker("Patient", sv.patients)
        self.picker.changed.connect(self.load)
        top.addWidget(self.picker)
        top.addWidget(self._owes_box())
        top.setStretchFactor(1, 1)
        top.setSizes([360, 920])
        terms = QGroupBox("Terms")
        self.form = TermsForm()
        self.form.changed.connect(self._enable)
        QVBoxLayout(terms).addWidget(self.form)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(terms)
        split.setStretchFactor(1, 1)
        split.setSizes([230, 420])
        layout.addWidget(split, 1)
        layout.addLayout(self._save_row())
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setStyleSheet(f"color: {OK_COLOUR};")
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result)
        self.load()

    def _owes_box(self) -> QGroupBox:
        box = QGroupBox("Visit balances the plan is for")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = read_only_table(COLUMNS, stretch=CODE)
        self.table.itemChanged.connect(self._ticked)
        column = QVBoxLayout(box)
        column.addWidget(self.summary)
        column.addWidget(self.table, 1)
        return box

    def _save_row(self) -> QHBoxLayout:
        self.note = QLineEdit()
        self.note.setMaxLength(NOTE_LIMIT)
        self.note.setPlaceholderText("optional: what was agreed, who will pay")
        self.save_button = QPushButton("Save plan")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.print_button = QPushButton("Print agreement…")
        self.print_button.setToolTip("The agreement for the patient to sign, with the whole "
                                     "schedule.")
        self.print_button.clicked.connect(self.print_agreement)
        row = QHBoxLayout()
        row.addWidget(QLabel("Note:"))
        row.addWidget(self.note, 1)
        row.addWidget(self.save_button)
        row.addWidget(self.print_button)
        return row

    # --- the patient and the visits ----------------------------------------------------------
    def choose(self, patient: Any) -> None:
        """Choose a patient (a PatientRow) as if picked from the search."""
        self.picker.choose(patient)

    def load(self) -> None:
        """What the chosen patient owes, visit by visit, every visit ticked."""
        chosen = self.picker.chosen
        self.balance = None
        if chosen is not None:
            try:
                self.balance = self._sv.payments.patient_balance(chosen.id)
            except Exception as exc:  # noqa: BLE001 - the one presenter shows it
                show_error(self, exc)
        b = self.balance
        self.lines = [a for a in (b.lines if b else ()) if a.charge_line_id and a.amount > 0]
        self.summary.setText(balance_text(b) if b else "Find and choose a patient first.")
        self.table.blockSignals(True)
        fill_table(self.table, [("", date_text(a.dos), a.code, money_text(a.amount))
                                for a in self.lines], right=(OWES,))
        for i in range(len(self.lines)):
            tick = table_cell("")
            tick.setFlags(tick.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            tick.setCheckState(Qt.CheckState.Checked)
            self.table.setItem(i, INCLUDE, tick)
        self.table.blockSignals(False)
        self._ticked()

    def tick(self, row: int, on: bool) -> None:
        item = self.table.item(row, INCLUDE)
        assert item is not None
        item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def chosen_lines(self) -> list[Applied]:
        out = []
        for i, a in enumerate(self.lines):
            item = self.table.item(i, INCLUDE)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.append(a)
        return out

    def _ticked(self, item: QTableWidgetItem | None = None) -> None:
        """The total follows the ticked visits (the clerk may then lower it)."""
        if item is not None and item.column() != INCLUDE:
            return
        chosen = self.chosen_lines()
        owed = sum((a.amount for a in chosen), ZERO)
        self.form.set_total(owed)
        if self.balance is None:
            self.form.waiting = "Find and choose a patient first."
        elif not self.lines:
            self.form.waiting = "This patient owes nothing on any visit: there is no plan to make."
        elif not chosen:
            self.form.waiting = "Tick at least one visit balance for the plan."
        if self.balance is None or not chosen:
            self.form.set_previewer(None)
            return
        pid, ids = self.balance.patient_id, [a.charge_line_id for a in chosen]
        self.form.set_previewer(
            lambda terms: self._sv.plans.preview(pid, terms, [i for i in ids if i]),
            f"at most {dollars(owed)}, owed on the visits ticked")

    # --- saving ------------------------------------------------------------------------------
    def _enable(self) -> None:
        self.save_button.setEnabled(self.form.valid)
        self.print_button.setEnabled(self.saved is not None)

    def save(self) -> None:
        """Save the plan the preview shows (previewed again from the fields first)."""
        self.form.refresh_now()
        preview = self.form.preview
        if preview is None or self.balance is None:
            return
        method, reference = self.form.down_payment_by()
        ids = [a.charge_line_id for a in self.chosen_lines() if a.charge_line_id]
        try:
            d = self._sv.plans.create(self.balance.patient_id, preview.terms, ids,
                                      method=method, reference=reference,
                                      note=self.note.text().strip())
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._saved(d, preview)

    def _saved(self, d: PlanDetail, p: PlanPreview) -> None:
        self.saved = d
        self.result.setText(f"Plan {d.number} saved: {self._words(p.terms, p)} Print the "
                            "agreement now for the patient to sign.")
        self.note.clear()
        self.load()  # the patient now has a plan: the form says so until another is chosen
        self._enable()
        self.print_button.setFocus()
        self.planSaved.emit(d.id)

    @staticmethod
    def _words(t: PlanTerms, p: PlanPreview) -> str:
        return terms_words(t, len(p.rows), p.installment_amount, p.rows[0].due_date, p.last_due)

    def print_agreement(self) -> None:
        if self.saved is not None:
            self.dialog = agreement_dialog(self._sv, self.saved.id, self.saved.number, self)
