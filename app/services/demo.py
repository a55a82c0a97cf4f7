"""A deterministic synthetic clinic for trying the app, demos, screenshots and benchmarks.

Every person in it is made up: surnames are built from syllables, phone numbers use the
fictional 555-01xx range, SSNs start with 9 (never issued as SSNs), e-mail is @example.com.
Dates run up to the day the demo is made so current-period views have data. Every patient
also gets a clinical history (app.services.demo_history), and the clinic its coding reference
data (app.services.demo_coding).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.formats.identifiers import npi_check_digit
from app.formats.names import fold
from app.models import Facility, Patient, Payer, Provider
from app.services.audit import append_event
from app.services.clinic import NewClinic, create_clinic
from app.services.database import Database
from app.services.demo_benefits import add_benefits
from app.services.demo_claims import add_claims
from app.services.demo_coding import add_coding_reference
from app.services.demo_history import BULK_MIN_PATIENTS, add_histories, bulk_load
from app.services.demo_payments import add_demo_payments
from app.services.demo_quality import add_demo_counselling
from app.services.demo_registries import add_demo_registries
from app.services.demo_statements import add_demo_statements
from app.services.directory import PracticeData
from app.services.settings import IS_DEMO, put
from app.services.users import add_user

DEMO_PASSPHRASE = "demo clinic passphrase"  # noqa: S105 - documented demo value
DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - documented demo value
DEMO_ADMIN = "admin"
DEMO_STAFF = (("frontdesk", "Fran Deskworth", "front_desk"),
              ("coder", "Cody Ledgerman", "coder"),
              ("biller", "Bill Paymore", "biller"))

FIRST = ("Ava Ben Cara Dev Eli Faye Gus Hana Ian Jade Kai Lena Milo Nora Owen Pia Quinn Rosa "
         "Sam Tess Uma Vic Wren Xavi Yara Zoë Ana Bruno Chloé Dario Emil Farah Gil Iris José "
         "Kira Luis Maya Nico Olga Paul Rémy Sofia Theo Vera Will").split()
_PRE = ("Ash Bel Cor Dun El Fen Gar Hal Jor Kel Lan Mor Nor Ost Pem Quin Ros Sel Tal Ven Wes "
        "Yar Zel Brad Crom Dal Har Lom Mar Pel Rad Sto Tre").split()
_SUF = "by croft dale field ford gate ham ley more ridge ton wick worth brook mont ster".split()
STREETS = "Oak Elm Cedar Birch Willow Aspen Poplar Alder Juniper Hazel Laurel Spruce".split()
CITIES = (("Brookhaven", "NY", "11719"), ("Millbridge", "PA", "19001"),
          ("Fairview", "OH", "44126"), ("Lakeside", "MI", "49116"),
          ("Cedarburg", "WI", "53012"), ("Riverton", "NJ", "08077"))


@dataclass(frozen=True)
class DemoResult:
    path: Path
    patients: int
    admin_username: str
    history_rows: dict[str, int] = field(default_factory=dict)  # table → rows added


def _surname(rng: random.Random) -> str:
    name = rng.choice(_PRE) + rng.choice(_SUF)
    roll = rng.random()
    if roll < 0.03:
        return "O'" + name
    if roll < 0.05:
        return name + "-" + rng.choice(_PRE) + rng.choice(_SUF)
    return name


def _npi(rng: random.Random) -> str:
    nine = "1" + "".join(rng.choice("0123456789") for _ in range(8))
    return nine + npi_check_digit(nine)


def _patient(rng: random.Random, n: int, today: date, start: datetime) -> dict[str, object]:
    first = rng.choice(FIRST)
    last = _surname(rng)
    city, state, zip5 = rng.choice(CITIES)
    age_days = rng.randint(0, 90 * 365)
    span = int((datetime.combine(today, time.max, UTC) - start).total_seconds())
    return {
        "mrn": f"M{n:07d}",
        "last_key": fold(last),
        "first_key": fold(first),
        "last_name": last,
        "first_name": first,
        "middle_name": rng.choice(("", "", "A", "J", "M", "L")),
        "dob": today - timedelta(days=age_days),
        "sex": rng.choice("MMMMFFFFFU"),
        "address1": f"{rng.randint(1, 9999)} {rng.choice(STREETS)} St",
        "city": city,
        "state": state,
        "zip": zip5 + (f"{rng.randint(0, 9999):04d}" if rng.random() < 0.5 else ""),
        "phone": f"{rng.choice(('212', '215', '216', '269', '262', '856'))}55501"
                 f"{rng.randint(0, 99):02d}",
        "email": f"{first.lower()}.{n}@example.com" if rng.random() < 0.6 else "",
        "ssn": f"9{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.5 else "",
        "created_at": start + timedelta(seconds=rng.randint(0, span)),
    }


def create_demo(path: Path, *, patients: int = 2000, seed: int = 1,
                today: date | None = None) -> DemoResult:
    """Make a new demo clinic at `path`. The passphrase, admin name and admin password come
    from CLINIC_CLERK_PASSPHRASE, CLINIC_CLERK_USER and CLINIC_CLERK_PASSWORD when set."""
    today = today or date.today()
    rng = random.Random(seed)
    admin = os.environ.get("CLINIC_CLERK_USER") or DEMO_ADMIN
    clinic = NewClinic(
        passphrase=os.environ.get("CLINIC_CLERK_PASSPHRASE") or DEMO_PASSPHRASE,
        practice=PracticeData(
            name="Maple Grove Family Medicine", npi=_npi(rng), ein="991234567",
            taxonomy="207Q00000X", address1="100 Demo Way", city="Brookhaven", state="NY",
            zip="117191234", phone="2125550100"),
        admin_username=admin, admin_full_name="Ada Adminson",
        admin_password=os.environ.get("CLINIC_CLERK_PASSWORD") or DEMO_PASSWORD,
    )
    db = create_clinic(path, clinic)
    try:
        with db.session() as s:
            _directory(s, rng)
            for username, full_name, role in DEMO_STAFF:
                if username != admin:
                    add_user(s, None, username, full_name, role, DEMO_PASSWORD)
            put(s, IS_DEMO, "1")
        with bulk_load(db, enabled=patients >= BULK_MIN_PATIENTS):
            _patients(db, rng, patients, today)
            # Histories draw from their own random stream: the patients stay what they were.
            history = add_histories(db, seed=seed, today=today)
        add_coding_reference(db)
        add_benefits(db, seed=seed, today=today)
        add_claims(db, clinic.passphrase, admin, clinic.admin_password, seed=seed, today=today)
        add_demo_payments(db, clinic.passphrase, admin, clinic.admin_password, seed=seed,
                          today=today)
        add_demo_statements(db, clinic.passphrase, admin, clinic.admin_password, today=today)
        add_demo_counselling(db, seed=seed, today=today)
        add_demo_registries(db, clinic.passphrase, admin, clinic.admin_password, seed=seed,
                            today=today)
        with db.session() as s:
            append_event(s, None, "demo.create", details={"patients": patients, "seed": seed})
    finally:
        db.close()
    return DemoResult(path, patients, admin, history)


def _directory(s: Session, rng: random.Random) -> None:
    for last, first, cred in (("Hollowell", "Marta", "MD"), ("Quenby", "Arjun", "DO"),
                              ("Tarrow", "Lise", "NP")):
        s.add(Provider(last_name=last, first_name=first, credential=cred, npi=_npi(rng),
                       taxonomy="207Q00000X" if cred != "NP" else "363LF0000X"))
    s.add(Facility(name="Main office", pos="11", address1="100 Demo Way", city="Brookhaven",
                   state="NY", zip="117191234"))
    s.add(Facility(name="Telehealth", pos="10", address1="100 Demo Way", city="Brookhaven",
                   state="NY", zip="117191234"))
    for name, pid, cfi, days in (("Medicare Part B (demo)", "DEMO-MCR", "MB", 365),
                                 ("State Medicaid (demo)", "DEMO-MCD", "MC", 365),
                                 ("Bluebell Shield (demo)", "DEMO-BLU", "BL", 180),
                                 ("Acme Health Plan (demo)", "DEMO-ACM", "CI", 90),
                                 ("Sunrise HMO (demo)", "DEMO-SUN", "HM", 120)):
        s.add(Payer(name=name, payer_id=pid, claim_filing_indicator=cfi,
                    timely_filing_days=days, phone="8005550199",
                    portal="https://portal.example.com/" + pid.lower()))


def _patients(db: Database, rng: random.Random, count: int, today: date) -> None:
    start = datetime.combine(today - timedelta(days=3652), time.min, UTC)
    batch = 10_000
    for lo in range(0, count, batch):
        rows = [_patient(rng, n + 1, today, start) for n in range(lo, min(count, lo + batch))]
        with db.session() as s:
            s.execute(insert(Patient), rows)
