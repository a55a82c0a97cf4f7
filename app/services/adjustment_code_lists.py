"""The CARC and RARC lists X12 publishes, imported by an admin so that every code a payer
sends can be shown in words (the app's own short wording covers the common ones:
app.formats.adjustment_codes). An import replaces the whole list of its kind, all or
nothing, and is audited; reading a list in gives the lookups `describe_adjustment` and
`describe_remark` take."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.formats.adjustment_codes import KINDS, read_code_list
from app.models import AdjustmentCode, ImportLog
from app.services.audit import append_event
from app.services.context import UserContext
from app.services.database import Database
from app.services.permissions import Permission


@dataclass(frozen=True)
class CodeListImport:
    kind: str
    filename: str
    codes: int
    active: int  # in use today (not past their stop date)
    replaced: int  # how many codes the previous list of this kind had


def imported_descriptions(s: Session, kind: str) -> dict[str, str]:
    """code → description of the imported list of `kind` ("carc" or "rarc")."""
    return dict(s.execute(select(AdjustmentCode.code, AdjustmentCode.description)
                          .where(AdjustmentCode.kind == kind)).all())


class AdjustmentCodeListService:
    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def import_list(self, data: bytes, filename: str, kind: str) -> CodeListImport:
        """Replace the `kind` list ("carc" or "rarc") with the file's codes. A file with any
        bad line imports nothing (FileProblems names every line)."""
        user = self._ctx.require(Permission.MANAGE_CODE_SETS)
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}")
        entries = read_code_list(data, filename, kind)
        today = date.today()
        with self._db.session() as s:
            old = s.scalar(select(func.count()).select_from(AdjustmentCode)
                           .where(AdjustmentCode.kind == kind)) or 0
            s.execute(delete(AdjustmentCode).where(AdjustmentCode.kind == kind))
            s.add_all(AdjustmentCode(kind=kind, code=e.code, description=e.description,
                                     start=e.start, stop=e.stop) for e in entries)
            s.add(ImportLog(kind=f"{kind}_list", sha256=hashlib.sha256(data).hexdigest(),
                            filename=filename[:200], rows=len(entries),
                            username=user.username))
            append_event(s, user, "codes.import", details={"kind": kind,
                                                           "codes": len(entries)})
        return CodeListImport(kind, filename, len(entries),
                              sum(1 for e in entries if e.active_on(today)), old)

    def counts(self) -> dict[str, int]:
        """How many codes each imported list holds (0 when never imported)."""
        self._ctx.require_signed_in()
        with self._db.session() as s:
            found = dict(s.execute(select(AdjustmentCode.kind, func.count())
                                   .group_by(AdjustmentCode.kind)).all())
        return {kind: found.get(kind, 0) for kind in KINDS}

    def descriptions(self, kind: str) -> dict[str, str]:
        """The imported list of `kind` as code → description."""
        self._ctx.require_signed_in()
        with self._db.session() as s:
            return imported_descriptions(s, kind)
