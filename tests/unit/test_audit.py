"""The audit trail: hash-chained, append-only, verifiable; tampering of any kind is found and
named; reading, filtering and exporting it needs the audit permission."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from app import cli
from app.errors import NotSignedIn, PermissionDenied
from app.models import AuditEvent
from app.services import Services
from app.services.audit import GENESIS, AuditFilter, append_event, event_hash
from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE, add_user
from tests.unit._support import raw_sql

NO_UPDATE = "DROP TRIGGER audit_event_no_update"
NO_DELETE = "DROP TRIGGER audit_event_no_delete"


@pytest.fixture
def trail(admin: Services) -> Services:
    """An admin session with a few more events on the trail (at least 7 in all)."""
    admin.settings.set_idle_lock_minutes(5)
    admin.settings.set_idle_lock_minutes(7)
    with admin.db.session() as s:
        append_event(s, admin.ctx.user, "chart.open", entity="patient", entity_id=7,
                     patient_id=7)
    assert admin.audit.count() >= 7
    return admin


def _all(sv: Services) -> list[AuditEvent]:
    with sv.db.session() as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


# --- the chain ----------------------------------------------------------------------------------
def test_events_are_chained_and_verify(trail: Services) -> None:
    events = _all(trail)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    prev = GENESIS
    for e in events:
        assert e.prev_hash == prev
        fields = {k: getattr(e, k) for k in ("seq", "at", "user_id", "username", "action",
                                              "entity", "entity_id", "patient_id", "details")}
        assert e.hash == event_hash(prev, fields)
        prev = e.hash
    res = trail.audit.verify()
    assert res.ok and res.first_bad_seq is None
    assert res.count == len(events) == trail.audit.count()


def test_sign_in_and_changes_carry_who(trail: Services) -> None:
    rows = trail.audit.page(AuditFilter(action="settings.update"), 0, 10)
    assert len(rows) == 2
    assert {r.username for r in rows} == {ADMIN}
    assert json.loads(rows[0].details) == {"fields": ["idle_lock_minutes"]}


def test_edited_details_are_found(trail: Services) -> None:
    raw_sql(trail.db.path, NO_UPDATE,
            "UPDATE audit_event SET details = '{\"fields\": []}' WHERE seq = 3")
    res = trail.audit.verify()
    assert not res.ok
    assert res.first_bad_seq == 3
    assert res.count == 2
    assert "changed" in res.reason


def test_edit_with_recomputed_hash_breaks_the_next_link(trail: Services) -> None:
    ev = _all(trail)[2]
    fields = {k: getattr(ev, k) for k in ("seq", "at", "user_id", "username", "action",
                                           "entity", "entity_id", "patient_id")}
    fields["details"] = "forged"
    forged = event_hash(ev.prev_hash, fields)
    raw_sql(trail.db.path, NO_UPDATE,
            f"UPDATE audit_event SET details = 'forged', hash = '{forged}' WHERE seq = 3")
    res = trail.audit.verify()
    assert not res.ok
    assert res.first_bad_seq == 4


def test_deleted_middle_event_is_found(trail: Services) -> None:
    raw_sql(trail.db.path, NO_DELETE, "DELETE FROM audit_event WHERE seq = 3")
    res = trail.audit.verify()
    assert not res.ok
    assert res.count == 2
    assert res.first_bad_seq in (3, 4)


def test_reordered_events_are_found(trail: Services) -> None:
    # Swap the stored positions of events 3 and 4.
    raw_sql(trail.db.path, NO_UPDATE,
            "UPDATE audit_event SET id = -id WHERE seq IN (3, 4)",
            "UPDATE audit_event SET id = 4 WHERE seq = 3",
            "UPDATE audit_event SET id = 3 WHERE seq = 4")
    res = trail.audit.verify()
    assert not res.ok
    assert res.count == 2
    assert res.first_bad_seq in (3, 4)


def test_swapped_content_is_found(trail: Services) -> None:
    cols = "at, user_id, username, action, entity, entity_id, patient_id, details"
    before = [e.action for e in _all(trail)[2:4]]
    assert before[0] != before[1]
    raw_sql(trail.db.path, NO_UPDATE,
            f"CREATE TEMP TABLE t AS SELECT seq, {cols} FROM audit_event WHERE seq IN (3, 4)",
            *[f"UPDATE audit_event SET {c} = (SELECT {c} FROM t WHERE t.seq = 7 - "
              "audit_event.seq) WHERE seq IN (3, 4)" for c in cols.split(", ")])
    assert [e.action for e in _all(trail)[2:4]] == before[::-1]
    res = trail.audit.verify()
    assert not res.ok
    assert res.first_bad_seq == 3


def test_deleted_last_event_is_found(trail: Services) -> None:
    last = len(_all(trail))
    raw_sql(trail.db.path, NO_DELETE, f"DELETE FROM audit_event WHERE seq = {last}")
    res = trail.audit.verify()
    assert not res.ok
    assert res.first_bad_seq == last
    assert res.count == last - 1


def test_triggers_refuse_update_and_delete(trail: Services) -> None:
    with pytest.raises(DBAPIError, match="append-only"), trail.db.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(details="x"))
    with pytest.raises(DBAPIError, match="append-only"), trail.db.session() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
    with pytest.raises(DBAPIError, match="append-only"):
        raw_sql(trail.db.path, "DELETE FROM audit_event")
    assert trail.audit.verify().ok


# --- reading, filtering, export ------------------------------------------------------------------
def test_export_writes_every_row_and_is_audited(trail: Services, tmp_path: Path) -> None:
    before = trail.audit.count()
    out = tmp_path / "audit.csv"
    n = trail.audit.export_csv(AuditFilter(), out)
    assert n == before
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["seq", "at_utc", "user", "action"]
    assert [int(r[0]) for r in rows[1:]] == list(range(1, before + 1))
    assert trail.audit.count() == before + 1
    newest = trail.audit.page(AuditFilter(), 0, 1)[0]
    assert newest.action == "audit.export" and newest.username == ADMIN
    assert json.loads(newest.details)["rows"] == before
    assert trail.audit.verify().ok


def test_filtered_export_writes_only_matches(trail: Services, tmp_path: Path) -> None:
    out = tmp_path / "signins.csv"
    n = trail.audit.export_csv(AuditFilter(action="sign_in"), out)
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))[1:]
    assert n == len(rows) == 1
    assert rows[0][3] == "sign_in"


def test_filters(trail: Services) -> None:
    total = trail.audit.count()
    by_admin = trail.audit.count(AuditFilter(username=ADMIN))
    by_system = trail.audit.count(AuditFilter(username="system"))
    assert by_admin > 0 and by_system > 0
    assert by_admin + by_system == total
    assert trail.audit.count(AuditFilter(username="nobody")) == 0
    assert {r.action for r in trail.audit.page(AuditFilter(action="settings"), 0, 50)} == {
        "settings.update"}
    assert trail.audit.count(AuditFilter(patient_id=7)) == 1
    assert trail.audit.page(AuditFilter(patient_id=7), 0, 5)[0].action == "chart.open"
    today = date.today()
    assert trail.audit.count(AuditFilter(date_from=today, date_to=today)) == total
    assert trail.audit.count(AuditFilter(date_to=today - timedelta(days=1))) == 0
    assert trail.audit.count(AuditFilter(date_from=today + timedelta(days=1))) == 0
    assert ADMIN in trail.audit.usernames()
    assert "sign_in" in trail.audit.actions()


def test_page_is_newest_first(trail: Services) -> None:
    total = trail.audit.count()
    first = trail.audit.page(AuditFilter(), 0, 3)
    second = trail.audit.page(AuditFilter(), 3, 3)
    assert [r.seq for r in first] == [total, total - 1, total - 2]
    assert [r.seq for r in second] == [total - 3, total - 4, total - 5]


def test_non_admin_may_not_read_the_trail(admin: Services, tmp_path: Path) -> None:
    pw = add_user(admin, "cody", "coder")
    admin.users.sign_in("cody", pw)
    out = tmp_path / "x.csv"
    calls = [lambda: admin.audit.count(), lambda: admin.audit.page(AuditFilter(), 0, 10),
             lambda: admin.audit.verify(),
             lambda: admin.audit.export_csv(AuditFilter(), out)]
    for call in calls:
        with pytest.raises(PermissionDenied, match="Coder"):
            call()
    assert not out.exists()


def test_nobody_signed_in_may_not_read_the_trail(services: Services) -> None:
    with pytest.raises(NotSignedIn):
        services.audit.count()


# --- the CLI --------------------------------------------------------------------------------------
def _verify_cli(path: Path) -> list[str]:
    return ["--db", str(path), "--user", ADMIN, "audit", "verify"]


def test_cli_verify_ok_then_broken(trail: Services, cli_env: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", PASSPHRASE)
    cli_env.setenv("CLINIC_CLERK_PASSWORD", ADMIN_PASSWORD)
    path = trail.db.path
    assert cli.main(_verify_cli(path)) == 0
    out, err = capsys.readouterr()
    count = trail.audit.count()
    assert f"intact: {count} events" in out
    assert err == ""

    raw_sql(path, NO_UPDATE, "UPDATE audit_event SET action = 'nothing' WHERE seq = 5")
    assert cli.main(_verify_cli(path)) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "event 5" in err
    assert "Traceback" not in err


def test_cli_export(trail: Services, cli_env: pytest.MonkeyPatch, tmp_path: Path,
                    capsys: pytest.CaptureFixture[str]) -> None:
    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", PASSPHRASE)
    cli_env.setenv("CLINIC_CLERK_PASSWORD", ADMIN_PASSWORD)
    out = tmp_path / "trail.csv"
    code = cli.main(["--db", str(trail.db.path), "--user", ADMIN, "audit", "export", str(out),
                     "--json"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    with out.open(newline="", encoding="utf-8") as fh:
        assert len(list(csv.reader(fh))) == rows + 1
