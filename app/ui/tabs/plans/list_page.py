"""The Payment plans tab's "Plans" page: every plan with its status (late in red), next
installment, balance and last payment; filtered by status and patient and sorted by a click
on a column header, the service doing both (in SQL) a page at a time. The chosen plan is
shown in full below, with what can be done to it: print the agreement, record the signed
date, apply a payment, renegotiate, pause or resume, cancel. Each button is enabled only when
the plan's status allows it. Keyboard: Up/Down choose, Enter goes to the plan's detail,
F5 reads the list again."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.services.payments import PaymentResult
from app.services.plans import PlanDetail, PlanRow
from app.ui.errors import show_error
from app.ui.tabs.claims import date_text, fill_table, read_only_table
from app.ui.tabs.coding import OK_COLOUR, money_text
from app.ui.tabs.plans import OPEN, STATUS_CHOICES, STATUS_COLOURS, status_label
from app.ui.tabs.plans.detail_view import PlanDetailView
from app.ui.tabs.plans.dialogs import (
    ApplyPaymentDialog,
    PatientFilterDialog,
    ReasonDialog,
    RenegotiateDialog,
    SignedDialog,
    application_text,
)
from app.ui.tabs.plans.new_page import agreement_dialog, show_pdf
from app.ui.tabs.plans.services import PlansServices
from app.ui.widgets.form import heading, note

COLUMNS = ("Plan", "Patient", "Status", "Next due", "Next amount", "Balance", "Last payment")
PLAN, PATIENT, STATUS, NEXT_DUE, NEXT_AMOUNT, BALANCE, LAST_PAYMENT = range(len(COLUMNS))
# column → the service's sort; the next amount has none (its header does not sort)
SORT_OF = {PLAN: "number", PATIENT: "patient", STATUS: "status", NEXT_DUE: "next_due",
           BALANCE: "balance", LAST_PAYMENT: "last_payment"}
CLOSED_COLOUR = "#757575"
PAGE_SIZE = 500  # rows read at a time: thousands of plans stay quick to show
DETAIL_DELAY_MS = 150  # holding Down does not read (and audit) every plan passed
PAUSE_TEXT = ("While the plan is paused none of its installments counts as missed. Resuming "
              "keeps the schedule as agreed, so after a long pause renegotiate instead.")
CANCEL_TEXT = ("The plan ends before it is paid off: what is left is owed as any balance is "
               "(statements, reminders). Its installments and payments are kept.")


class PlansListPage(QWidget):
    def __init__(self, sv: PlansServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.rows: list[PlanRow] = []
        self.detail: PlanDetail | None = None
        self.dialog: Any = None
        self.patient: Any = None  # PatientRow filtered by
        self.sort, self.descending, self.offset = "next_due", False, 0
        self.more = False
        self.receipt: PaymentResult | None = None
        self._loaded = False
        self._timer = QTimer(self, singleShot=True, interval=DETAIL_DELAY_MS)
        self._timer.timeout.connect(self.load_detail)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Payment plans"))
        layout.addWidget(note("Every plan, the next installment first. Click a column title "
                              "to sort by it. Choose a plan to see it below; Enter moves "
                              "there, F5 reads the list again."))
        layout.addLayout(self._filters())
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self._list())
        split.addWidget(self._detail_area())
        split.setSizes([300, 420])
        layout.addWidget(split, 1)
        QShortcut(QKeySequence("F5"), self, self.reload)

    # --- construction ------------------------------------------------------------------------
    def _filters(self) -> QHBoxLayout:
        self.status_combo = QComboBox()
        self.status_combo.addItem("All", None)
        for label, code in STATUS_CHOICES:
            self.status_combo.addItem(label, code)
        self.status_combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.patient_label = QLabel("All patients")
        self.patient_button = QPushButton("Choose…")
        self.patient_button.clicked.connect(self.choose_patient)
        self.all_button = QPushButton("All patients")
        self.all_button.clicked.connect(lambda: self.filter_patient(None))
        self.all_button.setEnabled(False)  # until one patient is chosen
        self.refresh_button = QPushButton("Refresh (F5)")
        self.refresh_button.clicked.connect(self.reload)
        row = QHBoxLayout()
        widgets: tuple[QWidget, ...] = (QLabel("Status:"), self.status_combo, QLabel("Patient:"),
                                        self.patient_label, self.patient_button,
                                        self.all_button)
        for w in widgets:
            row.addWidget(w)
            if w is self.status_combo:
                row.addSpacing(16)
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        return row

    def _list(self) -> QWidget:
        self.table = read_only_table(COLUMNS, stretch=PATIENT)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(NEXT_DUE, Qt.SortOrder.AscendingOrder)
        header.sectionClicked.connect(self.sort_by)
        self.table.itemSelectionChanged.connect(self._row_changed)
        self.table.activated.connect(lambda _i: self.focus_detail())
        self.count_label = QLabel()
        self.prev_button = QPushButton("◀ Previous")
        self.prev_button.clicked.connect(lambda: self._page(-1))
        self.next_button = QPushButton("Next ▶")
        self.next_button.clicked.connect(lambda: self._page(1))
        row = QHBoxLayout()
        row.addWidget(self.count_label, 1)
        row.addWidget(self.prev_button)
        row.addWidget(self.next_button)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.table, 1)
        column.addLayout(row)
        return box

    def _detail_area(self) -> QWidget:
        self.view = PlanDetailView()
        self.view.openPlan.connect(self.show_plan)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for key, label, slot in (("print", "Print agreement…", self.print_agreement),
                                 ("signed", "Record signed…", self.record_signed),
                                 ("apply", "Apply payment…", self.apply_payment),
                                 ("renegotiate", "Renegotiate…", self.renegotiate),
                                 ("pause", "Pause…", self.pause_or_resume),
                                 ("cancel", "Cancel plan…", self.cancel_plan),
                                 ("receipt", "Print receipt…", self.print_receipt)):
            button = QPushButton(label)
            button.clicked.connect(slot)
            self.buttons[key] = button
            row.addWidget(button)
            if key == "cancel":
                row.addStretch(1)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setStyleSheet(f"color: {OK_COLOUR};")
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.hide()
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row)
        column.addWidget(self.result)
        column.addWidget(self.view, 1)
        self._enable()
        return box

    # --- the list ----------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._loaded:
            self.reload()

    def reload(self, keep: int | None = None) -> None:
        """Read the list again from its first page and choose plan `keep` (shown even when
        the filters leave it out), else the plan chosen if still listed, else the first."""
        self.offset = 0
        self._read(keep or (self.detail.id if self.detail else None), keep is not None)

    def _read(self, keep: int | None, force: bool = False) -> None:
        try:
            rows = self._sv.plans.plans(
                self.status_combo.currentData(), self.patient.id if self.patient else None,
                self.sort, self.descending, limit=PAGE_SIZE + 1, offset=self.offset)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._loaded = True
        self.more = len(rows) > PAGE_SIZE
        self.rows = rows[:PAGE_SIZE]
        fill_table(self.table, [self._cells(r) for r in self.rows],
                   right=(PLAN, NEXT_AMOUNT, BALANCE))
        self._colour()
        self._count()
        index = next((i for i, r in enumerate(self.rows) if r.plan_id == keep), None)
        if index is not None or (self.rows and not force):
            self.choose_row(index or 0)
            return
        self.table.setCurrentCell(-1, -1)  # the plan kept is not in this list: none chosen
        self.show_plan(keep if force else None)

    @staticmethod
    def _cells(r: PlanRow) -> tuple[str, ...]:
        return (r.number, f"{r.patient_name} ({r.mrn})", status_label(r.status_word),
                date_text(r.next_due), money_text(r.next_amount) if r.next_due else "",
                money_text(r.balance), date_text(r.last_payment))

    def _colour(self) -> None:
        """Late in bold red, current green, paused amber; a plan that is over (paid off,
        cancelled, replaced) greyed, row and all."""
        for i, r in enumerate(self.rows):
            if r.status not in OPEN:
                for col in range(len(COLUMNS)):
                    if (cell := self.table.item(i, col)) is not None:
                        cell.setForeground(QColor(CLOSED_COLOUR))
                continue
            item = self.table.item(i, STATUS)
            colour = STATUS_COLOURS.get(r.status_word)
            if item is not None and colour:
                item.setForeground(QColor(colour))
                if r.late:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)

    def _count(self) -> None:
        first = self.offset + 1 if self.rows else 0
        last = self.offset + len(self.rows)
        if self.offset or self.more:
            text = f"Plans {first:,}–{last:,}" + (" (more on the next page)" if self.more
                                                  else "")
        else:
            text = f"{len(self.rows):,} plan(s)"
        self.count_label.setText(text)
        self.prev_button.setVisible(bool(self.offset or self.more))
        self.next_button.setVisible(bool(self.offset or self.more))
        self.prev_button.setEnabled(self.offset > 0)
        self.next_button.setEnabled(self.more)

    def _page(self, step: int) -> None:
        self.offset = max(0, self.offset + step * PAGE_SIZE)
        self._read(None)

    def sort_by(self, column: int) -> None:
        """A click on a column title: sort by it, or the other way round on a second click."""
        sort = SORT_OF.get(column)
        header = self.table.horizontalHeader()
        if sort is None:  # not sortable: keep showing the order in force
            header.setSortIndicator(_column_of(self.sort), _order(self.descending))
            return
        self.descending = not self.descending if sort == self.sort else False
        self.sort = sort
        header.setSortIndicator(column, _order(self.descending))
        self.reload()

    def set_status(self, status: str | None) -> None:
        self.status_combo.setCurrentIndex(self.status_combo.findData(status))

    def choose_patient(self) -> None:
        self.dialog = PatientFilterDialog(self._sv, self)
        self.dialog.accepted.connect(lambda: self.filter_patient(self.dialog.chosen))
        self.dialog.open()

    def filter_patient(self, patient: Any) -> None:
        """Only this patient's plans (a PatientRow), or everyone's (None)."""
        self.patient = patient
        self.patient_label.setText(f"{patient.last_name}, {patient.first_name} ({patient.mrn})"
                                   if patient else "All patients")
        self.all_button.setEnabled(patient is not None)
        self.reload()

    # --- the chosen plan ---------------------------------------------------------------------
    def choose_row(self, i: int) -> None:
        index = self.table.model().index(i, 0)
        flags = QItemSelectionModel.SelectionFlag
        self.table.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
        self.load_detail()  # at once: the timer is for a clerk moving through the list

    def current(self) -> PlanRow | None:
        i = self.table.currentRow()
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def _row_changed(self) -> None:
        if self.current() is not None:
            self._timer.start()

    def load_detail(self) -> None:
        self._timer.stop()
        row = self.current()
        if row is None:
            self.show_plan(None)
        elif self.detail is None or self.detail.id != row.plan_id:
            self.show_plan(row.plan_id)

    def show_plan(self, plan_id: int | None) -> None:
        """Plan `plan_id` in full below the list (it need not be in the list)."""
        detail = None
        if plan_id is not None:
            try:
                detail = self._sv.plans.plan(plan_id)
            except Exception as exc:  # noqa: BLE001 - the one presenter shows it
                show_error(self, exc)
        self.detail = detail
        self.view.show_plan(detail)
        self._enable()

    def focus_detail(self) -> None:
        self.load_detail()
        self.view.installments.setFocus()

    def _enable(self) -> None:
        d = self.detail
        status = d.status if d else ""
        on = {"print": d is not None, "signed": status in (*OPEN, "paid_off"),
              "apply": status in OPEN, "renegotiate": status in OPEN,
              "pause": status in OPEN, "cancel": status in OPEN,
              "receipt": self.receipt is not None}
        for key, button in self.buttons.items():
            button.setEnabled(on[key])
        self.buttons["pause"].setText("Resume" if status == "paused" else "Pause…")

    # --- actions -----------------------------------------------------------------------------
    def _open(self, dialog: Any, done: Any = None) -> None:
        self.dialog = dialog
        dialog.saved.connect(done or self._changed)
        dialog.open()

    def _changed(self, result: Any = None, text: str = "") -> None:
        """After a change: the list again, the changed (or new) plan chosen."""
        keep = (result.id if isinstance(result, PlanDetail)
                else self.detail.id if self.detail else None)
        self.detail = None  # read again even when the same plan stays chosen
        self.reload(keep)
        self.result.setText(text)
        self.result.setVisible(bool(text))

    def print_agreement(self) -> None:
        if self.detail is not None:
            self.dialog = agreement_dialog(self._sv, self.detail.id, self.detail.number, self)

    def record_signed(self) -> None:
        if (d := self.detail) is not None:
            self._open(SignedDialog(self._sv, d, self),
                       lambda r: self._changed(r, f"Plan {d.number}: signed "
                                                  f"{date_text(r.signed_on)} recorded."))

    def apply_payment(self) -> None:
        if self.detail is None:
            return
        dialog = ApplyPaymentDialog(self._sv, self.detail, self)
        dialog.taken.connect(self._taken)
        self._open(dialog, lambda r: self._changed(None, application_text(r, dialog.payment)))

    def _taken(self, payment: PaymentResult) -> None:
        self.receipt = payment
        self._enable()

    def renegotiate(self) -> None:
        if (d := self.detail) is not None:
            self._open(RenegotiateDialog(self._sv, d, self),
                       lambda r: self._changed(r, f"Plan {r.number} replaces plan {d.number}, "
                                                  "which is kept in its history. Print the "
                                                  "new agreement for signing."))

    def pause_or_resume(self) -> None:
        d = self.detail
        if d is None:
            return
        if d.status == "paused":
            try:
                done = self._sv.plans.resume(d.id)
            except Exception as exc:  # noqa: BLE001 - the one presenter shows it
                show_error(self, exc)
                return
            self._changed(done, f"Plan {d.number} resumed on its schedule.")
            return
        self._open(ReasonDialog(f"Pause plan {d.number}", PAUSE_TEXT, "Pause plan",
                                lambda reason: self._sv.plans.pause(d.id, reason), self),
                   lambda r: self._changed(r, f"Plan {d.number} paused."))

    def cancel_plan(self) -> None:
        if (d := self.detail) is not None:
            self._open(ReasonDialog(f"Cancel plan {d.number}", CANCEL_TEXT, "Cancel the plan",
                                    lambda reason: self._sv.plans.cancel(d.id, reason), self),
                       lambda r: self._changed(r, f"Plan {d.number} cancelled."))

    def print_receipt(self) -> None:
        """The receipt of the last payment taken here."""
        if (r := self.receipt) is not None:
            self.dialog = show_pdf(self, lambda: self._sv.payments.receipt(r.payment_id),
                                   f"Receipt {r.receipt_number}",
                                   f"receipt-{r.receipt_number}.pdf")


def _order(descending: bool) -> Qt.SortOrder:
    return Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder


def _column_of(sort: str) -> int:
    return next(c for c, s in SORT_OF.items() if s == sort)
