"""Sign-in, lockout and user administration (HIPAA 164.312(a)(2)(i), (d); ONC 170.315(d)(1)).

Passwords are hashed with argon2id (argon2-cffi defaults, RFC 9106 second recommendation).
Five failed sign-ins lock an account for 15 minutes. Messages never say whether it was the
name or the password that was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import PermissionDenied, UserError, ValidationError
from app.models import User
from app.models.types import utcnow
from app.services.audit import append_event
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.permissions import Permission, Role

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 10
BAD_SIGN_IN = "The user name or password is not right. Check both and try again."

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str, username: str = "") -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"A password needs at least {MIN_PASSWORD} characters."
    if username and username.lower() in password.lower():
        return "A password must not contain the user name."
    return None


def check_username(username: str) -> str | None:
    if not (2 <= len(username) <= 40) or not all(c.isalnum() or c in "._-" for c in username):
        return "A user name is 2 to 40 letters, digits, dots, dashes or underscores."
    return None


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    full_name: str
    role: str
    active: bool
    locked_until: datetime | None
    must_change_password: bool


def _current(u: User) -> CurrentUser:
    return CurrentUser(u.id, u.username, u.full_name, u.role)


def _row(u: User) -> UserRow:
    locked = u.locked_until if u.locked_until and u.locked_until > utcnow() else None
    return UserRow(u.id, u.username, u.full_name, u.role, u.active, locked,
                   u.must_change_password)


def _find(s: Session, username: str) -> User | None:
    q = select(User).where(func.lower(User.username) == username.strip().lower())
    return s.scalars(q).first()


def add_user(s: Session, actor: CurrentUser | None, username: str, full_name: str, role: str,
             password: str) -> User:
    """Validate and add a user inside the caller's transaction (used by setup and demo too)."""
    problems: dict[str, str] = {}
    for field, msg in (("username", check_username(username)),
                       ("password", check_password_rules(password, username))):
        if msg:
            problems[field] = msg
    if not full_name.strip():
        problems["full_name"] = "is required."
    if role not in {r.value for r in Role}:
        problems["role"] = "Choose one of: admin, front_desk, coder, biller."
    if problems:
        raise ValidationError(problems, "user")
    if _find(s, username) is not None:
        raise UserError(f"The user name {username} is taken; choose another.")
    user = User(username=username, full_name=full_name.strip(), role=role,
                password_hash=hash_password(password))
    s.add(user)
    s.flush()
    append_event(s, actor, "user.create", entity="user", entity_id=user.id,
                 details={"role": role, "username": username})
    return user


