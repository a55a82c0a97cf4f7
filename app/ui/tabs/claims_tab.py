"""The Claims tab: claims built from coded visits, checked by the scrubber until the payer
can accept them the first time, then printed or sent. Its pages are one line each in `PAGES`
(app.ui.widgets.paged_tab)."""

from __future__ import annotations

from PySide6.QtCore import QMetaMethod, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.services.claims import ClaimService
from app.services.context import UserContext
from app.services.coverage import CoverageService
from app.services.directory import DirectoryService
from app.services.patients import PatientService
from app.services.payer_calls import PayerCallService
from app.services.permissions import Permission
from app.services.printers import PrinterCalibration
from app.services.settings import SettingsService
from app.services.submissions import SubmissionService
from app.ui.tabs.claims.services import ClaimsServices
from app.ui.widgets.paged_tab import PagedTab, PageSpec

CLAIMS, SUBMIT = "Claims", "Submit"


def _claims(sv: ClaimsServices) -> QWidget:
    from app.ui.tabs.claims.claims_page import ClaimsPage

    return ClaimsPage(sv)


def _submit(sv: ClaimsServices) -> QWidget:
    from app.ui.tabs.claims.submit_page import SubmitPage

    return SubmitPage(sv)


def _can_manage_claims(ctx: UserContext) -> bool:
    return ctx.can(Permission.MANAGE_CLAIMS)


PAGES: tuple[PageSpec, ...] = (
    PageSpec(CLAIMS, _claims, _can_manage_claims),
    PageSpec(SUBMIT, _submit, _can_manage_claims),
)


class ClaimsTab(PagedTab):
    slug = "claims"
    title = "Claims"
    # A scrubber issue on the visit's coding: the main window brings the Coding tab up on it.
    openEncounterRequested = Signal(int)

    def __init__(self, *, ctx: UserContext, claims: ClaimService,
                 submissions: SubmissionService, directory: DirectoryService,
                 settings: SettingsService, patients: PatientService,
                 coverage: CoverageService, calibration: PrinterCalibration | None = None,
                 calls: PayerCallService | None = None,
                 pages: tuple[PageSpec, ...] = PAGES, parent: QWidget | None = None) -> None:
        sv = ClaimsServices(ctx, claims, submissions, directory, settings, patients, coverage,
                            calibration or PrinterCalibration(),
                            calls if ctx.can(Permission.WORK_FOLLOW_UP) else None)
        super().__init__(sv, ctx, pages, parent)
        if CLAIMS in self.pages:
            self.pages[CLAIMS].openEncounter.connect(self.code_visit)
        if SUBMIT in self.pages:
            self.pages[SUBMIT].openClaim.connect(self.open_claim)

    def open_claim(self, claim_id: int) -> None:
        """The claim in the editor, over the Claims page."""
        self.page(CLAIMS).open_claim(claim_id)

    def code_visit(self, encounter_id: int) -> None:
        """Ask the window for the Coding tab on this visit; alone, say where to go."""
        signal = QMetaMethod.fromSignal(self.openEncounterRequested)
        if self.isSignalConnected(signal):
            self.openEncounterRequested.emit(encounter_id)
            return
        QMessageBox.information(self, "Coding", f"Open the Coding tab and code visit "
                                f"{encounter_id}, then check the claim again.")
