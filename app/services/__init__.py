"""Use cases: sessions, permission checks, audit, business rules. No Qt (DESIGN.md §1)."""

from __future__ import annotations

from app.services.adjustment_code_lists import AdjustmentCodeListService
from app.services.aging import AgingService
from app.services.appeals import AppealService
from app.services.audit import AuditService
from app.services.backup import BackupService
from app.services.claims import ClaimService
from app.services.code_sets import CodeSetService
from app.services.coding import CodingService
from app.services.context import UserContext
from app.services.coverage import CoverageService
from app.services.database import Database
from app.services.day_close import DayCloseService
from app.services.directory import DirectoryService
from app.services.documents import DocumentService
from app.services.eligibility import EligibilityService
from app.services.eligibility_files import EligibilityFileService
from app.services.estimates import EstimateService
from app.services.favorites import FavoriteService
from app.services.fees import FeeService
from app.services.fhir_export import FhirExportService
from app.services.followup import WorkQueueService
from app.services.history import HistoryService
from app.services.ledger import LedgerService
from app.services.ncci import NcciService
from app.services.patient_import import PatientImportService
from app.services.patients import PatientService
from app.services.payer_calls import PayerCallService
from app.services.payments import PaymentService
from app.services.plans import PlanService
from app.services.procedure_codes import ProcedureCodeService
from app.services.quality import QualityService
from app.services.registries import RegistryService
from app.services.remittances import RemittanceService
from app.services.settings import SettingsService
from app.services.statements import StatementService, payment_plans
from app.services.submissions import SubmissionService
from app.services.summary import SummaryService
from app.services.users import UserService


class Services:
    """Every service of one open clinic, sharing one signed-in user. Built once by the
    window or the CLI; tabs receive only the services they need."""

    def __init__(self, db: Database, passphrase: str | None) -> None:
        self.db = db
        self.ctx = UserContext()
        self.users = UserService(db, self.ctx)
        self.audit = AuditService(db, self.ctx)
        self.directory = DirectoryService(db, self.ctx)
        self.settings = SettingsService(db, self.ctx)
        self.backup = BackupService(db, self.ctx, passphrase)
        self.patients = PatientService(db, self.ctx)
        self.history = HistoryService(db, self.ctx)
        self.documents = DocumentService(db, self.ctx)
        self.summary = SummaryService(db, self.ctx)
        self.patient_import = PatientImportService(db, self.ctx)
        self.code_sets = CodeSetService(db, self.ctx)
        self.procedure_codes = ProcedureCodeService(db, self.ctx)
        self.favorites = FavoriteService(db, self.ctx)
        self.fees = FeeService(db, self.ctx)
        self.ncci = NcciService(db, self.ctx)
        self.coding = CodingService(db, self.ctx)
        self.ledger = LedgerService(db, self.ctx)
        self.coverage = CoverageService(db, self.ctx)
        self.eligibility = EligibilityService(db, self.ctx)
        self.eligibility_files = EligibilityFileService(db, self.ctx)
        self.estimates = EstimateService(db, self.ctx)
        self.claims = ClaimService(db, self.ctx)
        self.submissions = SubmissionService(db, self.ctx)
        self.remittances = RemittanceService(db, self.ctx)
        self.aging = AgingService(db, self.ctx)
        self.adjustment_codes = AdjustmentCodeListService(db, self.ctx)
        self.work_queue = WorkQueueService(db, self.ctx)
        self.payer_calls = PayerCallService(db, self.ctx)
        self.appeals = AppealService(db, self.ctx)
        self.payments = PaymentService(db, self.ctx)
        self.plans = PlanService(db, self.ctx)
        self.statements = StatementService(db, self.ctx, plans=payment_plans)
        self.day_close = DayCloseService(db, self.ctx)
        self.quality = QualityService(db, self.ctx)
        self.registries = RegistryService(db, self.ctx)
        self.fhir = FhirExportService(db, self.ctx)


__all__ = ["Services"]