class UserService:
    """Signing in and out, and the administration of users."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    # --- signing in ----------------------------------------------------------------------
    def sign_in(self, username: str, password: str) -> CurrentUser:
        """Check the password, apply the lockout rule, and make this user current."""
        with self._db.session() as s:
            user = _find(s, username)
            outcome = self._attempt(s, user, password)
        if isinstance(outcome, str):
            raise UserError(outcome)
        self._ctx.set_user(outcome)
        return outcome

    def _attempt(self, s: Session, user: User | None, password: str) -> CurrentUser | str:
        """The signed-in user, or the message to show; failures are audited and counted
        (committed even though the sign-in fails)."""
        now = utcnow()
        if user is None:
            append_event(s, None, "sign_in.failed", details={"reason": "unknown user"},
                         username="(unknown)")
            return BAD_SIGN_IN
        if user.locked_until and user.locked_until > now:
            minutes = int((user.locked_until - now).total_seconds() // 60) + 1
            append_event(s, None, "sign_in.refused", entity="user", entity_id=user.id,
                         username=user.username, details={"reason": "locked"})
            return (f"This account is locked after {MAX_FAILURES} failed sign-ins. Try again "
                    f"in {minutes} minutes, or ask an administrator to unlock it.")
        if not _verify(user.password_hash, password):
            return self._failed(s, user, now)
        if not user.active:
            append_event(s, None, "sign_in.refused", entity="user", entity_id=user.id,
                         username=user.username, details={"reason": "disabled"})
            return "This account is disabled. Ask an administrator."
        user.failed_attempts, user.locked_until = 0, None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        append_event(s, _current(user), "sign_in")
        return _current(user)

    def _failed(self, s: Session, user: User, now: datetime, action: str = "sign_in.failed",
                message: str = BAD_SIGN_IN) -> str:
        user.failed_attempts += 1
        details: dict[str, object] = {"failures": user.failed_attempts}
        if user.failed_attempts >= MAX_FAILURES:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_attempts = 0
            details["locked_minutes"] = LOCK_MINUTES
        append_event(s, None, action, entity="user", entity_id=user.id,
                     username=user.username, details=details)
        if user.locked_until and user.locked_until > now:
            return (f"Too many failed attempts: this account is locked for {LOCK_MINUTES} "
                    "minutes. An administrator can unlock it sooner.")
        return message

    def sign_out(self, reason: str = "") -> None:
        user = self._ctx.user
        if user is None:
            return
        with self._db.session() as s:
            append_event(s, user, "sign_out", details={"reason": reason} if reason else None)
        self._ctx.set_user(None)

    def resume_session(self, password: str) -> None:
        """Unlock the idle-locked window for the same user. A wrong password counts toward
        the lockout like a failed sign-in; both outcomes are audited."""
        me = self._ctx.require_signed_in()
        with self._db.session() as s:
            user = s.get(User, me.id)
            message = self._check_unlock(s, user, password)
        if message:
            raise UserError(message)

    def _check_unlock(self, s: Session, user: User | None, password: str) -> str | None:
        now = utcnow()
        if user is None or not user.active:
            return "This account is no longer active. Sign in as someone else."
        if user.locked_until and user.locked_until > now:
            return (f"This account is locked after {MAX_FAILURES} failed attempts. Sign in as "
                    "someone else, or ask an administrator to unlock it.")
        if not _verify(user.password_hash, password):
            return self._failed(s, user, now, "session.unlock_failed",
                                "The password is not right. Try again.")
        user.failed_attempts = 0
        append_event(s, _current(user), "session.unlocked")
        return None

    def record_lock(self) -> None:
        """The idle lock closed the screen (audited; the user stays the owner of the window)."""
        user = self._ctx.require_signed_in()
        with self._db.session() as s:
            append_event(s, user, "session.locked")

    # --- own password ----------------------------------------------------------------------
    def change_own_password(self, old: str, new: str) -> None:
        me = self._ctx.require_signed_in()
        with self._db.session() as s:
            user = s.get(User, me.id)
            if user is None or not _verify(user.password_hash, old):
                raise UserError("The current password is not right; nothing was changed.")
            msg = check_password_rules(new, user.username)
            if msg:
                raise ValidationError({"new_password": msg}, "password")
            user.password_hash = hash_password(new)
            user.must_change_password = False
            user.password_changed_at = utcnow()
            append_event(s, me, "user.password_changed", entity="user", entity_id=me.id)

    # --- administration ----------------------------------------------------------------------
    def list_users(self) -> list[UserRow]:
        self._ctx.require(Permission.MANAGE_USERS)
        with self._db.session() as s:
            return [_row(u) for u in s.scalars(select(User).order_by(User.username))]

    def create_user(self, username: str, full_name: str, role: str, password: str) -> UserRow:
        """A new user who must change the given password at first sign-in."""
        actor = self._ctx.require(Permission.MANAGE_USERS)
        try:
            with self._db.session() as s:
                user = add_user(s, actor, username.strip(), full_name, role, password)
                user.must_change_password = True
                return _row(user)
        except IntegrityError:
            raise UserError(f"The user name {username} is taken; choose another.") from None

    def set_role(self, user_id: int, role: str) -> None:
        actor = self._ctx.require(Permission.MANAGE_USERS)
        if role not in {r.value for r in Role}:
            raise UserError("Choose one of: admin, front_desk, coder, biller.")
        with self._db.session() as s:
            user = self._get(s, user_id)
            if user.role == Role.ADMIN and role != Role.ADMIN:
                _keep_an_admin(s, user)
            user.role = role
            append_event(s, actor, "user.role_changed", entity="user", entity_id=user_id,
                         details={"role": role})

    def set_active(self, user_id: int, active: bool) -> None:
        actor = self._ctx.require(Permission.MANAGE_USERS)
        if user_id == actor.id and not active:
            raise UserError("You cannot disable your own account while signed in with it.")
        with self._db.session() as s:
            user = self._get(s, user_id)
            if not active and user.role == Role.ADMIN:
                _keep_an_admin(s, user)
            user.active = active
            append_event(s, actor, "user.enabled" if active else "user.disabled",
                         entity="user", entity_id=user_id)

    def reset_password(self, user_id: int, new_password: str) -> None:
        """Set a temporary password the user must change; also clears a lockout."""
        actor = self._ctx.require(Permission.MANAGE_USERS)
        with self._db.session() as s:
            user = self._get(s, user_id)
            msg = check_password_rules(new_password, user.username)
            if msg:
                raise ValidationError({"password": msg}, "password")
            user.password_hash = hash_password(new_password)
            user.must_change_password = True
            user.failed_attempts, user.locked_until = 0, None
            append_event(s, actor, "user.password_reset", entity="user", entity_id=user_id)

    def unlock(self, user_id: int) -> None:
        actor = self._ctx.require(Permission.MANAGE_USERS)
        with self._db.session() as s:
            user = self._get(s, user_id)
            user.failed_attempts, user.locked_until = 0, None
            append_event(s, actor, "user.unlocked", entity="user", entity_id=user_id)

    def must_change_password(self) -> bool:
        me = self._ctx.require_signed_in()
        with self._db.session() as s:
            user = s.get(User, me.id)
            return bool(user and user.must_change_password)

    @staticmethod
    def _get(s: Session, user_id: int) -> User:
        user = s.get(User, user_id)
        if user is None:
            raise UserError("That user no longer exists; reload the list.")
        return user


def _keep_an_admin(s: Session, leaving: User) -> None:
    q = select(func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.active.is_(True), User.id != leaving.id)
    if s.execute(q).scalar_one() == 0:
        raise PermissionDenied("The clinic must keep at least one active administrator.")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
