"""A clinic ready to bill: practice, provider, facility, payers with addresses, a patient with
full demographics and a verified coverage, code sets and a coded visit; 837P settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.formats.names import fold
from app.models import EligibilityCheck, Patient
from app.services import Services
from app.services.coding import CodingDraft, LineDraft
from app.services.coverage import CoverageData
from app.services.directory import FacilityData, PayerData, PracticeData, ProviderData
from app.services.history import EncounterData
from app.services.settings import EdiSettings
from tests.conftest import ADMIN
from tests.unit.test_coding import seed_codes

DOS = date.today() - timedelta(days=10)
NPI_PRACTICE = "1234567893"
NPI_PROVIDER = "1245319599"
NPI_REFERRING = "1003000126"


@dataclass(frozen=True)
class Clinic:
    payer_id: int
    other_payer_id: int
    provider_id: int
    referring_id: int
    facility_id: int


def clinic(sv: Services) -> Clinic:
    seed_codes(sv)
    d = sv.directory
    old = d.practice()
    d.save_practice(PracticeData("Maple Family Practice", NPI_PRACTICE, "123456789",
                                 "207Q00000X", "100 Main St", "Springfield", "IL", "627011234",
                                 "2175550100", version=old.version if old else 0))
    prov = d.save_provider(ProviderData("Smith", "Anna", NPI_PROVIDER, "MD", "207Q00000X"))
    ref = d.save_provider(ProviderData("Jones", "Ray", NPI_REFERRING, "MD"))
    fac = d.save_facility(FacilityData("Maple Annex", "11", "200 Oak Ave", "Springfield", "IL",
                                       "627021111"))
    acme = d.save_payer(PayerData("Acme Health", "ACME1", "CI", 365, "8005550101", "",
                                  "PO Box 100", "", "Chicago", "IL", "606011000"))
    bravo = d.save_payer(PayerData("Bravo Care", "BRAVO", "MB", 365, "8005550102", "",
                                   "PO Box 200", "", "Peoria", "IL", "616021000"))
    sv.settings.set_edi(EdiSettings(submitter_id="MAPLE01", contact_name="Billing Office",
                                    receiver_id="CLEARHOUSE", receiver_name="Clear House"))
    assert prov.id and ref.id and fac.id and acme.id and bravo.id
    return Clinic(acme.id, bravo.id, prov.id, ref.id, fac.id)


def patient(sv: Services, n: int, last: str = "Doe", first: str = "Jane", sex: str = "F",
            dob: date = date(1980, 5, 17)) -> int:
    with sv.db.session() as s:
        p = Patient(mrn=f"M{n:07d}", last_name=last, first_name=first, dob=dob, sex=sex,
                    address1="12 Elm St", city="Springfield", state="IL", zip="62704",
                    phone="2175550199", last_key=fold(last), first_key=fold(first))
        s.add(p)
        s.flush()
        return p.id


def cover(sv: Services, pid: int, payer_id: int, *, verified: bool = True,
          start: date = date(2020, 1, 1), **kw: object) -> int:
    data = CoverageData(pid, payer_id, "W123456789", start, assignment_on_file=True,  # type: ignore[arg-type]
                        assignment_signed_on=start, release_on_file=True,
                        release_signed_on=start, **kw)
    row = sv.coverage.save(data)
    cid = row.data.id
    assert cid is not None
    if verified:
        with sv.db.session() as s:
            s.add(EligibilityCheck(coverage_id=cid, patient_id=pid, checked_on=DOS - timedelta(
                days=1), method="phone", active=True, checked_by=ADMIN))
    return cid


def coded_visit(sv: Services, pid: int, c: Clinic, *lines: LineDraft, on: date = DOS,
                dx: tuple[str, ...] = ("E11.9", "I10")) -> int:
    enc = sv.history.save(EncounterData(pid, on, reason="Follow-up", provider_id=c.provider_id,
                                        facility_id=c.facility_id))
    assert enc.id is not None
    draft = CodingDraft(dx, lines or (LineDraft("99213", pointers="AB"),))
    sv.coding.save(enc.id, sv.coding.open(enc.id).version, draft)
    return enc.id
