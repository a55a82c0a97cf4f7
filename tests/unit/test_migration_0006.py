"""Revision 0006 (coding indexes, modifier text) on a clinic written at 0005: both the 0004 that
first shipped and the later edit of it (which already made the indexes) end at the same schema,
the models' schema, with their rows kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from app.services.database import Database, make_engine
from tests.conftest import PASSPHRASE
from tests.unit._support import raw_sql, schema_drift
from tests.unit.test_migration_0002 import _upgrade_to

EDITED_0004 = ["CREATE INDEX ix_ncci_edit_column2 ON ncci_edit (column2)",
               "DROP INDEX ix_encounter_coding",
               "CREATE INDEX ix_encounter_coding ON encounter (coding_status, date, patient_id)"]


def _indexes(path: Path) -> dict[str, str]:
    rows = raw_sql(path, "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                         "AND name IN ('ix_ncci_edit_column2', 'ix_encounter_coding')")[0]
    return {name: " ".join(sql.split()) for name, sql in rows}


@pytest.mark.parametrize("edited", [False, True], ids=["as-shipped-0004", "edited-0004"])
def test_0006_brings_either_0004_to_the_models(tmp_path: Path, edited: bool) -> None:
    path = tmp_path / "old.ccdb"
    _upgrade_to(path, "0005", create=True)
    engine = make_engine(path, PASSPHRASE)
    try:
        with engine.begin() as conn:
            for sql in EDITED_0004 if edited else []:
                conn.execute(text(sql))
            conn.execute(text("INSERT INTO modifier (code, description, source, version) "
                              "VALUES ('LT', :d, 'hcpcs', 1)"), {"d": "Left side " * 40})
    finally:
        engine.dispose()
    before = _indexes(path)
    assert ("ix_ncci_edit_column2" in before) is edited
    _upgrade_to(path, "head")
    assert _indexes(path) == {
        "ix_ncci_edit_column2": "CREATE INDEX ix_ncci_edit_column2 ON ncci_edit (column2)",
        "ix_encounter_coding":
            "CREATE INDEX ix_encounter_coding ON encounter (coding_status, date, patient_id)"}
    assert raw_sql(path, "SELECT code, length(description) FROM modifier")[0] == [("LT", 400)]
    db = Database.open(path, PASSPHRASE)
    try:
        assert schema_drift(db) == []
    finally:
        db.close()
