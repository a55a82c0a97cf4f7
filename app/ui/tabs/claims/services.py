"""What the Claims tab's pages and dialogs may use, handed down as one frozen bundle (the
Coding tab does the same with `PanelServices`)."""

from __future__ import annotations

from dataclasses import dataclass

from app.services.claims import ClaimService
from app.services.context import UserContext
from app.services.coverage import CoverageService
from app.services.directory import DirectoryService
from app.services.patients import PatientService
from app.services.payer_calls import PayerCallService
from app.services.printers import PrinterCalibration
from app.services.settings import SettingsService
from app.services.submissions import SubmissionService


@dataclass(frozen=True)
class ClaimsServices:
    ctx: UserContext
    claims: ClaimService
    submissions: SubmissionService
    directory: DirectoryService  # providers and facilities for the editor; the fix dialogs
    settings: SettingsService  # the 837P settings a scrubber issue may point at
    patients: PatientService  # the patient dialog a scrubber issue may point at
    coverage: CoverageService  # the coverage dialog a scrubber issue may point at
    calibration: PrinterCalibration  # this workstation's printer offsets
    calls: PayerCallService | None = None  # the calls logged about a claim (follow-up roles)
