"""Payment-plan schedules: the installments a plan asks for, worked out to the cent.

A plan is set up from chosen balances (issue 8): a total, a down payment, either the number of
installments or the installment amount, a frequency, the first due date and an optional annual
interest rate. `schedule(terms)` returns the rows the window previews and the CLI prints
(`clinic-clerk plans schedule`). Pure arithmetic: no database, no Qt.

**The down payment is not an installment.** It is collected when the plan is set up (and posted
as an ordinary patient payment), so the schedule covers only the amount financed,
``total - down_payment``; rows are numbered from 1. Invariants, for every schedule returned::

    sum(principal) == total - down_payment
    sum(amount) == (total - down_payment) + sum(interest)
    remaining falls with every row and is exactly 0.00 on the last; every amount > 0.00;
    due dates strictly increase; with apr 0 every interest is 0.00.

**Frequencies.** ``weekly`` (every 7 days), ``biweekly`` (every 14 days), ``monthly`` (the day of
the month of the first due date, every month) and ``day_of_month`` (a chosen day 1-31 of every
month, the first one on or after the first due date). A day the month does not have falls on its
last day (31 → Feb 28, or Feb 29 in a leap year), and each month is worked out from the chosen
day, not from the previous date, so Jan 31 → Feb 28 → Mar 31 (no drift to the 28th).

**Interest.** The periodic rate is the nominal annual rate divided by the periods in a year:
``r = apr / 100 / n_year`` with n_year 52 (weekly), 26 (biweekly) or 12 (monthly, day of month).
Each row's interest is ``remaining × r`` rounded half up to the cent; its principal is the amount
less that interest.

- *With a number of installments* n, the level amount starts from the standard
  annuity-immediate payment (the present value of an annuity, a_n = (1 - v^n) / r with
  v = 1 / (1 + r), solved for the payment; any interest-theory text, e.g. Kellison, *The Theory
  of Interest*, ch. 3, and the PMT function of spreadsheets)::

      A = L × r / (1 - (1 + r)^-n)        L = total - down_payment;  A = L / n at r = 0

  rounded half up to the cent ($1,000.00 at 12% over 12 months: 88.85). The last installment is
  the remaining principal plus its interest, so it absorbs the rounding (88.84 there).
  Rounding errors grow with (1 + r)^n, and on small installments half a cent on each adds up,
  so precisely the level amount is the one to the cent that leaves the last installment nearest
  to it (ties: the larger level amount, so the last is the smaller). For all but extreme terms
  that is A rounded; without interest it is L / n rounded half up, or a cent less when that
  would leave nothing for the last ($1,000.00 over 3: 333.33, 333.33, 333.34; over 6: five of
  166.67, then 166.65). Refused, saying to choose fewer installments or a lower
  rate: terms where no level amount works (the smallest that pays any principal already pays
  the balance before the last installment) and terms where the last installment would still
  differ from the others by more than both the level amount and a cent per installment (a
  high rate over hundreds of installments). Without interest only a total of fewer cents than
  installments is refused.
- *With an installment amount*, installments of that amount run until the balance is paid; the
  last one is the remaining principal plus its interest (no more than the others). An amount that
  does not cover the first period's interest is refused: it would never pay the balance.

Hand-written on purpose: it is a few lines of ``Decimal`` arithmetic. The common libraries
(numpy-financial's ``pmt``/``ipmt``, ``amortization``) compute in floats, which DESIGN.md §2.3
forbids for money; a Decimal one (``mortgagemath``, 0.x, mortgage-oriented) would be a new
dependency for those few lines, and the cent-by-cent rules above (the nearest level amount,
the refusals) are this app's own choices anyway.

Bad terms raise `PlanTermsError` (a `UserError` and `ValueError`) with a message for the clerk
and ``field`` naming the term to fix; amounts that are not ``Decimal`` raise ``TypeError`` (a
programming error, not the clerk's). Messages carry amounts and terms only, never patient data.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from app.errors import UserError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_INSTALLMENTS = 360
MAX_APR = Decimal(36)
# A sanity limit far above any clinic balance; it also keeps every figure well inside the
# precision the arithmetic below runs at.
MAX_TOTAL = Decimal("1000000.00")
FREQUENCIES = ("weekly", "biweekly", "monthly", "day_of_month")
PERIODS_PER_YEAR = {"weekly": 52, "biweekly": 26, "monthly": 12, "day_of_month": 12}
_FIRST_PERIOD = {"weekly": "week's", "biweekly": "two weeks'", "monthly": "month's",
                 "day_of_month": "month's"}
_STEP_DAYS = {"weekly": 7, "biweekly": 14}
# (1 + r)^n for n up to 360 needs far more digits than the cents it ends in; 50 is plenty.
_PRECISION = 50
_INFINITY = Decimal("Infinity")


class PlanTermsError(UserError, ValueError):
    """The terms cannot give a schedule. The message says what to change; `field` names the
    term (a `PlanTerms` field name) so a form can point at it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PlanTerms:
    """What the clerk chose. Exactly one of `count` and `installment` is given."""

    total: Decimal  # the chosen balances, to the cent
    down_payment: Decimal  # collected at set-up; not an installment
    count: int | None  # number of installments, 1-360
    installment: Decimal | None  # or the amount of each installment
    frequency: str  # one of FREQUENCIES
    first_due: date
    apr: Decimal = Decimal(0)  # nominal annual percent: 12 for 12%
    day_of_month: int | None = None  # 1-31, only with frequency "day_of_month"

    @property
    def financed(self) -> Decimal:
        """The amount the installments pay: the total less the down payment."""
        return self.total - self.down_payment


