"""The Benefits tab: who pays for a patient's visits and what the payer said. Its pages are
one line each in `PAGES` (app.ui.widgets.paged_tab)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from app.services.context import UserContext
from app.services.coverage import CoverageService
from app.services.directory import DirectoryService
from app.services.eligibility import EligibilityService
from app.services.eligibility_files import EligibilityFileService
from app.services.estimates import EstimateService
from app.services.patients import PatientService
from app.services.permissions import Permission
from app.ui.widgets.paged_tab import PagedTab, PageSpec


@dataclass(frozen=True)
class BenefitsServices:
    ctx: UserContext
    patients: PatientService
    coverage: CoverageService
    eligibility: EligibilityService
    directory: DirectoryService
    estimates: EstimateService
    eligibility_files: EligibilityFileService


def _patients(sv: BenefitsServices) -> QWidget:
    from app.ui.tabs.benefits.patient_page import PatientPage

    return PatientPage(ctx=sv.ctx, patients=sv.patients, coverage=sv.coverage,
                       eligibility=sv.eligibility, directory=sv.directory,
                       estimates=sv.estimates, files=sv.eligibility_files)


def _files(sv: BenefitsServices) -> QWidget:
    from app.ui.tabs.benefits.files_page import FilesPage

    return FilesPage(ctx=sv.ctx, files=sv.eligibility_files, eligibility=sv.eligibility)


def _can_edit_coverage(ctx: UserContext) -> bool:
    return ctx.can(Permission.EDIT_COVERAGE)


def _can_see_patients(ctx: UserContext) -> bool:
    return ctx.can(Permission.VIEW_PATIENTS)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("Coverage and verification", _patients, _can_see_patients),
    PageSpec("270 / 271 files", _files, _can_edit_coverage),
)


class BenefitsTab(PagedTab):
    slug = "benefits"
    title = "Benefits"

    def __init__(self, *, ctx: UserContext, patients: PatientService, coverage: CoverageService,
                 eligibility: EligibilityService, directory: DirectoryService,
                 estimates: EstimateService, eligibility_files: EligibilityFileService,
                 pages: tuple[PageSpec, ...] = PAGES, parent: QWidget | None = None) -> None:
        sv = BenefitsServices(ctx, patients, coverage, eligibility, directory, estimates,
                              eligibility_files)
        super().__init__(sv, ctx, pages, parent)
