"""The demo clinic's follow-up of abnormal BMIs: at most visits where an adult's BMI was
outside 18.5–25 in the last two years, the provider counselled on diet (ICD-10-CM Z71.3,
"Dietary counseling and surveillance", added to the visit's diagnoses), as many practices
document it. Without it the BMI screening and follow-up measure (modelled on CMS69) would
read near zero on the demo, which no clinic that screens looks like. Only visits not yet
coded get it, so no claim or charge changes."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.formats.observations import BMI
from app.models import Encounter, EncounterDiagnosis, Observation
from app.services.database import Database

COUNSELLED = 0.65  # share of visits with an abnormal BMI where the counselling is coded
COUNSELLING = "Z713"  # Z71.3, stored without its dot as coded diagnoses are
YEARS_BACK = 2


def add_demo_counselling(db: Database, *, seed: int, today: date) -> int:
    """Code the counselling on the demo's visits; returns how many visits got it."""
    rng = random.Random(f"clinic-clerk demo counselling {seed}")  # noqa: S311 - made-up data
    since = today - timedelta(days=365 * YEARS_BACK)
    with db.session() as s:
        visits = s.execute(
            select(Observation.encounter_id)
            .join(Encounter, Encounter.id == Observation.encounter_id)
            .where(Observation.code == BMI.code, Observation.observed_on >= since,
                   (Observation.value < Decimal("18.5")) | (Observation.value >= 25),
                   Encounter.coding_status == "uncoded")
            .distinct().order_by(Observation.encounter_id)).scalars().all()
        chosen = [v for v in visits if v is not None and rng.random() < COUNSELLED]
        taken = _positions(s, chosen)
        rows = [dict(encounter_id=v, position=taken.get(v, 0) + 1, code=COUNSELLING)
                for v in chosen if taken.get(v, 0) < 12]
        if rows:
            s.execute(insert(EncounterDiagnosis), rows)
        return len(rows)


def _positions(s: Session, ids: list[int]) -> dict[int, int]:
    """The last diagnosis position of each visit, read in pieces (SQLite's parameter limit)."""
    out: dict[int, int] = {}
    for i in range(0, len(ids), 900):
        part = ids[i:i + 900]
        out.update(s.execute(select(EncounterDiagnosis.encounter_id,
                                    func.max(EncounterDiagnosis.position))
                             .where(EncounterDiagnosis.encounter_id.in_(part))
                             .group_by(EncounterDiagnosis.encounter_id)).all())
    return out
