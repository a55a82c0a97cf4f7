"""The demo clinic's coding reference data: the bundled ICD-10-CM release, a few HCPCS
Level II codes a family practice bills (described in our own words; CPT is licensed by each
clinic and never shipped, so the demo has none), a fee schedule for them, and a quick-pick
list per provider. Real clinics import the CMS HCPCS file and their own CPT file instead."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.models import FavoriteCode, FeeScheduleEntry, ProcedureCode, Provider
from app.models.codes import HCPCS, ICD10CM
from app.services.code_sets import ensure_bundled_icd10cm
from app.services.database import Database

# code, description, is_drug, practice charge
DEMO_PROCEDURES: tuple[tuple[str, str, bool, str], ...] = (
    ("G0402", "Initial preventive physical examination (Welcome to Medicare)", False, "210.00"),
    ("G0438", "Annual wellness visit, first", False, "195.00"),
    ("G0439", "Annual wellness visit, subsequent", False, "140.00"),
    ("G2211", "Visit complexity add-on for ongoing care", False, "18.00"),
    ("G0444", "Annual depression screening, 5-15 minutes", False, "22.00"),
    ("G0442", "Annual alcohol misuse screening, 5-15 minutes", False, "20.00"),
    ("G0447", "Face-to-face behavioural counselling for obesity, 15 minutes", False, "30.00"),
    ("G0008", "Giving an influenza vaccine", False, "25.00"),
    ("G0009", "Giving a pneumococcal vaccine", False, "25.00"),
    ("Q0091", "Obtaining a screening Pap smear", False, "48.00"),
    ("J1100", "Dexamethasone sodium phosphate injection, 1 mg", True, "4.00"),
    ("J3420", "Vitamin B-12 (cyanocobalamin) injection, up to 1,000 mcg", True, "12.00"),
    ("J1885", "Ketorolac tromethamine injection, 15 mg", True, "9.00"),
    ("J0696", "Ceftriaxone sodium injection, 250 mg", True, "15.00"),
)
DEMO_DIAGNOSES = ("I10", "E119", "E785", "J069", "Z0000", "Z0001", "E669", "F419", "M5450",
                  "K219")
DEMO_PICKS = ("G0439", "G2211", "G0444", "G0008", "J1100")


def add_coding_reference(db: Database) -> None:
    """Load the bundled ICD-10-CM release and the demo's procedures, fees and quick picks."""
    ensure_bundled_icd10cm(db)
    with db.session() as s:
        for code, text, drug, charge in DEMO_PROCEDURES:
            s.add(ProcedureCode(system=HCPCS, code=code, short_description=text[:60],
                                long_description=text, source="manual", is_drug=drug))
            s.add(FeeScheduleEntry(code=code, modifier="", charge=Decimal(charge),
                                   updated_by="demo"))
        for provider_id in s.scalars(select(Provider.id).order_by(Provider.id)):
            for n, code in enumerate(DEMO_DIAGNOSES, 1):
                s.add(FavoriteCode(provider_id=provider_id, system=ICD10CM, code=code,
                                   position=n))
            for n, code in enumerate(DEMO_PICKS, 1):
                s.add(FavoriteCode(provider_id=provider_id, system=HCPCS, code=code,
                                   position=n))