@dataclass(frozen=True)
class Installment:
    number: int  # from 1
    due_date: date
    amount: Decimal  # principal + interest
    principal: Decimal
    interest: Decimal
    remaining: Decimal  # principal still owed after this installment


def schedule(terms: PlanTerms) -> list[Installment]:
    """The installments for `terms`, numbered from 1 (the down payment is not one of them).

    Raises PlanTermsError for terms that cannot give a schedule (see the module docstring) and
    TypeError for amounts that are not Decimal.
    """
    _validate(terms)
    rate = periodic_rate(terms.apr, terms.frequency)
    # to the cent in form too (1000 → 1000.00), so every figure below prints the same way
    financed = terms.financed.quantize(CENT)
    if terms.count is not None:
        rows = _by_count(financed, terms.count, rate, terms.apr)
    else:
        assert terms.installment is not None  # _validate: exactly one of the two
        rows = _by_installment(financed, terms.installment.quantize(CENT), rate,
                               terms.frequency)
    dates = due_dates(terms.frequency, terms.first_due, len(rows), terms.day_of_month)
    return [Installment(n, d, amount, principal, interest, remaining)
            for n, (d, (amount, principal, interest, remaining))
            in enumerate(zip(dates, rows, strict=True), start=1)]


def schedule_totals(rows: Sequence[Installment]) -> tuple[Decimal, Decimal, Decimal]:
    """(amount, principal, interest) summed over the rows."""
    return (sum((r.amount for r in rows), ZERO), sum((r.principal for r in rows), ZERO),
            sum((r.interest for r in rows), ZERO))


def periodic_rate(apr: Decimal, frequency: str) -> Decimal:
    """The nominal annual percent as a rate per period: 12 monthly → 0.01."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return apr / 100 / PERIODS_PER_YEAR[frequency]


def level_payment(financed: Decimal, rate: Decimal, count: int) -> Decimal:
    """The annuity payment L·r / (1 - (1 + r)^-n), rounded half up to the cent (L/n at r 0)."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        exact = financed / count if rate == 0 else financed * rate / (1 - (1 + rate) ** -count)
        return exact.quantize(CENT, ROUND_HALF_UP)


def due_dates(frequency: str, first_due: date, count: int,
              day_of_month: int | None = None) -> list[date]:
    """`count` due dates from `first_due` (see the module docstring for each frequency)."""
    try:
        if frequency in _STEP_DAYS:
            step = timedelta(days=_STEP_DAYS[frequency])
            return [first_due + k * step for k in range(count)]
        if frequency == "monthly":
            return [_month_day(first_due, k, first_due.day) for k in range(count)]
        day = day_of_month or first_due.day
        start = _month_day(first_due, 0, day)
        # the first chosen day on or after the first due date
        offset = 0 if start >= first_due else 1
        return [_month_day(first_due, k + offset, day) for k in range(count)]
    except (OverflowError, ValueError):
        raise PlanTermsError("The schedule would run past the year 9999; choose an earlier "
                             "first due date.", "first_due") from None


def _month_day(start: date, months: int, day: int) -> date:
    """`day` of the month `months` after `start`'s, on the month's last day if it is shorter."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day, calendar.monthrange(year, month + 1)[1]))


# --- the arithmetic -------------------------------------------------------------------------

_Row = tuple[Decimal, Decimal, Decimal, Decimal]  # amount, principal, interest, remaining


def _interest(balance: Decimal, rate: Decimal) -> Decimal:
    """One period's interest on `balance`, rounded half up to the cent."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION  # the product keeps every digit that can decide the rounding
        return (balance * rate).quantize(CENT, ROUND_HALF_UP)


