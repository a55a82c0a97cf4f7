"""Follow-up settings of the billing office: when a paid amount is an underpayment, how
small a balance may be written off, how long an unpaid claim waits before it is chased, how
many days a denial or a missed promise is given, how long after its due date a payment plan
installment counts as missed. Stored as text in the `setting` table, each with its range;
admins change them (audited)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from app.errors import ValidationError
from app.models import Setting
from app.services.audit import append_event
from app.services.context import UserContext
from app.services.database import Database
from app.services.permissions import Permission
from app.services.settings import put

PREFIX = "billing_"


@dataclass(frozen=True)
class BillingSettings:
    underpayment_tolerance: Decimal = Decimal("1.00")  # per line, allowed below contract
    small_balance_limit: Decimal = Decimal("5.00")  # write-off of a patient balance up to
    unpaid_after_days: int = 30  # a submitted claim with no remittance after this is chased
    denial_due_days: int = 7  # days given to work a denial or an underpayment
    timely_filing_warning_days: int = 30  # queue claims whose filing limit is this close
    plan_grace_days: int = 10  # a plan installment unpaid this long after its due date is missed


_LIMITS: dict[str, tuple[object, object, str]] = {
    "underpayment_tolerance": (Decimal("0.00"), Decimal("1000.00"),
                               "Enter an amount from $0.00 to $1,000.00."),
    "small_balance_limit": (Decimal("0.00"), Decimal("100.00"),
                            "Enter an amount from $0.00 to $100.00."),
    "unpaid_after_days": (1, 365, "Enter 1 to 365 days."),
    "denial_due_days": (1, 90, "Enter 1 to 90 days."),
    "timely_filing_warning_days": (1, 180, "Enter 1 to 180 days."),
    "plan_grace_days": (0, 60, "Enter 0 to 60 days."),
}


def _parse(name: str, raw: object) -> Decimal | int:
    low, high, message = _LIMITS[name]
    try:
        value: Decimal | int = (Decimal(str(raw)).quantize(Decimal("0.01"))
                                if isinstance(low, Decimal) else int(str(raw)))
    except (InvalidOperation, ValueError):
        raise ValidationError({name: message}, "billing settings") from None
    if not low <= value <= high:  # type: ignore[operator]
        raise ValidationError({name: message}, "billing settings")
    return value


def read_billing(s: Session) -> BillingSettings:
    values = {row.key[len(PREFIX):]: row.value for row in s.query(Setting)
              if row.key.startswith(PREFIX)}
    d = BillingSettings()
    out: dict[str, object] = {}
    for f in fields(BillingSettings):
        raw = values.get(f.name)
        try:
            out[f.name] = getattr(d, f.name) if raw is None else _parse(f.name, raw)
        except ValidationError:
            out[f.name] = getattr(d, f.name)  # a hand-edited bad value falls back
    return BillingSettings(**out)  # type: ignore[arg-type]


def billing_settings(db: Database, ctx: UserContext) -> BillingSettings:
    ctx.require_signed_in()
    with db.session() as s:
        return read_billing(s)


def save_billing(db: Database, ctx: UserContext, b: BillingSettings) -> None:
    """Save the follow-up settings (admin), each checked against its range; audited."""
    user = ctx.require(Permission.MANAGE_SETTINGS)
    problems: dict[str, str] = {}
    for f in fields(BillingSettings):
        try:
            _parse(f.name, getattr(b, f.name))
        except ValidationError as e:
            problems.update(e.problems)
    if problems:
        raise ValidationError(problems, "billing settings")
    with db.session() as s:
        for f in fields(BillingSettings):
            put(s, PREFIX + f.name, str(getattr(b, f.name)))
        append_event(s, user, "settings.update", details={"fields": ["billing"]})
