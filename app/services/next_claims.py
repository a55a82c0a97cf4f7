"""Claims to the next coverage, many at once: what posting a remittance does after the
primary (or secondary) payer leaves an amount to the next coverage.

The claim is the one `claims.build_claim` makes for that coverage (same header from
`claim_values`, same lines from `line_values`, same history step and audit event), but an
835 can leave hundreds of them, so the visits, their charge lines, diagnoses and the lines
already billed are read once for all, and the rows go in through Core with ids handed out
in order (one writer: the posting transaction holds the lock). Only ranks after the primary
come here: a primary claim also moves ledger balances, which `build_claim` does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from app.models import ChargeLine, Claim, ClaimStatusEvent, Coverage, Encounter, ServiceLine
from app.models.claims import DRAFT
from app.models.coding import CODING_STATUSES, EncounterDiagnosis
from app.services.audit import Event, append_events
from app.services.claims import (
    SEQUENCES,
    billed_charge_lines,
    claim_values,
    control_number_of,
    line_values,
)
from app.services.context import CurrentUser

CHUNK = 900  # SQLite's bound-parameter limit, with room to spare


@dataclass(frozen=True)
class NextClaim:
    """Bill these charge lines of a visit to `coverage`, ranked `rank` (2 or 3) that day."""

    encounter_id: int
    coverage_id: int
    rank: int
    charge_line_ids: tuple[int, ...]
    note: str


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    ids = sorted(set(ids))
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]


def build_next_claims(s: Session, user: CurrentUser,
                      wanted: Sequence[NextClaim]) -> list[int | None]:
    """Draft claims for `wanted`, in its order: the new claim's id, or None where there is
    nothing to bill (the visit is not coded, or every line is already on a live claim of
    that rank — the clerk built it by hand, or an earlier item of `wanted` did)."""
    if any(w.rank not in (2, 3) for w in wanted):
        raise ValueError("build_next_claims builds secondary and tertiary claims only")
    encounters: dict[int, Encounter] = {}
    coverages: dict[int, Coverage] = {}
    lines: dict[int, ChargeLine] = {}
    codes: dict[int, list[str]] = defaultdict(list)
    for part in _chunks([w.encounter_id for w in wanted]):
        encounters.update((e.id, e) for e in s.scalars(
            select(Encounter).where(Encounter.id.in_(part))))
        q = (select(EncounterDiagnosis.encounter_id, EncounterDiagnosis.code)
             .where(EncounterDiagnosis.encounter_id.in_(part))
             .order_by(EncounterDiagnosis.encounter_id, EncounterDiagnosis.position))
        for eid, code in s.execute(q):
            codes[eid].append(code)
    for part in _chunks([w.coverage_id for w in wanted]):
        coverages.update((c.id, c) for c in s.scalars(
            select(Coverage).where(Coverage.id.in_(part))))
    for part in _chunks([i for w in wanted for i in w.charge_line_ids]):
        lines.update((ln.id, ln) for ln in s.scalars(
            select(ChargeLine).where(ChargeLine.id.in_(part), ChargeLine.voided_at.is_(None))))
    billed: dict[str, set[int]] = {}
    for sequence in {SEQUENCES[w.rank] for w in wanted}:
        billed[sequence] = set()
        for part in _chunks(list(lines)):
            billed[sequence] |= billed_charge_lines(s, part, sequence)

    claim_id = (s.scalar(select(func.max(Claim.id))) or 0) + 1
    line_id = (s.scalar(select(func.max(ServiceLine.id))) or 0) + 1
    claim_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    audit: list[Event] = []
    out: list[int | None] = []
    for w in wanted:
        enc, sequence = encounters.get(w.encounter_id), SEQUENCES[w.rank]
        todo = sorted((lines[i] for i in set(w.charge_line_ids)
                       if i in lines and i not in billed[sequence]
                       and lines[i].encounter_id == w.encounter_id),
                      key=lambda ln: (ln.line_no, ln.id))
        if enc is None or enc.coding_status not in CODING_STATUSES[1:] or not todo:
            out.append(None)
            continue
        claim_rows.append(dict(claim_values(user, enc, coverages[w.coverage_id], sequence,
                                            codes[enc.id]), id=claim_id))
        for n, ln in enumerate(todo, start=1):
            line_rows.append(dict(line_values(claim_id, n, ln, enc.pos), id=line_id,
                                  control_number=control_number_of(line_id)))
            billed[sequence].add(ln.id)
            line_id += 1
        events.append(dict(claim_id=claim_id, status=DRAFT, detail=w.note,
                           submission_id=None, by=user.username))
        audit.append(Event("claim.create", entity="claim", entity_id=claim_id,
                           patient_id=enc.patient_id,
                           details={"lines": len(todo), "rank": w.rank}))
        out.append(claim_id)
        claim_id += 1
    for model, rows in ((Claim, claim_rows), (ServiceLine, line_rows),
                        (ClaimStatusEvent, events)):
        if rows:
            s.execute(cast(Table, model.__table__).insert(), rows)
    append_events(s, user, audit)
    return out