def _last(balance: Decimal, rate: Decimal) -> _Row:
    """The final row: what is left of the principal plus its interest."""
    interest = _interest(balance, rate)
    return (balance + interest, balance, interest, ZERO)


def _by_count(financed: Decimal, count: int, rate: Decimal, apr: Decimal) -> list[_Row]:
    if financed < count * CENT:
        raise PlanTermsError(f"${financed:,.2f} cannot be split into {count} installments of "
                             "at least one cent; choose fewer installments.", "count")
    if count == 1:
        return [_last(financed, rate)]
    rows = _nearest_level(financed, count, rate, _cents_of(level_payment(financed, rate, count)))
    if rows is None:  # even the smallest payment that pays any principal ends too early
        raise PlanTermsError(
            f"At {_percent(apr)}% a year, {count} installments cannot be worked out to the "
            "cent; choose fewer installments or a lower rate.", "count")
    payment, last = rows[0][0], rows[-1][0]
    # At extreme terms one cent more or less on each installment moves the last one by many
    # dollars (8,514.30 at 33.42% over 341 months: 237.14 each, then 1,734.67), so no level
    # amount to the cent keeps the plan level. Without interest the gap is under n cents.
    if abs(last - payment) > max(count * CENT, payment):
        raise PlanTermsError(
            f"At {_percent(apr)}% a year, {count} installments cannot stay level to the cent: "
            f"the last would be ${last:,.2f} against ${payment:,.2f} for the others; choose "
            "fewer installments or a lower rate.", "count")
    return rows


def _nearest_level(financed: Decimal, count: int, rate: Decimal,
                   start: int) -> list[_Row] | None:
    """The schedule whose level amount (to the cent) leaves the last installment nearest it.

    The gap (last installment - level amount) only falls as the level amount rises, so the
    answer is one of the two cents either side of where the gap turns from positive to not:
    found by doubling steps from `start` (the annuity payment, in cents) to bracket that point,
    then halving. In all but extreme terms `start` or its neighbour is the answer, after two
    runs. Ties go to the larger amount (the last installment the smaller one): without
    interest that is L / n rounded half up. None when no level amount gives a schedule.
    """
    runs: dict[int, list[_Row] | None] = {}

    def gap(cents: int) -> Decimal:
        # a level amount too small to pay any principal counts as +infinity (raise it), one
        # that pays the balance before the last installment as -infinity (lower it)
        if cents <= 0:
            return _INFINITY
        if cents not in runs:
            runs[cents] = _amortise(financed, count, rate, Decimal(cents).scaleb(-2))
        rows = runs[cents]
        if rows is None:
            return _INFINITY if _pays_no_principal(financed, rate, cents) else -_INFINITY
        return rows[-1][0] - rows[0][0]

    low, high = start, start  # widen until gap(low) > 0 >= gap(high)
    width = 1
    while gap(low) <= 0:
        low, width = low - width, width * 2
    width = 1
    while gap(high) > 0:
        high, width = high + width, width * 2
    while high - low > 1:
        middle = (low + high) // 2
        if gap(middle) > 0:
            low = middle
        else:
            high = middle
    below, above = gap(low), gap(high)
    if below.is_infinite() and above.is_infinite():
        return None
    return runs[high] if abs(above) <= abs(below) else runs[low]


def _pays_no_principal(financed: Decimal, rate: Decimal, cents: int) -> bool:
    return Decimal(cents).scaleb(-2) <= _interest(financed, rate)


def _amortise(financed: Decimal, count: int, rate: Decimal,
              payment: Decimal) -> list[_Row] | None:
    """Level installments of `payment`, the last one absorbing the rounding; None when a row
    would pay no principal or would pay off the balance before the last installment."""
    rows: list[_Row] = []
    balance = financed
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        for _ in range(count - 1):
            interest = (balance * rate).quantize(CENT, ROUND_HALF_UP)
            principal = payment - interest
            if principal <= 0 or principal >= balance:
                return None
            balance -= principal
            rows.append((payment, principal, interest, balance))
    rows.append(_last(balance, rate))
    return rows


