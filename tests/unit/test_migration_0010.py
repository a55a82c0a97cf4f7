"""Revision 0010 (ledger day totals) on a clinic written at 0009: the entries already there
are summed into `ledger_day_total`, and entries posted afterwards are added by the trigger."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from app.services.aging import day_total_problems
from app.services.database import Database, make_engine
from tests.conftest import PASSPHRASE
from tests.unit._support import raw_sql, schema_drift
from tests.unit.test_migration_0002 import _upgrade_to

ENTRY = ("INSERT INTO ledger_entry (patient_id, kind, amount, entry_date, service_date, "
         "payer_id, memo, posted_at, posted_by, group_code, reason_code) VALUES "
         "(1, ?, ?, ?, ?, ?, '', '2026-11-01 00:00:00.000000', 'test', '', '')")


def test_0010_sums_existing_entries_and_the_trigger_adds_new_ones(tmp_path: Path) -> None:
    path = tmp_path / "old.ccdb"
    _upgrade_to(path, "0009", create=True)
    engine = make_engine(path, PASSPHRASE)
    try:
        raw = engine.raw_connection()  # the driver's own: no BEGIN before the PRAGMA
        try:
            cur = raw.cursor()
            # made-up payer and patient ids: no payer or patient rows needed for the sums
            cur.execute("PRAGMA foreign_keys = OFF")
            for kind, amount, entered, dos, payer in (
                    ("charge", 12000, "2026-10-01", "2026-10-01", 1),
                    ("insurance_payment", -8000, "2026-10-20", "2026-10-01", 1),
                    ("transfer", -2000, "2026-10-20", "2026-10-01", 1),
                    ("transfer", 2000, "2026-10-20", "2026-10-01", None),
                    ("patient_payment", -500, "2026-10-25", None, None),
                    ("charge", 3000, "2026-10-01", "2026-10-01", 1)):
                cur.execute(ENTRY, (kind, amount, entered, dos, payer))
            raw.commit()
            raw.cursor().execute("PRAGMA foreign_keys = ON")  # the pool gets it back
        finally:
            raw.close()
    finally:
        engine.dispose()
    _upgrade_to(path, "head")
    assert sorted(raw_sql(path, "SELECT payer_key, service_date, entry_date, amount "
                                "FROM ledger_day_total")[0]) == [
        (0, "2026-10-01", "2026-10-20", 2000), (0, "9999-12-31", "2026-10-25", -500),
        (1, "2026-10-01", "2026-10-01", 15000), (1, "2026-10-01", "2026-10-20", -10000)]
    db = Database.open(path, PASSPHRASE)
    try:
        assert schema_drift(db) == []
        raw = db.engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA foreign_keys = OFF")
            raw.cursor().execute(ENTRY, ("adjustment", -5000, "2026-10-20", "2026-10-01", 1))
            raw.commit()
            raw.cursor().execute("PRAGMA foreign_keys = ON")  # the pool gets it back
        finally:
            raw.close()
        with db.session() as s:
            assert day_total_problems(s) == []
            assert s.scalar(text("SELECT amount FROM ledger_day_total WHERE payer_key = 1 "
                                 "AND entry_date = '2026-10-20'")) == -15000
    finally:
        db.close()
