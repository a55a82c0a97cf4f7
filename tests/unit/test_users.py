"""Sign-in, lockout, roles and user administration."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.errors import PermissionDenied, UserError, ValidationError
from app.models import AuditEvent, User
from app.models.types import utcnow
from app.services import Services, users
from app.services.audit import AuditFilter, AuditRow
from app.services.permissions import Permission, Role, role_allows
from app.services.users import check_password_rules, check_username
from tests.conftest import ADMIN, ADMIN_PASSWORD, PRACTICE, add_user
from tests.unit._support import raw_sql

WRONG_PASSWORD = "Wr0ng-pa55word-QQ"


def _events(sv: Services, action: str) -> list[AuditRow]:
    """Audit rows for `action`, read without needing a signed-in admin."""
    with sv.db.session() as s:
        q = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        return [AuditRow(e.seq, e.at, e.username, e.action, e.entity, e.entity_id,
                         e.patient_id, e.details) for e in s.scalars(q)]


def _event_count(sv: Services) -> int:
    with sv.db.session() as s:
        return int(s.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def _user_id(sv: Services, username: str) -> int:
    with sv.db.session() as s:
        return s.scalars(select(User.id).where(User.username == username)).one()


def _all_text(path: Path) -> str:
    """Every value of every row of the user and audit tables, decrypted, as one string."""
    rows = raw_sql(path, "SELECT * FROM user_account", "SELECT * FROM audit_event",
                   "SELECT * FROM setting")
    return "\n".join(repr(r) for table in rows for r in table)


# --- signing in ---------------------------------------------------------------------------------
def test_sign_in_sets_the_user_and_is_audited(services: Services) -> None:
    me = services.users.sign_in(ADMIN, ADMIN_PASSWORD)
    assert (me.username, me.role) == (ADMIN, "admin")
    assert services.ctx.user == me
    (ev,) = _events(services, "sign_in")
    assert ev.username == ADMIN
    services.users.sign_out("test")
    assert services.ctx.user is None
    assert [e.username for e in _events(services, "sign_out")] == [ADMIN]


def test_sign_in_ignores_case_of_the_name(services: Services) -> None:
    assert services.users.sign_in(ADMIN.upper(), ADMIN_PASSWORD).username == ADMIN


def test_wrong_password_is_audited_without_the_password(services: Services) -> None:
    with pytest.raises(UserError) as err:
        services.users.sign_in(ADMIN, WRONG_PASSWORD)
    assert services.ctx.user is None
    assert WRONG_PASSWORD not in str(err.value)
    (ev,) = _events(services, "sign_in.failed")
    assert ev.username == ADMIN
    with pytest.raises(UserError) as unknown:
        services.users.sign_in("nosuchperson", WRONG_PASSWORD)
    # The message does not say which of the two was wrong.
    assert str(unknown.value) == str(err.value)
    assert len(_events(services, "sign_in.failed")) == 2
    everything = _all_text(services.db.path)
    assert WRONG_PASSWORD not in everything
    assert ADMIN_PASSWORD not in everything
    assert "nosuchperson" not in everything


def test_five_failures_lock_for_fifteen_minutes(services: Services,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(users.MAX_FAILURES - 1):
        with pytest.raises(UserError, match="not right"):
            services.users.sign_in(ADMIN, WRONG_PASSWORD)
    with pytest.raises(UserError, match="locked for 15 minutes"):
        services.users.sign_in(ADMIN, WRONG_PASSWORD)
    with pytest.raises(UserError, match="locked") as err:
        services.users.sign_in(ADMIN, ADMIN_PASSWORD)
    assert "Try again in 15 minutes" in str(err.value)
    assert services.ctx.user is None
    assert [e.details for e in _events(services, "sign_in.refused")] == ['{"reason": "locked"}']

    start = utcnow()
    monkeypatch.setattr(users, "utcnow", lambda: start + timedelta(minutes=14))
    with pytest.raises(UserError, match="locked"):
        services.users.sign_in(ADMIN, ADMIN_PASSWORD)
    monkeypatch.setattr(users, "utcnow", lambda: start + timedelta(minutes=16))
    assert services.users.sign_in(ADMIN, ADMIN_PASSWORD).username == ADMIN
    # A success clears the count: one more failure does not lock again.
    with pytest.raises(UserError, match="not right"):
        services.users.sign_in(ADMIN, WRONG_PASSWORD)
    with pytest.raises(UserError, match="not right"):
        services.users.sign_in(ADMIN, WRONG_PASSWORD)


def test_admin_unlocks_a_locked_user(admin: Services) -> None:
    pw = add_user(admin, "carla", "coder")
    for _ in range(users.MAX_FAILURES):
        with pytest.raises(UserError):
            admin.users.sign_in("carla", WRONG_PASSWORD)
    assert admin.ctx.user is not None and admin.ctx.user.username == ADMIN
    row = next(u for u in admin.users.list_users() if u.username == "carla")
    assert row.locked_until is not None
    with pytest.raises(UserError, match="locked"):
        admin.users.sign_in("carla", pw)
    admin.users.unlock(row.id)
    assert _events(admin, "user.unlocked")[0].username == ADMIN
    assert admin.users.sign_in("carla", pw).role == "coder"


def test_disabled_user_is_refused(admin: Services) -> None:
    pw = add_user(admin, "bea", "biller")
    bea = _user_id(admin, "bea")
    admin.users.set_active(bea, False)
    with pytest.raises(UserError, match="disabled"):
        admin.users.sign_in("bea", pw)
    assert admin.ctx.user is not None and admin.ctx.user.username == ADMIN
    assert _events(admin, "sign_in.refused")[-1].details == '{"reason": "disabled"}'
    admin.users.set_active(bea, True)
    assert admin.users.sign_in("bea", pw).username == "bea"


# --- roles ----------------------------------------------------------------------------------------
def test_coder_is_refused_admin_work_and_nothing_changes(admin: Services) -> None:
    pw = add_user(admin, "cody", "coder")
    minutes_before = admin.settings.get().idle_lock_minutes
    admin.users.sign_in("cody", pw)
    events_before = _event_count(admin)
    refused = [
        lambda: admin.users.list_users(),
        lambda: admin.directory.save_practice(replace(PRACTICE, name="Hijacked Clinic",
                                                      version=1)),
        lambda: admin.settings.set_idle_lock_minutes(minutes_before + 5),
        lambda: admin.users.create_user("mallory", "Mallory", "admin", "a long enough pw"),
        lambda: admin.users.unlock(1),
        lambda: admin.users.set_role(_user_id(admin, "cody"), "admin"),
    ]
    for call in refused:
        with pytest.raises(PermissionDenied, match="Coder"):
            call()
    assert _event_count(admin) == events_before
    practice = admin.directory.practice()  # reading the directory is allowed
    assert practice is not None and practice.name == PRACTICE.name
    assert admin.settings.get().idle_lock_minutes == minutes_before
    with admin.db.session() as s:
        assert s.scalars(select(User.role).where(User.username == "cody")).one() == "coder"
        assert s.scalars(select(User).where(User.username == "mallory")).first() is None


def test_permission_table() -> None:
    assert all(role_allows(Role.ADMIN, p) for p in Permission)
    for role in (Role.FRONT_DESK, Role.CODER, Role.BILLER):
        assert role_allows(role, Permission.VIEW_DIRECTORY)
        assert not role_allows(role, Permission.MANAGE_USERS)
        assert not role_allows(role, Permission.VIEW_AUDIT)
        assert not role_allows(role, Permission.RESTORE)
    assert role_allows(Role.BILLER, Permission.BACKUP)
    assert not role_allows(Role.CODER, Permission.BACKUP)
    assert not role_allows("wizard", Permission.VIEW_DIRECTORY)


# --- administration ----------------------------------------------------------------------------
def test_create_reset_and_change_password(admin: Services) -> None:
    row = admin.users.create_user("  dana  ", "Dana Front", "front_desk", "first password1")
    assert (row.username, row.role, row.must_change_password) == ("dana", "front_desk", True)
    assert "dana" in [u.username for u in admin.users.list_users()]
    assert _events(admin, "user.create")[-1].username == ADMIN

    admin.users.reset_password(row.id, "second password2")
    assert _events(admin, "user.password_reset")[-1].entity_id == str(row.id)
    with pytest.raises(UserError):
        admin.users.sign_in("dana", "first password1")
    admin.users.sign_in("dana", "second password2")
    assert admin.users.must_change_password()

    with pytest.raises(UserError, match="current password"):
        admin.users.change_own_password("not my password", "third password3")
    with pytest.raises(ValidationError):
        admin.users.change_own_password("second password2", "short")
    admin.users.change_own_password("second password2", "third password3")
    assert not admin.users.must_change_password()
    assert _events(admin, "user.password_changed")[-1].username == "dana"
    admin.users.sign_out()
    with pytest.raises(UserError):
        admin.users.sign_in("dana", "second password2")
    assert admin.users.sign_in("dana", "third password3").username == "dana"


def test_create_user_checks_everything(admin: Services) -> None:
    with pytest.raises(ValidationError) as err:
        admin.users.create_user("x", "", "wizard", "short")
    assert set(err.value.problems) == {"username", "password", "full_name", "role"}
    with pytest.raises(UserError, match="taken"):
        admin.users.create_user(ADMIN.upper(), "Copy Cat", "coder", "a long enough pw")
    assert [u.username for u in admin.users.list_users()] == [ADMIN]


def test_cannot_disable_yourself_or_lose_the_last_admin(admin: Services) -> None:
    me = admin.ctx.user
    assert me is not None
    with pytest.raises(UserError, match="your own account"):
        admin.users.set_active(me.id, False)
    with pytest.raises(PermissionDenied, match="at least one active administrator"):
        admin.users.set_role(me.id, "coder")
    (row,) = admin.users.list_users()
    assert (row.role, row.active) == ("admin", True)

    pw = add_user(admin, "ann2", "admin")
    admin.users.sign_in("ann2", pw)
    admin.users.set_active(me.id, False)  # another admin remains: allowed
    ann2 = _user_id(admin, "ann2")
    with pytest.raises(PermissionDenied, match="at least one active administrator"):
        admin.users.set_role(ann2, "biller")
    admin.users.set_active(me.id, True)
    admin.users.set_role(ann2, "biller")
    roles = {u.username: u.role for u in admin.users.list_users()}
    assert roles == {ADMIN: "admin", "ann2": "biller"}


def test_set_role_refuses_unknown_roles(admin: Services) -> None:
    me = admin.ctx.user
    assert me is not None
    with pytest.raises(UserError):
        admin.users.set_role(me.id, "superuser")


def test_password_and_username_rules() -> None:
    assert check_password_rules("a" * (users.MIN_PASSWORD - 1)) is not None
    assert check_password_rules("a" * users.MIN_PASSWORD) is None
    assert check_password_rules("xx-Jordan-2024", "jordan") is not None
    assert check_password_rules("xx-Jordan-2024", "maria") is None
    assert check_username("a") is not None
    assert check_username("has space") is not None
    assert check_username("a" * 41) is not None
    assert check_username("ok.name_1-2") is None


def test_hash_is_argon2id_and_password_not_in_the_file(admin: Services) -> None:
    (stored,) = raw_sql(admin.db.path, "SELECT password_hash FROM user_account")[0]
    assert stored[0].startswith("$argon2id$")
    assert ADMIN_PASSWORD not in stored[0]
    assert ADMIN_PASSWORD not in _all_text(admin.db.path)
    admin.db.checkpoint()
    raw = admin.db.path.read_bytes()
    assert ADMIN_PASSWORD.encode() not in raw
    assert b"$argon2id$" not in raw  # the hash itself is only inside the encrypted pages


def test_audit_filter_finds_failed_sign_ins(admin: Services) -> None:
    with pytest.raises(UserError):
        admin.users.sign_in(ADMIN, WRONG_PASSWORD)
    rows = admin.audit.page(AuditFilter(action="sign_in.failed"), 0, 10)
    assert [r.username for r in rows] == [ADMIN]


def test_unlocking_the_idle_lock_checks_the_same_users_password(admin: Services) -> None:
    with pytest.raises(UserError, match="password is not right"):
        admin.users.resume_session(WRONG_PASSWORD)
    assert admin.ctx.user is not None and admin.ctx.user.username == ADMIN
    admin.users.resume_session(ADMIN_PASSWORD)
    assert [e.username for e in _events(admin, "session.unlock_failed")] == [ADMIN]
    assert [e.username for e in _events(admin, "session.unlocked")] == [ADMIN]


def test_wrong_unlock_passwords_count_toward_the_lockout(admin: Services) -> None:
    for _ in range(users.MAX_FAILURES - 1):
        with pytest.raises(UserError, match="password is not right"):
            admin.users.resume_session(WRONG_PASSWORD)
    with pytest.raises(UserError, match="locked for 15 minutes"):
        admin.users.resume_session(WRONG_PASSWORD)
    with pytest.raises(UserError, match="locked"):
        admin.users.resume_session(ADMIN_PASSWORD)
    assert _events(admin, "session.unlocked") == []
