"""The demo clinic's registries: the diabetes registry made from its template and filled from
its rule (the demo's diabetics), with the yearly checks typed in for some members and
follow-up dates spread around the demo's day, so some are overdue."""

from __future__ import annotations

import random
from datetime import date, timedelta

from app.services import Services
from app.services.database import Database
from app.services.registries import TEMPLATES

DIABETES = next(t for t in TEMPLATES if t.name == "Diabetes registry")
FILLED = 40  # members whose checks the demo types in


def add_demo_registries(db: Database, passphrase: str, admin: str, password: str, *,
                        seed: int, today: date) -> int:
    """Signed in as the demo's admin: the diabetes registry, refreshed; returns its size."""
    rng = random.Random(f"clinic-clerk demo registries {seed}")  # noqa: S311 - made-up data
    sv = Services(db, passphrase)
    sv.users.sign_in(admin, password)
    try:
        rid = sv.registries.save_registry(DIABETES).id
        assert rid is not None
        size = sv.registries.refresh(rid, today).members
        for m in sv.registries.members(rid, today=today)[:FILLED]:
            eye = today - timedelta(days=rng.randint(20, 500))
            follow = today + timedelta(days=rng.randint(-60, 120))
            sv.registries.set_values(m.member_id, {
                "eye_exam_on": f"{eye:%m/%d/%Y}",
                "foot_exam_on": f"{eye + timedelta(days=rng.randint(0, 90)):%m/%d/%Y}"
                if rng.random() < 0.7 else "",
                "education": rng.choice(("Offered", "Completed", "Not offered")),
                "follow_up_on": f"{follow:%m/%d/%Y}"}, m.version)
        return size
    finally:
        sv.users.sign_out()
