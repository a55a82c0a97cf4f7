"""Clinic settings, each with its range; stored as text in the `setting` table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from app.errors import UserError
from app.models import Setting
from app.services.audit import append_event
from app.services.context import UserContext
from app.services.database import Database
from app.services.permissions import Permission

if TYPE_CHECKING:
    from app.services.billing_settings import BillingSettings

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

    def edi(self) -> EdiSettings:
        """The 837P submitter/receiver settings."""
        return edi_settings(self._db, self._ctx)

    def set_edi(self, e: EdiSettings) -> None:
        """Save the 837P submitter/receiver settings (admin only)."""
        save_edi(self._db, self._ctx, e)

    def billing(self) -> BillingSettings:
        """The follow-up settings (underpayment tolerance, small balances, queue days)."""
        from app.services.billing_settings import billing_settings

        return billing_settings(self._db, self._ctx)

    def set_billing(self, b: BillingSettings) -> None:
        """Save the follow-up settings (admin only), each within its range."""
        from app.services.billing_settings import save_billing

        save_billing(self._db, self._ctx, b)

    def set_allow_remember_passphrase(self, allow: bool) -> None:
        """Whether workstations may keep the clinic passphrase in the OS keyring."""
        user = self._ctx.require(Permission.MANAGE_SETTINGS)
        with self._db.session() as s:
            put(s, ALLOW_REMEMBER_PASSPHRASE, "1" if allow else "0")
            append_event(s, user, "settings.update",
                         details={"fields": [ALLOW_REMEMBER_PASSPHRASE]})


# --- 837P submitter, receiver and envelope (005010X222A1 loops 1000A/1000B, ISA/GS) ---------
EDI_KEYS = ("submitter_id", "submitter_name", "contact_name", "contact_phone", "receiver_id",
            "receiver_name", "sender_qualifier", "sender_id", "receiver_qualifier",
            "interchange_receiver_id", "usage")


@dataclass(frozen=True)
class EdiSettings:
    """What the clearinghouse gave the clinic to put in its 837P files. Empty IDs mean
    electronic claims cannot go out yet (the scrubber says so)."""

    submitter_id: str = ""  # 1000A NM109, the clinic's ID at the clearinghouse
    submitter_name: str = ""  # 1000A NM103, the practice name when empty
    contact_name: str = ""  # 1000A PER02
    contact_phone: str = ""  # 1000A PER04, the practice phone when empty
    receiver_id: str = ""  # 1000B NM109, the clearinghouse's ID
    receiver_name: str = ""  # 1000B NM103
    sender_qualifier: str = "ZZ"  # ISA05
    sender_id: str = ""  # ISA06, the submitter ID when empty
    receiver_qualifier: str = "ZZ"  # ISA07
    interchange_receiver_id: str = ""  # ISA08, the receiver ID when empty
    usage: str = "P"  # ISA15: P production, T test

    @property
    def missing(self) -> list[str]:
        """What must be filled before an 837P can be written."""
        return [label for label, value in (("submitter ID", self.submitter_id),
                                           ("receiver ID", self.receiver_id),
                                           ("receiver name", self.receiver_name))
                if not value]


def read_edi(s: Session) -> EdiSettings:
    values = {row.key[4:]: row.value for row in s.query(Setting)
              if row.key.startswith("edi_")}
    return EdiSettings(**{k: v for k, v in values.items() if k in EDI_KEYS})


def check_edi(e: EdiSettings) -> dict[str, str]:
    p: dict[str, str] = {}
    for key in ("submitter_id", "receiver_id", "sender_id", "interchange_receiver_id"):
        value = getattr(e, key)
        if value and (len(value) > 15 or not all(c.isalnum() or c in " -." for c in value)):
            p[key] = "Use up to 15 letters, digits, spaces, dots or dashes."
    for key in ("sender_qualifier", "receiver_qualifier"):
        if not (len(getattr(e, key)) == 2 and getattr(e, key).isalnum()):
            p[key] = "An ID qualifier is 2 letters or digits, usually ZZ."
    if e.contact_phone and not (e.contact_phone.isdigit() and len(e.contact_phone) == 10):
        p["contact_phone"] = "Enter the 10-digit phone number."
    if e.usage not in ("P", "T"):
        p["usage"] = "Choose P (production) or T (test)."
    for key in ("submitter_name", "receiver_name", "contact_name"):
        if len(getattr(e, key)) > 60:
            p[key] = "Use at most 60 characters."
    return p


def edi_settings(db: Database, ctx: UserContext) -> EdiSettings:
    ctx.require_signed_in()
    with db.session() as s:
        return read_edi(s)


def save_edi(db: Database, ctx: UserContext, e: EdiSettings) -> None:
    """Save the 837P submitter/receiver settings (admin), audited."""
    from app.errors import ValidationError

    user = ctx.require(Permission.MANAGE_SETTINGS)
    e = EdiSettings(**{k: str(getattr(e, k)).strip().upper() if k not in (
        "submitter_name", "receiver_name", "contact_name") else str(getattr(e, k)).strip()
        for k in EDI_KEYS})
    if e.contact_phone and not e.contact_phone.isdigit():  # (217) 555-0100 → 2175550100
        e = EdiSettings(**{**{k: getattr(e, k) for k in EDI_KEYS},
                           "contact_phone": "".join(ch for ch in e.contact_phone if ch.isdigit())})
    if problems := check_edi(e):
        raise ValidationError(problems, "837P settings")
    with db.session() as s:
        for k in EDI_KEYS:
            put(s, "edi_" + k, getattr(e, k))
        append_event(s, user, "settings.update", details={"fields": ["edi"]})
