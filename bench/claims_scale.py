"""Claim submission at clinic scale, on the 100,000-patient demo clinic, through the services
the Claims tab uses.

Setup (untimed): 1,000 patients with a primary coverage in force get a coded visit five days
ago (two diagnoses, two HCPCS lines) and a ready claim, written by SQL so the setup stays
short. Then, timed:
- `claims_837p_export_1000`: `SubmissionService.export_837` of the 1,000 electronic claims:
  reading them, building the 837P, validating the whole file with pyx12, recording the batch,
  snapshots and statuses, writing the file. details: the build and the pyx12 validation timed
  alone on the same claims, and the file size.
- `claims_print_1000`: `SubmissionService.print_to_file` of 1,000 paper claims on the CMS-1500,
  data mode, recorded as a print job. details: pages and PDF size.
Only timings and counts leave this module.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.models import (
    ChargeLine,
    Coverage,
    CoverageRank,
    Encounter,
    EncounterDiagnosis,
    Patient,
    Provider,
)
from app.models.claims import READY, Claim, ClaimStatusEvent, ServiceLine
from bench.patient_scale import _services
from bench.registry import Context, Result, measure

CLAIMS = 1000
LINES = (("G0439", "140.00"), ("G2211", "18.00"))


def _patients(s: Any, n: int, skip: int) -> list[tuple[int, int, int]]:
    """(patient, coverage, payer) for `n` patients with a primary coverage in force today."""
    today = date.today()
    q = (select(Patient.id, Coverage.id, Coverage.payer_id)
         .join(CoverageRank, CoverageRank.patient_id == Patient.id)
         .join(Coverage, Coverage.id == CoverageRank.coverage_id)
         .where(CoverageRank.rank == 1, CoverageRank.valid_to.is_(None),
                Coverage.effective_to.is_(None) | (Coverage.effective_to >= today),
                Coverage.relationship == "18", Patient.sex.in_(("M", "F")),
                Patient.address1 != "")
         .order_by(Patient.id).offset(skip).limit(n))
    return [tuple(r) for r in s.execute(q).all()]  # type: ignore[misc]


def _ready_claims(sv: Any, method: str, skip: int) -> int:
    dos = date.today() - timedelta(days=5)
    with sv.db.session() as s:
        provider = s.scalars(select(Provider.id).order_by(Provider.id)).first()
        made = 0
        for pid, cid, payer in _patients(s, CLAIMS, skip):
            enc = Encounter(patient_id=pid, date=dos, provider_id=provider, pos="11",
                            coding_status="coded", coded_by="bench")
            s.add(enc)
            s.flush()
            s.add_all([EncounterDiagnosis(encounter_id=enc.id, position=1, code="I10"),
                       EncounterDiagnosis(encounter_id=enc.id, position=2, code="E119")])
            claim = Claim(patient_id=pid, encounter_id=enc.id, coverage_id=cid,
                          payer_id=payer, status=READY, method=method, diagnoses="I10,E119",
                          rendering_provider_id=provider, created_by="bench")
            s.add(claim)
            s.flush()
            for n, (code, fee) in enumerate(LINES, start=1):
                cl = ChargeLine(encounter_id=enc.id, patient_id=pid, line_no=n, dos=dos,
                                system="hcpcs", code=code, units=Decimal(1), pointers="AB"[:n],
                                charge=Decimal(fee), created_by="bench")
                s.add(cl)
                s.flush()
                line = ServiceLine(claim_id=claim.id, charge_line_id=cl.id, line_no=n, dos=dos,
                                 pos="11", code=code, pointers="AB"[:n], units=Decimal(1),
                                 charge=Decimal(fee))
                s.add(line)
                s.flush()
                line.control_number = f"L{line.id}"
            s.add(ClaimStatusEvent(claim_id=claim.id, status=READY, by="bench"))
            made += 1
        return made


def _timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


@measure("claims_837p_export_1000",
         "seconds for SubmissionService.export_837 of 1,000 ready electronic claims (2 lines "
         "each) on the 100,000-patient clinic: build, pyx12 validation of the whole file, "
         "batch + snapshots + statuses recorded, file written. details: build and validation "
         "alone, file size.")
def export_837(ctx: Context) -> Result:
    from app.formats.x12.validate import validate_837p
    from app.formats.x12.x837p import build_837p
    from app.services.claim_document import document
    from app.services.settings import read_edi
    from app.services.submissions import _envelope, submitter_for

    out = ctx.scratch("claims837") / "batch.837"
    with _services(ctx.clinic()) as sv:
        made = _ready_claims(sv, "electronic", 0)
        with sv.db.session() as s:
            claims = list(s.scalars(select(Claim).where(Claim.status == READY,
                                                        Claim.method == "electronic")))
            read_s, docs = _timed(lambda: [document(s, c) for c in claims])
            edi = read_edi(s)
            build_s, data = _timed(lambda: build_837p(docs, submitter_for(s, edi),
                                                      _envelope(s, edi)))
            s.rollback()
        validate_s, problems = _timed(lambda: validate_837p(data))
        total_s, result = _timed(lambda: sv.submissions.export_837(out))
    return Result(round(total_s, 2), "s", {
        "claims": result.claims, "made": made, "read_documents_s": round(read_s, 2),
        "build_s": round(build_s, 2), "pyx12_validate_s": round(validate_s, 2),
        "problems": len(problems), "file_kib": round(out.stat().st_size / 1024, 1)})


@measure("claims_print_1000",
         "seconds for SubmissionService.print_to_file of 1,000 ready paper claims (2 lines "
         "each) on the CMS-1500 in data mode, recorded as a print job. details: pages, PDF "
         "size.")
def print_1000(ctx: Context) -> Result:
    from pypdf import PdfReader

    out = ctx.scratch("claims1500") / "forms.pdf"
    with _services(ctx.clinic()) as sv:
        made = _ready_claims(sv, "paper", CLAIMS)
        total_s, result = _timed(lambda: sv.submissions.print_to_file(out, None, "data"))
    return Result(round(total_s, 2), "s", {
        "claims": result.claims, "made": made, "pages": len(PdfReader(str(out)).pages),
        "pdf_kib": round(out.stat().st_size / 1024, 1)})
