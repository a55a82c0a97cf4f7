"""Each provider's quick-pick lists (the superbill): the diagnoses and the procedures the
provider codes most, in the provider's own order, with an optional label.

A provider has two ordered lists: diagnoses (ICD-10-CM) and procedures (HCPCS and CPT share
one list, as they do on a paper superbill). Positions are 1, 2, 3… within a list and stay dense
through adds, removals and moves. A code must exist to be added: a billable ICD-10-CM code in
a loaded release, or a HCPCS/CPT code not yet ended. Reading needs only a signed-in user;
changes need MANAGE_CODE_SETS and are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import UserError, ValidationError
from app.models import FavoriteCode, ProcedureCode, Provider
from app.models.codes import CPT, HCPCS, ICD10CM, SYSTEMS
from app.services.audit import append_event
from app.services.code_lookup import (
    diagnosis_latest,
    icd_display,
    normalize_code,
    procedure,
)
from app.services.context import UserContext
from app.services.database import Database
from app.services.permissions import Permission

DIAGNOSES = "diagnosis"
PROCEDURES = "procedure"
LIST_SYSTEMS: dict[str, tuple[str, ...]] = {DIAGNOSES: (ICD10CM,), PROCEDURES: (HCPCS, CPT)}
SYSTEM_LABELS = {ICD10CM: "ICD-10-CM", HCPCS: "HCPCS", CPT: "CPT"}
LABEL_MAX = int(getattr(FavoriteCode.__table__.c.label.type, "length", 0) or 80)


@dataclass(frozen=True)
class FavoriteRow:
    id: int
    provider_id: int
    system: str
    code: str
    display_code: str  # ICD-10-CM with its dot: E11.9
    description: str  # the code set's description ("" if the code has since gone)
    label: str
    position: int  # 1-based within the provider's diagnosis or procedure list

    @property
    def text(self) -> str:
        """What a pick list shows: the provider's label, else the description."""
        return self.label or self.description


_Rows = list[FavoriteRow]


def list_of(system: str) -> str:
    """The list a system's codes go on: diagnosis or procedure."""
    return DIAGNOSES if system == ICD10CM else PROCEDURES


def _group(s: Session, provider_id: int, group: str) -> list[FavoriteCode]:
    q = (select(FavoriteCode)
         .where(FavoriteCode.provider_id == provider_id,
                FavoriteCode.system.in_(LIST_SYSTEMS[group]))
         .order_by(FavoriteCode.position, FavoriteCode.id))
    return list(s.scalars(q))


def _renumber(rows: list[FavoriteCode]) -> None:
    for i, f in enumerate(rows, 1):
        if f.position != i:
            f.position = i


def _descriptions(s: Session, favs: list[FavoriteCode]) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    proc_codes = sorted({f.code for f in favs if f.system != ICD10CM})
    if proc_codes:
        q = select(ProcedureCode.system, ProcedureCode.code, ProcedureCode.short_description) \
            .where(ProcedureCode.code.in_(proc_codes))
        out.update({(sy, c): d for sy, c, d in s.execute(q)})
    for f in favs:
        if f.system == ICD10CM:
            dx = diagnosis_latest(s, f.code)
            out[(f.system, f.code)] = dx.description if dx is not None else ""
    return out


def _rows(s: Session, favs: list[FavoriteCode]) -> _Rows:
    text = _descriptions(s, favs)
    return [FavoriteRow(f.id, f.provider_id, f.system, f.code,
                        icd_display(f.code) if f.system == ICD10CM else f.code,
                        text.get((f.system, f.code), ""), f.label, f.position) for f in favs]


def _check_code(s: Session, system: str, code: str, today: date) -> dict[str, str]:
    """Why `code` cannot go on a quick-pick list ({} when it can)."""
    if system == ICD10CM:
        dx = diagnosis_latest(s, code)
        if dx is None:
            return {"code": f"{icd_display(code)} is not an ICD-10-CM code of any loaded "
                            "release; check the code."}
        if not dx.billable:
            return {"code": f"{icd_display(code)} is a category, not a billable code; choose "
                            "a more specific code."}
        return {}
    row = procedure(s, code)
    if row is None:
        return {"code": f"{code} is not a known HCPCS or CPT code; import or add it first."}
    if row.system != system:
        return {"code": f"{code} is a {SYSTEM_LABELS[row.system]} code, not "
                        f"{SYSTEM_LABELS[system]}."}
    if row.effective_to is not None and row.effective_to < today:
        return {"code": f"{code} ended on {row.effective_to:%m/%d/%Y}; choose a code in force."}
    return {}


