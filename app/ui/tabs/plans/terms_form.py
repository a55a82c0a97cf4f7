"""The terms of a plan, shared by "New plan" and "Renegotiate…": total, down payment (and how
it is paid), the number of installments or their amount, how often, the first due date and
the annual rate, with the schedule previewed live beside them.

The preview is the service's (`PlanService.preview` / `preview_renegotiation`, given as
`previewer`): the form only reads what was typed into a `PlanTerms`, so every rule (limits,
rounding, what the patient owes) is checked in one place. While the terms give no schedule
the service's message is shown in red under the form, never in a popup while the clerk
types, and `valid` is False (the owner keeps Save disabled)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.formats.plan_schedule import FREQUENCIES, PlanTerms, PlanTermsError
from app.services.plans import PlanPreview
from app.ui.errors import show_error
from app.ui.tabs.claims import date_text, fill_table, read_only_table
from app.ui.tabs.coding import money_text, parse_decimal
from app.ui.tabs.payments.desk_dialogs import METHODS
from app.ui.tabs.payments.desk_payment_form import HINTS, reference_problem
from app.ui.tabs.payments.pdf_dialog import dollars
from app.ui.tabs.plans import FREQUENCY_LABELS
from app.ui.widgets.form import PROBLEM_STYLE, MoneyLineEdit, parse_money

PREVIEW_COLUMNS = ("No.", "Due", "Amount", "Principal", "Interest", "Remaining")
DELAY_MS = 250  # typing "120" previews once, not three times
ZERO = Decimal("0.00")
BAD_FIELD = "#fbdde1"  # background of the field the message is about
Previewer = Callable[[PlanTerms], PlanPreview]


class TermsForm(QWidget):
    """`previewer(terms)` gives the schedule or raises the reason there is none; None while
    the owner has nothing to preview yet (`waiting` says what to do first). `changed` is
    emitted after every preview, good or not."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.previewer: Previewer | None = None
        self.waiting = "Choose the patient and the visits first."
        self.preview: PlanPreview | None = None
        self._timer = QTimer(self, singleShot=True, interval=DELAY_MS)
        self._timer.timeout.connect(self.refresh_now)
        self._editors()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._form_column(), 0)
        layout.addSpacing(24)  # not setSpacing: the columns' own layouts would inherit it
        layout.addLayout(self._preview_column(), 1)
        self._frequency_changed()
        self._how_changed()
        self._down_changed()
        self._show(None, "", "")

    # --- construction ------------------------------------------------------------------------
    def _editors(self) -> None:
        self.total, self.down, self.amount = MoneyLineEdit(), MoneyLineEdit(), MoneyLineEdit()
        self.limit = QLabel()
        self.method = QComboBox()
        for code, label in METHODS.items():
            self.method.addItem(label, code)
        self.reference = QLineEdit()
        self.by_count = QRadioButton("Number of installments")
        self.by_amount = QRadioButton("Installment amount")
        self.by_count.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.by_count)
        group.addButton(self.by_amount)
        self.count = QSpinBox()
        self.count.setRange(0, 999)  # the schedule's own limit is the one the clerk reads
        self.count.setValue(6)
        self.frequency = QComboBox()
        for code in FREQUENCIES:
            self.frequency.addItem(FREQUENCY_LABELS[code], code)
        self.frequency.setCurrentIndex(self.frequency.findData("monthly"))
        self.day = QSpinBox()
        self.day.setRange(1, 31)
        self.day.setPrefix("day ")
        self.first_due = QDateEdit(QDate.currentDate().addMonths(1))
        self.day.setValue(self.first_due.date().day())
        self.first_due.setCalendarPopup(True)
        self.first_due.setDisplayFormat("MM/dd/yyyy")
        self.first_due.setMinimumDate(QDate.currentDate())
        self.apr = QLineEdit("0")
        self.apr.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(PROBLEM_STYLE)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for w, width in ((self.total, 110), (self.down, 110), (self.amount, 110),
                         (self.count, 70), (self.apr, 70), (self.method, 90),
                         (self.reference, 130), (self.day, 80), (self.first_due, 120)):
            w.setFixedWidth(width)
        self._connect()

    def _connect(self) -> None:
        for edit in (self.total, self.down, self.amount, self.apr, self.reference):
            edit.textChanged.connect(self.schedule_refresh)
        for spin in (self.count, self.day):
            spin.valueChanged.connect(self.schedule_refresh)
        self.first_due.dateChanged.connect(self.schedule_refresh)
        self.frequency.currentIndexChanged.connect(self._frequency_changed)
        self.method.currentIndexChanged.connect(self._method_changed)
        self.by_count.toggled.connect(self._how_changed)
        self.down.textChanged.connect(self._down_changed)

    def _form_column(self) -> QVBoxLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("Plan total:", _row(self.total, self.limit))
        form.addRow("Down payment:", _row(self.down, QLabel("paid today, not an installment")))
        self.paid_by = _row(self.method, self.reference)
        form.addRow("Down payment by:", self.paid_by)
        form.addRow(_row(self.by_count, self.count))
        form.addRow(_row(self.by_amount, self.amount))
        form.addRow("How often:", _row(self.frequency, self.day))
        form.addRow("First due:", _row(self.first_due))
        form.addRow("Interest:", _row(self.apr, QLabel("% a year (0 for none)")))
        column = QVBoxLayout()
        column.addLayout(form)
        column.addWidget(self.problem)
        column.addStretch(1)
        self.problem.setFixedWidth(430)
        return column

    def _preview_column(self) -> QVBoxLayout:
        self.table = read_only_table(PREVIEW_COLUMNS)
        self.table.setMinimumWidth(420)
        # columns share the width: the figures stay near each other, none far out at the right
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)  # with it the last column overflows by a few px
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.totals = QLabel()
        self.totals.setWordWrap(True)
        column = QVBoxLayout()
        heading = QLabel("<b>Schedule preview</b> (nothing is saved yet)")
        column.addWidget(heading)
        column.addWidget(self.table, 1)
        column.addWidget(self.totals)
        return column

    # --- reacting ----------------------------------------------------------------------------
    def _frequency_changed(self) -> None:
        self.day.setEnabled(self.frequency.currentData() == "day_of_month")
        self.schedule_refresh()

    def _how_changed(self) -> None:
        self.count.setEnabled(self.by_count.isChecked())
        self.amount.setEnabled(self.by_amount.isChecked())
        self.schedule_refresh()

    def _method_changed(self) -> None:
        method = str(self.method.currentData())
        self.reference.setEnabled(method != "cash" and self.method.isEnabled())
        if method == "cash":
            self.reference.clear()
        self.reference.setPlaceholderText(HINTS[method])
        self.reference.setMaxLength(4 if method == "card" else 12)
        self.schedule_refresh()

    def _down_changed(self) -> None:
        amount = self.down.money_value()
        self.paid_by.setEnabled(amount is not None and amount > 0)
        self._method_changed()

    def schedule_refresh(self) -> None:
        self.preview = None  # what is shown no longer matches the fields until it is redone
        self._timer.start()

    # --- the values --------------------------------------------------------------------------
    def set_previewer(self, previewer: Previewer | None, limit_text: str = "") -> None:
        """What to preview against (None: nothing yet), and what the total may be at most."""
        self.previewer = previewer
        self.limit.setText(limit_text)
        self.schedule_refresh()

    def set_total(self, amount: Decimal) -> None:
        self.total.set_money(amount)

    def set_terms(self, t: PlanTerms) -> None:
        """Fill the fields from `t` (a renegotiation starts from the old terms)."""
        self.total.set_money(t.total)
        self.down.set_money(t.down_payment if t.down_payment else None)
        self.by_count.setChecked(t.count is not None)
        self.by_amount.setChecked(t.count is None)
        self.count.setValue(t.count or 0)
        self.amount.set_money(t.installment)
        self.frequency.setCurrentIndex(self.frequency.findData(t.frequency))
        self.day.setValue(t.day_of_month or t.first_due.day)
        self.first_due.setDate(QDate(t.first_due.year, t.first_due.month, t.first_due.day))
        self.apr.setText(f"{t.apr.normalize():f}")

    def terms(self) -> PlanTerms:
        """What the fields say, as terms; PlanTermsError when a field cannot even be read."""
        frequency = str(self.frequency.currentData())
        installment = None
        if self.by_amount.isChecked():
            installment = _money(self.amount, "the installment amount", "installment")
        return PlanTerms(
            total=_money(self.total, "the plan total", "total"),
            down_payment=_money(self.down, "the down payment", "down_payment", ZERO),
            count=self.count.value() if self.by_count.isChecked() else None,
            installment=installment, frequency=frequency,
            first_due=_date(self.first_due), apr=self._apr(),
            day_of_month=self.day.value() if frequency == "day_of_month" else None)

    def _apr(self) -> Decimal:
        text = self.apr.text().strip().removesuffix("%")
        value = parse_decimal(text) if text else Decimal(0)
        if value is None:
            raise PlanTermsError("The annual interest rate is not a number; type it as 9.5 "
                                 "for 9.5%, or 0 for none.", "apr")
        return value

    def down_payment_by(self) -> tuple[str, str]:
        """(method, reference) for the down payment."""
        return str(self.method.currentData()), self.reference.text().strip()

    @property
    def valid(self) -> bool:
        return self.preview is not None

    def problem_text(self) -> str:
        return self.problem.text() if not self.problem.isHidden() else ""

    # --- the preview -------------------------------------------------------------------------
    def refresh_now(self) -> None:
        """Preview what the fields say now (the owner calls it before saving)."""
        self._timer.stop()
        self.preview = None
        try:
            terms = self.terms()
            if self.previewer is None:
                self._show(None, self.waiting, "", waiting=True)
                return
            preview = self.previewer(terms)
            self._check_reference(terms)
        except UserError as exc:
            self._show(None, str(exc), getattr(exc, "field", ""))
            return
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            self._show(None, "The schedule could not be worked out.", "")
            show_error(self, exc)
            return
        self.preview = preview
        self._show(preview, "", "")

    def _check_reference(self, terms: PlanTerms) -> None:
        if terms.down_payment > 0:
            method, reference = self.down_payment_by()
            if message := reference_problem(method, reference):
                raise PlanTermsError(f"Down payment: {message}", "reference")

    def _show(self, preview: PlanPreview | None, problem: str, field: str,
              waiting: bool = False) -> None:
        self.problem.setText(problem)
        self.problem.setStyleSheet("color: #555555;" if waiting else PROBLEM_STYLE)
        self.problem.setVisible(bool(problem))
        editors = {"total": self.total, "down_payment": self.down, "count": self.count,
                   "installment": self.amount, "frequency": self.frequency,
                   "day_of_month": self.day, "first_due": self.first_due, "apr": self.apr,
                   "reference": self.reference}
        for name, editor in editors.items():
            _mark(editor, name == field)
        self._fill(preview)
        self.changed.emit()

    def _fill(self, p: PlanPreview | None) -> None:
        rows = p.rows if p else ()
        fill_table(self.table, [(str(r.number), date_text(r.due_date), money_text(r.amount),
                                 money_text(r.principal), money_text(r.interest),
                                 money_text(r.remaining)) for r in rows],
                   right=(0, 2, 3, 4, 5))
        if p is None:
            self.totals.setText("")
            return
        last = p.rows[-1]
        each = (f"{len(p.rows)} installments of {dollars(p.installment_amount)}"
                if len(p.rows) > 1 else "1 installment")
        last_words = (f", the last {dollars(last.amount)}"
                      if len(p.rows) > 1 and last.amount != p.installment_amount else "")
        down = p.terms.down_payment
        self.totals.setText(
            (f"<b>Down payment</b> {dollars(down)} today · " if down else "")
            + f"<b>Financed</b> {dollars(p.financed)} · <b>Interest</b> {dollars(p.interest)} · "
            f"<b>Total of payments</b> {dollars(p.total_of_payments)}<br>{each}{last_words}; "
            f"the last due {date_text(p.last_due)}.")

    def cell(self, row: int, col: int) -> str:
        item = self.table.item(row, col)
        return item.text() if item is not None else ""


def _mark(editor: QWidget, bad: bool) -> None:
    """The field to fix gets a pale red background (a palette, not a style sheet: a style
    sheet would redraw spin boxes and date edits without their native arrows)."""
    palette = QPalette()  # empty: everything inherited again
    if bad:
        palette.setColor(QPalette.ColorRole.Base, QColor(BAD_FIELD))
    editor.setPalette(palette)


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        row.addWidget(w)
    row.addStretch(1)
    return box


def _money(edit: MoneyLineEdit, what: str, field: str,
           blank: Decimal | None = None) -> Decimal:
    try:
        value = parse_money(edit.text())
    except ValueError:
        raise PlanTermsError(f"Type {what} as 1234.50.", field) from None
    if value is None:
        if blank is not None:
            return blank
        raise PlanTermsError(f"Enter {what}.", field)
    return value


def _date(edit: QDateEdit) -> date:
    d = edit.date()
    return date(d.year(), d.month(), d.day())

