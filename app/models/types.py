"""Column types shared by all models: money in integer cents, UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Integer
from sqlalchemy.types import TypeDecorator


class Cents(TypeDecorator[Decimal]):
    """Stores a `Decimal` amount of dollars as integer cents.

    Floats are refused (money is never a float, DESIGN.md §2.3) and so are amounts with
    fractions of a cent, so rounding always happens on purpose, in a service, never here.
    """

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float) or not isinstance(value, (Decimal, int)):
            raise TypeError("money must be a Decimal or int, never a float")
        cents = Decimal(value) * 100
        if cents != cents.to_integral_value():
            raise ValueError("money has a fraction of a cent")
        return int(cents)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp; naive datetimes are refused."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class ScaledDecimal(TypeDecorator[Decimal]):
    """An exact decimal (a lab value, a weight) stored as an integer of 1/10,000ths, so SQL
    can compare it with a threshold and Python never sees a float."""

    impl = Integer
    cache_ok = True
    SCALE = Decimal(10_000)

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float) or not isinstance(value, (Decimal, int)):
            raise TypeError("values must be Decimal or int, never a float")
        scaled = Decimal(value) * self.SCALE
        if scaled != scaled.to_integral_value():
            raise ValueError("more than 4 decimal places")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        text = format(Decimal(int(value)) / self.SCALE, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return Decimal(text)