class FavoriteService:
    """Providers' quick-pick lists of diagnosis and procedure codes."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def list(self, provider_id: int, system: str | None = None) -> _Rows:
        """The provider's favorites in order: diagnoses, then procedures. `system` narrows to
        one code system ("icd10cm", "hcpcs", "cpt") or one list ("diagnosis",
        "procedure")."""
        self._ctx.require_signed_in()
        systems = self._systems(system)
        with self._db.session() as s:
            q = (select(FavoriteCode)
                 .where(FavoriteCode.provider_id == provider_id,
                        FavoriteCode.system.in_(systems)))
            favs = sorted(s.scalars(q), key=lambda f: (list_of(f.system) != DIAGNOSES,
                                                       f.position, f.id))
            return _rows(s, favs)

    @staticmethod
    def _systems(system: str | None) -> tuple[str, ...]:
        if system is None:
            return SYSTEMS
        if system in LIST_SYSTEMS:
            return LIST_SYSTEMS[system]
        if system in SYSTEMS:
            return (system,)
        raise UserError(f"\"{system}\" is not a code system; use icd10cm, hcpcs or cpt.")

    def add(self, provider_id: int, system: str, code: str, label: str = "") -> FavoriteRow:
        """Put a code at the end of the provider's diagnosis or procedure list. The code must
        exist (a billable ICD-10-CM code, or a HCPCS/CPT code not yet ended); audited."""
        user = self._ctx.require(Permission.MANAGE_CODE_SETS)
        system, code, label = system.strip().lower(), normalize_code(code), " ".join(label.split())
        if system not in SYSTEMS:
            raise ValidationError({"system": "Choose ICD-10-CM, HCPCS or CPT."}, "favorite")
        if len(label) > LABEL_MAX:
            raise ValidationError({"label": f"holds at most {LABEL_MAX} characters."},
                                  "favorite")
        try:
            with self._db.session() as s:
                self._need_provider(s, provider_id)
                if problems := _check_code(s, system, code, date.today()):
                    raise ValidationError(problems, "favorite")
                last = s.scalar(select(func.max(FavoriteCode.position)).where(
                    FavoriteCode.provider_id == provider_id,
                    FavoriteCode.system.in_(LIST_SYSTEMS[list_of(system)])))
                fav = FavoriteCode(provider_id=provider_id, system=system, code=code,
                                   label=label, position=(last or 0) + 1)
                s.add(fav)
                s.flush()
                append_event(s, user, "favorites.add", entity="provider", entity_id=provider_id,
                             details={"system": system, "code": code})
                return _rows(s, [fav])[0]
        except IntegrityError:
            raise ValidationError({"code": "is already on this provider's list."},
                                  "favorite") from None

    def remove(self, favorite_id: int) -> None:
        """Take a code off its list; the codes after it move up. Audited."""
        user = self._ctx.require(Permission.MANAGE_CODE_SETS)
        with self._db.session() as s:
            fav = self._need(s, favorite_id)
            provider_id, system, code = fav.provider_id, fav.system, fav.code
            s.delete(fav)
            s.flush()
            _renumber(_group(s, provider_id, list_of(system)))
            append_event(s, user, "favorites.remove", entity="provider", entity_id=provider_id,
                         details={"system": system, "code": code})

    def move(self, favorite_id: int, position: int) -> _Rows:
        """Move a code to `position` (1 = top; beyond the end = last) of its list; returns
        that list in its new order. Audited."""
        user = self._ctx.require(Permission.MANAGE_CODE_SETS)
        with self._db.session() as s:
            fav = self._need(s, favorite_id)
            rows = _group(s, fav.provider_id, list_of(fav.system))
            old = rows.index(fav)
            new = min(max(position, 1), len(rows)) - 1
            if new != old:
                rows.insert(new, rows.pop(old))
                _renumber(rows)
                append_event(s, user, "favorites.move", entity="provider",
                             entity_id=fav.provider_id,
                             details={"system": fav.system, "code": fav.code,
                                      "from": old + 1, "to": new + 1})
            return _rows(s, rows)

    def move_up(self, favorite_id: int) -> _Rows:
        """One place up (nothing happens at the top)."""
        return self._step(favorite_id, -1)

    def move_down(self, favorite_id: int) -> _Rows:
        """One place down (nothing happens at the bottom)."""
        return self._step(favorite_id, +1)

    def _step(self, favorite_id: int, step: int) -> _Rows:
        self._ctx.require(Permission.MANAGE_CODE_SETS)
        with self._db.session() as s:
            fav = self._need(s, favorite_id)
            rows = _group(s, fav.provider_id, list_of(fav.system))
            here = rows.index(fav) + 1
        return self.move(favorite_id, max(here + step, 1))

    def set_label(self, favorite_id: int, label: str) -> FavoriteRow:
        """The provider's own words for the code on the pick list ("" for the code set's
        description). Audited."""
        user = self._ctx.require(Permission.MANAGE_CODE_SETS)
        label = " ".join(label.split())
        if len(label) > LABEL_MAX:
            raise ValidationError({"label": f"holds at most {LABEL_MAX} characters."},
                                  "favorite")
        with self._db.session() as s:
            fav = self._need(s, favorite_id)
            if fav.label != label:
                fav.label = label
                append_event(s, user, "favorites.label", entity="provider",
                             entity_id=fav.provider_id,
                             details={"system": fav.system, "code": fav.code})
            return _rows(s, [fav])[0]

    @staticmethod
    def _need(s: Session, favorite_id: int) -> FavoriteCode:
        fav = s.get(FavoriteCode, favorite_id)
        if fav is None:
            raise UserError("That favorite is no longer on the list; reopen the list.")
        return fav

    @staticmethod
    def _need_provider(s: Session, provider_id: int) -> None:
        if s.get(Provider, provider_id) is None:
            raise UserError("That provider no longer exists; choose the provider again.")


__all__ = ["DIAGNOSES", "PROCEDURES", "FavoriteRow", "FavoriteService", "list_of"]
