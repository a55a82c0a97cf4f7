"""app.services.bulk.insert_rows: the rows it writes read back exactly as Core's would (money
in cents, dates, timestamps, defaults filled in), and the types' checks still refuse bad
values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

import pytest
from sqlalchemy import Table, select

from app.models import LedgerEntry
from app.models.types import utcnow
from app.services import Services
from app.services.bulk import insert_rows
from tests.unit.claim_fixtures import patient

SKIP = {"id", "posted_at"}


def _row(pid: int, n: int, **kw: Any) -> dict[str, Any]:
    return dict(dict(id=n, patient_id=pid, kind="charge", amount=Decimal("123.45"),
                     entry_date=date(2026, 11, 2), service_date=date(2026, 10, 30),
                     encounter_id=None, reverses_id=None, posted_by="bulk"), **kw)


def test_rows_read_back_as_cores_do_with_defaults_filled(services: Services) -> None:
    pid = patient(services, 1)
    before = utcnow()
    with services.db.session() as s:
        insert_rows(s, LedgerEntry, [_row(pid, 1), _row(pid, 2, amount=Decimal("-0.05"),
                                                          service_date=None)])
        s.execute(cast(Table, LedgerEntry.__table__).insert(), [
            _row(pid, 3), _row(pid, 4, amount=Decimal("-0.05"), service_date=None)])
    with services.db.session() as s:
        rows = {e.id: e for e in s.scalars(select(LedgerEntry))}
    cols = [c.key for c in cast(Table, LedgerEntry.__table__).columns if c.key not in SKIP]
    for ours, core in ((1, 3), (2, 4)):
        assert {k: getattr(rows[ours], k) for k in cols} == {
            k: getattr(rows[core], k) for k in cols}
    assert rows[1].amount == Decimal("123.45") and rows[2].amount == Decimal("-0.05")
    assert (rows[1].memo, rows[1].group_code, rows[2].service_date) == ("", "", None)
    assert rows[1].posted_at >= before.replace(microsecond=0)
    assert rows[1].posted_at == rows[2].posted_at  # one batch, one time


def test_bad_values_are_refused_and_nothing_is_written(services: Services) -> None:
    pid = patient(services, 1)
    with pytest.raises(TypeError, match="never a float"), services.db.session() as s:
        insert_rows(s, LedgerEntry, [_row(pid, 1), _row(pid, 2, amount=1.5)])
    # a float equal to an amount already bound is still refused (it is not taken as that one)
    with pytest.raises(TypeError, match="never a float"), services.db.session() as s:
        insert_rows(s, LedgerEntry, [_row(pid, 1, amount=Decimal("2")),
                                     _row(pid, 2, amount=2.0)])
    with pytest.raises(ValueError, match="fraction of a cent"), services.db.session() as s:
        insert_rows(s, LedgerEntry, [_row(pid, 1, amount=Decimal("1.005"))])
    with pytest.raises(ValueError, match="same columns"), services.db.session() as s:
        insert_rows(s, LedgerEntry, [_row(pid, 1), _row(pid, 2, memo="extra")])
    with services.db.session() as s:
        assert s.scalars(select(LedgerEntry)).all() == []
