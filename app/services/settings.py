"""Clinic settings, each with its range; stored as text in the `setting` table."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.errors import UserError
from app.models import Setting
from app.services.audit import append_event
from app.services.context import UserContext
from app.services.database import Database
from app.services.permissions import Permission

IDLE_LOCK_MINUTES = "idle_lock_minutes"
ALLOW_REMEMBER_PASSPHRASE = "allow_remember_passphrase"  # noqa: S105 - a setting key
IS_DEMO = "is_demo"
VERIFY_WITHIN_DAYS = "verify_within_days"


@dataclass(frozen=True)
class ClinicSettings:
    idle_lock_minutes: int = 10
    allow_remember_passphrase: bool = True
    is_demo: bool = False
    verify_within_days: int = 30


def read_settings(s: Session) -> ClinicSettings:
    values = {row.key: row.value for row in s.query(Setting)}
    d = ClinicSettings()
    return ClinicSettings(
        idle_lock_minutes=int(values.get(IDLE_LOCK_MINUTES, d.idle_lock_minutes)),
        allow_remember_passphrase=values.get(ALLOW_REMEMBER_PASSPHRASE, "1") == "1",
        is_demo=values.get(IS_DEMO, "0") == "1",
        verify_within_days=int(values.get(VERIFY_WITHIN_DAYS, d.verify_within_days)),
    )


def put(s: Session, key: str, value: str) -> None:
    s.merge(Setting(key=key, value=value))


class SettingsService:
    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def get(self) -> ClinicSettings:
        """The clinic's settings; any signed-in user may read them."""
        self._ctx.require_signed_in()
        with self._db.session() as s:
            return read_settings(s)

    def set_idle_lock_minutes(self, minutes: int) -> None:
        """Minutes of no keyboard or mouse before the window locks (1 to 60)."""
        user = self._ctx.require(Permission.MANAGE_SETTINGS)
        if not 1 <= minutes <= 60:
            raise UserError("The idle lock is from 1 to 60 minutes.")
        with self._db.session() as s:
            put(s, IDLE_LOCK_MINUTES, str(minutes))
            append_event(s, user, "settings.update", details={"fields": [IDLE_LOCK_MINUTES]})

    def set_verify_within_days(self, days: int) -> None:
        """How recent a benefits verification must be before a visit (1 to 365 days)."""
        user = self._ctx.require(Permission.MANAGE_SETTINGS)
        if not 1 <= days <= 365:
            raise UserError("Verification is wanted within 1 to 365 days of the visit.")
        with self._db.session() as s:
            put(s, VERIFY_WITHIN_DAYS, str(days))
            append_event(s, user, "settings.update", details={"fields": [VERIFY_WITHIN_DAYS]})

    def set_allow_remember_passphrase(self, allow: bool) -> None:
        """Whether workstations may keep the clinic passphrase in the OS keyring."""
        user = self._ctx.require(Permission.MANAGE_SETTINGS)
        with self._db.session() as s:
            put(s, ALLOW_REMEMBER_PASSPHRASE, "1" if allow else "0")
            append_event(s, user, "settings.update",
                         details={"fields": [ALLOW_REMEMBER_PASSPHRASE]})
