"""The Payment plans tab's pages and dialogs (app.ui.tabs.plans_tab assembles them) and the
small helpers they share: how a plan's status, frequency and terms read for the clerk."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.formats.plan_schedule import PlanTerms
from app.services.plans import STATUS_FILTERS, STATUS_WORDS
from app.ui.tabs.coding import ERROR_COLOUR, OK_COLOUR, WARNING_COLOUR
from app.ui.tabs.payments.pdf_dialog import dollars

FREQUENCY_LABELS = {"weekly": "Weekly", "biweekly": "Every two weeks", "monthly": "Monthly",
                    "day_of_month": "On a day of the month"}
# status word (as PlanRow / PlanDetail give it) → colour; others stay the table's own
STATUS_COLOURS = {"current": OK_COLOUR, "late": ERROR_COLOUR, "paused": WARNING_COLOUR}
# the stored statuses a plan can still be worked in (paid, renegotiated, cancelled)
OPEN = ("active", "paused")


def status_label(word: str) -> str:
    """'paid_off' or 'paid off' → 'Paid off'; 'late' → 'Late'."""
    return STATUS_WORDS.get(word, word).replace("_", " ").capitalize()


STATUS_CHOICES = tuple((status_label(f), f) for f in STATUS_FILTERS)


def frequency_words(frequency: str, day_of_month: int | None) -> str:
    """How often, in a sentence: 'monthly', 'every two weeks', 'on day 15 of each month'."""
    if frequency == "day_of_month":
        return f"on day {day_of_month} of each month"
    return FREQUENCY_LABELS.get(frequency, frequency).lower()


def terms_words(terms: PlanTerms, count: int, amount: Decimal, first_due: date,
                last_due: date) -> str:
    """'$212.00, $20.00 down; 6 installments of $32.00, monthly from 12/29/2026 to
    05/29/2027; no interest.' (`first_due` is the first installment's date: with a day of
    the month it can be later than the terms' first due date.)"""
    down = f", {dollars(terms.down_payment)} down" if terms.down_payment else ", no down payment"
    interest = (f"{terms.apr.normalize():f}% a year" if terms.apr else "no interest")
    each = "1 installment of" if count == 1 else f"{count} installments of"
    span = (f"due {last_due:%m/%d/%Y}" if count == 1
            else f"from {first_due:%m/%d/%Y} to {last_due:%m/%d/%Y}")
    return (f"{dollars(terms.total)}{down}; {each} {dollars(amount)}, "
            f"{frequency_words(terms.frequency, terms.day_of_month)} {span}; {interest}.")