def _cents_of(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def _by_installment(financed: Decimal, installment: Decimal, rate: Decimal,
                    frequency: str) -> list[_Row]:
    first_interest = _interest(financed, rate)
    if installment <= first_interest:
        verb = "only covers" if installment == first_interest else "does not cover"
        raise PlanTermsError(
            f"An installment of ${installment:,.2f} {verb} the first {_FIRST_PERIOD[frequency]} "
            f"interest of ${first_interest:,.2f}; raise the installment or lower the rate.",
            "installment")
    rows: list[_Row] = []
    balance = financed
    while True:
        interest = _interest(balance, rate)
        if balance + interest <= installment:
            rows.append((balance + interest, balance, interest, ZERO))
            return rows
        if len(rows) == MAX_INSTALLMENTS - 1:
            raise PlanTermsError(
                f"Installments of ${installment:,.2f} would take more than {MAX_INSTALLMENTS} "
                f"installments to pay ${financed:,.2f}; raise the installment.", "installment")
        # the interest only falls as the balance does, so every principal is at least the
        # first one, which the check above made positive: the loop ends
        balance -= installment - interest
        rows.append((installment, installment - interest, interest, balance))


def _percent(apr: Decimal) -> str:
    return f"{apr.normalize():f}"


# --- checking the terms ---------------------------------------------------------------------


def _decimal(value: object, what: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"{what} is a float; amounts are Decimal")
    if not isinstance(value, Decimal):
        raise TypeError(f"{what} must be a Decimal, not {type(value).__name__}")
    return value


def _amount(value: object, what: str, field: str) -> Decimal:
    amount = _decimal(value, what)
    if not amount.is_finite():
        raise PlanTermsError(f"{what} is not an amount; give dollars and cents.", field)
    if amount.scaleb(2) != amount.scaleb(2).to_integral_value():
        raise PlanTermsError(f"{what} has fractions of a cent; give dollars and cents.", field)
    return amount


def _validate(t: PlanTerms) -> None:
    total = _amount(t.total, "The total", "total")
    if not 0 < total <= MAX_TOTAL:
        raise PlanTermsError(f"The total must be more than $0.00 and at most "
                             f"${MAX_TOTAL:,.2f}.", "total")
    down = _amount(t.down_payment, "The down payment", "down_payment")
    if down < 0:
        raise PlanTermsError("The down payment cannot be negative; give 0.00 for none.",
                             "down_payment")
    if down >= total:
        raise PlanTermsError("The down payment must be less than the total; with nothing left "
                             "to pay in installments there is no plan.", "down_payment")
    _validate_when(t)
    _validate_how_many(t)
    apr = _decimal(t.apr, "The annual interest rate")
    if not apr.is_finite() or not 0 <= apr <= MAX_APR:
        raise PlanTermsError(f"The annual interest rate must be from 0% to {MAX_APR}%.", "apr")


def _validate_when(t: PlanTerms) -> None:
    if t.frequency not in FREQUENCIES:
        raise PlanTermsError("Choose a frequency: weekly, biweekly (every two weeks), monthly, "
                             "or a day of the month.", "frequency")
    if not isinstance(t.first_due, date) or isinstance(t.first_due, datetime):
        raise TypeError("first_due must be a date")
    if t.frequency == "day_of_month":
        if t.day_of_month is None:
            raise PlanTermsError("Choose the day of the month (1 to 31) the installments fall "
                                 "on.", "day_of_month")
        if isinstance(t.day_of_month, bool) or not isinstance(t.day_of_month, int):
            raise TypeError("day_of_month must be an int")
        if not 1 <= t.day_of_month <= 31:
            raise PlanTermsError("The day of the month must be from 1 to 31 (a day a month "
                                 "lacks falls on its last day).", "day_of_month")
    elif t.day_of_month is not None:
        raise PlanTermsError("A day of the month goes only with the day-of-month frequency.",
                             "day_of_month")


def _validate_how_many(t: PlanTerms) -> None:
    if (t.count is None) == (t.installment is None):
        raise PlanTermsError("Give either the number of installments or the installment "
                             "amount (one of the two, not both).", "count")
    if t.count is not None:
        if isinstance(t.count, bool) or not isinstance(t.count, int):
            raise TypeError("count must be an int")
        if not 1 <= t.count <= MAX_INSTALLMENTS:
            raise PlanTermsError(f"The number of installments must be from 1 to "
                                 f"{MAX_INSTALLMENTS}.", "count")
    else:
        installment = _amount(t.installment, "The installment amount", "installment")
        if installment <= 0:
            raise PlanTermsError("The installment amount must be more than $0.00.",
                                 "installment")
