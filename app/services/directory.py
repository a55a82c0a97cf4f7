"""The practice, its providers and facilities, and the payers directory (Admin tab).

Values arrive as plain dataclasses, are normalised (digits only, upper case) and checked;
every problem is reported at once with what to fix, and nothing is saved until all are right.
Saves use the record's version: a stale copy is refused and the other person's change kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.errors import ConflictError, UserError, ValidationError
from app.formats import identifiers as ids
from app.models import Facility, Payer, Practice, Provider
from app.services.audit import append_event
from app.services.context import UserContext
from app.services.database import Database
from app.services.permissions import Permission


@dataclass(frozen=True)
class PracticeData:
    name: str
    npi: str
    ein: str
    taxonomy: str
    address1: str
    city: str
    state: str
    zip: str
    phone: str
    address2: str = ""
    version: int = 0


@dataclass(frozen=True)
class ProviderData:
    last_name: str
    first_name: str
    npi: str
    credential: str = ""
    taxonomy: str = ""
    active: bool = True
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class FacilityData:
    name: str
    pos: str
    address1: str
    city: str
    state: str
    zip: str
    address2: str = ""
    npi: str = ""
    active: bool = True
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class PayerData:
    name: str
    payer_id: str
    claim_filing_indicator: str
    timely_filing_days: int = 365
    phone: str = ""
    portal: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    active: bool = True
    id: int | None = None
    version: int = 0


D = TypeVar("D", PracticeData, ProviderData, FacilityData, PayerData)

_DIGITS = ("npi", "ein", "zip", "phone")
_UPPER = ("state", "taxonomy", "claim_filing_indicator", "payer_id", "credential")


def normalise(data: D) -> D:
    """Trim text, keep digits of numeric identifiers, upper-case codes."""
    changes: dict[str, Any] = {}
    for f in fields(data):
        v = getattr(data, f.name)
        if isinstance(v, str):
            v = v.strip()
            if f.name in _DIGITS:
                v = ids.digits(v)
            elif f.name in _UPPER:
                v = v.upper()
            changes[f.name] = v
    return replace(data, **changes)


def _need(p: dict[str, str], data: Any, *names: str) -> None:
    for n in names:
        if not getattr(data, n):
            p[n] = "is required."


def _check(p: dict[str, str], name: str, msg: str | None) -> None:
    if msg and name not in p:
        p[name] = msg


def _check_address(p: dict[str, str], d: Any, *, plus4: bool = False) -> None:
    _need(p, d, "address1", "city", "state", "zip")
    if d.state:
        _check(p, "state", ids.check_state(d.state))
    if d.zip:
        _check(p, "zip", ids.check_zip(d.zip, plus4=plus4))


def check_practice(d: PracticeData) -> dict[str, str]:
    p: dict[str, str] = {}
    _need(p, d, "name", "npi", "ein", "taxonomy", "phone")
    for name, check in (("npi", ids.check_npi), ("ein", ids.check_ein),
                        ("taxonomy", ids.check_taxonomy), ("phone", ids.check_phone)):
        if getattr(d, name):
            _check(p, name, check(getattr(d, name)))
    _check_address(p, d, plus4=True)
    return p


def check_provider(d: ProviderData) -> dict[str, str]:
    p: dict[str, str] = {}
    _need(p, d, "last_name", "first_name", "npi")
    if d.npi:
        _check(p, "npi", ids.check_npi(d.npi))
    if d.taxonomy:
        _check(p, "taxonomy", ids.check_taxonomy(d.taxonomy))
    return p


def check_facility(d: FacilityData) -> dict[str, str]:
    p: dict[str, str] = {}
    _need(p, d, "name", "pos")
    if d.pos and d.pos not in ids.PLACE_OF_SERVICE:
        p["pos"] = "Choose a place-of-service code from the list (for example 11, Office)."
    if d.npi:
        _check(p, "npi", ids.check_npi(d.npi))
    _check_address(p, d)
    return p


def check_payer(d: PayerData) -> dict[str, str]:
    p: dict[str, str] = {}
    _need(p, d, "name", "payer_id", "claim_filing_indicator")
    if d.claim_filing_indicator and d.claim_filing_indicator not in ids.CLAIM_FILING_INDICATORS:
        p["claim_filing_indicator"] = "Choose a claim filing indicator from the list."
    if not 1 <= d.timely_filing_days <= 3650:
        p["timely_filing_days"] = "Timely filing is a number of days from 1 to 3650."
    _check(p, "phone", ids.check_phone(d.phone, required=False))
    if d.state:
        _check(p, "state", ids.check_state(d.state))
    if d.zip:
        _check(p, "zip", ids.check_zip(d.zip))
    return p


def _to_data(cls: type[D], obj: Any) -> D:
    return cls(**{f.name: getattr(obj, f.name) for f in fields(cls)})


M = TypeVar("M", Practice, Provider, Facility, Payer)


class DirectoryService:
    """Practice, providers, facilities and payers. Reading needs VIEW_DIRECTORY; changes need
    MANAGE_PRACTICE and are audited with the names of the fields that changed."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    # --- practice -------------------------------------------------------------------------
    def practice(self) -> PracticeData | None:
        """The billing provider, or None before setup."""
        self._ctx.require(Permission.VIEW_DIRECTORY)
        with self._db.session() as s:
            row = s.get(Practice, 1)
            return _to_data(PracticeData, row) if row else None

    def save_practice(self, data: PracticeData) -> PracticeData:
        """Create or update the practice; returns the saved values with the new version."""
        return self._save(Practice, normalise(data), check_practice, "practice", fixed_id=1)

    # --- providers, facilities, payers ------------------------------------------------------
    def providers(self, *, active_only: bool = False) -> list[ProviderData]:
        return self._list(Provider, ProviderData, active_only, Provider.last_name)

    def save_provider(self, data: ProviderData) -> ProviderData:
        return self._save(Provider, normalise(data), check_provider, "provider")

    def facilities(self, *, active_only: bool = False) -> list[FacilityData]:
        return self._list(Facility, FacilityData, active_only, Facility.name)

    def save_facility(self, data: FacilityData) -> FacilityData:
        return self._save(Facility, normalise(data), check_facility, "facility")

    def payers(self, *, active_only: bool = False) -> list[PayerData]:
        return self._list(Payer, PayerData, active_only, Payer.name)

    def save_payer(self, data: PayerData) -> PayerData:
        return self._save(Payer, normalise(data), check_payer, "payer")

    # --- shared ------------------------------------------------------------------------------
    def _list(self, model: Any, cls: type[D], active_only: bool, order: Any) -> list[D]:
        self._ctx.require(Permission.VIEW_DIRECTORY)
        with self._db.session() as s:
            q = select(model).order_by(order)
            if active_only:
                q = q.where(model.active.is_(True))
            return [_to_data(cls, r) for r in s.scalars(q)]

    def _save(self, model: type[M], data: D, check: Callable[[D], dict[str, str]], what: str,
              fixed_id: int | None = None) -> D:
        user = self._ctx.require(Permission.MANAGE_PRACTICE)
        problems = check(data)
        if problems:
            raise ValidationError(problems, what)
        key = fixed_id if fixed_id is not None else getattr(data, "id", None)
        values = {k: v for k, v in asdict(data).items() if k not in ("id", "version")}
        try:
            with self._db.session() as s:
                obj = s.get(model, key) if key is not None else None
                if obj is None and key is not None and fixed_id is None:
                    raise UserError(f"That {what} no longer exists; reload the list.")
                action, changed = f"{what}.update", sorted(values)
                if obj is None:
                    obj, action = model(**values), f"{what}.create"
                    if fixed_id is not None:
                        obj.id = fixed_id
                    s.add(obj)
                else:
                    changed = _update(obj, data.version, values, what)
                s.flush()
                append_event(s, user, action, entity=what, entity_id=obj.id,
                             details={"fields": changed})
                return _to_data(type(data), obj)
        except IntegrityError:
            raise UserError(
                f"Another {what} already uses that NPI, name or payer ID; each must be unique."
            ) from None
        except StaleDataError:
            raise _conflict(what) from None


def _conflict(what: str) -> ConflictError:
    return ConflictError(
        f"Someone else changed this {what} after you opened it. Their change is kept; "
        "reload to see it, then make your change again."
    )


def _update(obj: Any, version: int, values: dict[str, Any], what: str) -> list[str]:
    """Set the fields that changed, refusing a copy older than the stored row."""
    if version != obj.version:
        raise _conflict(what)
    changed = sorted(k for k, v in values.items() if getattr(obj, k) != v)
    for k in changed:
        setattr(obj, k, values[k])
    return changed
