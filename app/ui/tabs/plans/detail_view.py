"""One plan in full under the Plans list: who, the terms in words, where it stands, its
installments (missed ones in red), the payments applied to them, its notes and its history
(the plan it replaces and the one that replaced it, as links)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.plans import InstallmentRow, PlanDetail, plan_number
from app.ui.tabs.claims import date_text, fill_table, read_only_table
from app.ui.tabs.coding import ERROR_COLOUR, money_text
from app.ui.tabs.payments.pdf_dialog import dollars
from app.ui.tabs.plans import OPEN, STATUS_COLOURS, status_label, terms_words

INSTALLMENT_COLUMNS = ("No.", "Due", "Amount", "Paid", "Left", "Paid on", "State")
PAYMENT_COLUMNS = ("Applied on", "Installment", "Amount", "Of it interest", "As", "Receipt",
                   "By")
STATE_COLUMN = 6
HOW_WORDS = {"due": "due", "next": "ahead (next)", "shorten": "ahead (shortens)",
             "undone": "taken back (payment voided)"}


def installment_state(i: InstallmentRow) -> str:
    if i.left <= 0:
        return "Paid"
    if i.missed:
        return "Missed"
    return "Part paid" if i.paid > 0 else ""


def plan_link(plan_id: int) -> str:
    return f'<a href="plan:{plan_id}">{plan_number(plan_id)}</a>'


def summary_html(d: PlanDetail) -> str:
    """The plan in a few lines: who and status; terms; standing; signature; history."""
    colour = STATUS_COLOURS.get(d.status_word, "")
    status = (f'<b style="color:{colour}">{status_label(d.status_word)}</b>' if colour
              else f"<b>{status_label(d.status_word)}</b>")
    who = html.escape(f"{d.patient_name} ({d.account_number})")
    responsible = html.escape(d.guarantor_name) if d.guarantor_name else "the patient"
    first, last = d.installments[0], d.installments[-1]
    lines = [f"<b>{d.number}</b> · {who} · {status}",
             html.escape(terms_words(d.terms, len(d.installments), first.amount,
                                     first.due_date, last.due_date))]
    lines.append(_standing(d))
    signed = (f"signed {date_text(d.signed_on)}" if d.signed_on
              else '<span style="color:#9a6700">agreement not signed yet</span>')
    lines.append(f"Responsible: {responsible}. Made {date_text(d.created_on)} by "
                 f"{html.escape(d.created_by)}; {signed}"
                 + (f"; closed {date_text(d.closed_on)}" if d.closed_on else "") + ".")
    history = []
    if d.replaces_id:
        history.append(f"Replaces {plan_link(d.replaces_id)}")
    if d.replaced_by_id:
        history.append(f"Replaced by {plan_link(d.replaced_by_id)}")
    if history:
        lines.append("History: " + "; ".join(history) + ".")
    return "<br>".join(lines)


def _standing(d: PlanDetail) -> str:
    """What is left, in the words the plan's status calls for."""
    left = f"{dollars(d.balance)} (of it principal {dollars(d.principal_left)})"
    if d.status == "paid_off":
        return "Paid in full."
    if d.status not in OPEN:  # cancelled or replaced: what it left unpaid, owed as usual
        return f"Unpaid on this plan when it closed: {left}."
    nxt = d.next_installment
    after = (f"; next: installment {nxt.number}, {dollars(nxt.left)} due "
             f"{date_text(nxt.due_date)}" if nxt is not None else "")
    return f"Left to pay {left}{after}."


class PlanDetailView(QWidget):
    openPlan = Signal(int)  # a plan named in the history was clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail: PlanDetail | None = None
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.summary.linkActivated.connect(self._link)
        self.installments = read_only_table(INSTALLMENT_COLUMNS)
        self.payments = read_only_table(PAYMENT_COLUMNS)
        self.notes = QPlainTextEdit()
        self.notes.setReadOnly(True)
        self.notes.setPlaceholderText("No notes.")
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(_titled("Payments applied", self.payments))
        right.addWidget(_titled("Notes", self.notes))
        right.setSizes([200, 90])
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(_titled("Installments", self.installments))
        split.addWidget(right)
        split.setSizes([520, 640])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        self.show_plan(None)

    def _link(self, href: str) -> None:
        if href.startswith("plan:"):
            self.openPlan.emit(int(href.removeprefix("plan:")))

    def show_plan(self, d: PlanDetail | None) -> None:
        self.detail = d
        if d is None:
            self.summary.setText("<i>Choose a plan above to see its schedule and payments.</i>")
            for table in (self.installments, self.payments):
                table.setRowCount(0)
            self.notes.clear()
            return
        self.summary.setText(summary_html(d))
        fill_table(self.installments, [
            (str(i.number), date_text(i.due_date), money_text(i.amount), money_text(i.paid),
             money_text(i.left), date_text(i.paid_on), installment_state(i))
            for i in d.installments], right=range(5))
        self._mark_missed(self.installments, d)
        fill_table(self.payments, [
            (date_text(a.applied_on), str(a.installment), money_text(a.amount),
             money_text(a.interest), HOW_WORDS.get(a.how, a.how), f"{a.patient_payment_id:06d}",
             a.applied_by) for a in d.payments], right=(1, 2, 3, 5))
        self.notes.setPlainText(d.note)

    @staticmethod
    def _mark_missed(table: QTableWidget, d: PlanDetail) -> None:
        red = QColor(ERROR_COLOUR)
        for row, i in enumerate(d.installments):
            if not i.missed:
                continue
            for col in range(table.columnCount()):
                item = table.item(row, col)
                if item is not None:
                    item.setForeground(red)
                    item.setToolTip("Missed: not paid in full by its due date and the grace "
                                    "days after it.")

    def state(self, row: int) -> str:
        item = self.installments.item(row, STATE_COLUMN)
        return item.text() if item is not None else ""


def _titled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 4, 0, 0)
    column.setSpacing(2)
    column.addWidget(QLabel(f"<b>{title}</b>"))
    column.addWidget(widget)
    return box
