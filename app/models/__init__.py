"""SQLAlchemy models. No Qt and no I/O here (DESIGN.md §1)."""

from app.models.audit import AuditEvent, AuditHead
from app.models.base import Base
from app.models.claims import (
    Claim,
    ClaimSnapshot,
    ClaimStatusEvent,
    ServiceLine,
    Submission,
)
from app.models.codes import (
    CodeSetRelease,
    DiagnosisCode,
    FavoriteCode,
    Modifier,
    ProcedureCode,
)
from app.models.coding import ChargeLine, EncounterDiagnosis
from app.models.coverage import (
    Benefit,
    ControlNumber,
    Coverage,
    CoverageRank,
    DemographicDifference,
    EligibilityCheck,
    EligibilityInquiry,
    X12File,
)
from app.models.fees import ContractRate, FeeScheduleEntry, MueLimit, NcciEdit
from app.models.history import (
    Allergy,
    Document,
    DocumentBlob,
    Encounter,
    Medication,
    Observation,
    Problem,
)
from app.models.imports import ImportLog
from app.models.ledger import LedgerDayTotal, LedgerEntry
from app.models.patient import Patient
from app.models.payer import Payer
from app.models.payments import (
    AdjustmentCode,
    Appeal,
    ClaimPayment,
    DayClose,
    Denial,
    LinePayment,
    PatientPayment,
    PayerCall,
    PayerCallClaim,
    ProviderAdjustment,
    RemitAdjustment,
    RemitException,
    Remittance,
)
from app.models.plans import PaymentPlan, PlanInstallment, PlanLine, PlanPayment
from app.models.practice import Facility, Practice, Provider
from app.models.quality import MeasureResult, MeasureRun, QualityMeasure
from app.models.registries import Registry, RegistryMember
from app.models.settings import Setting
from app.models.statements import (
    AccountStatus,
    DunningLevel,
    Statement,
    StatementRun,
    StatementSettings,
)
from app.models.user import User
from app.models.work import WorkItem

__all__ = [
    "AccountStatus",
    "DunningLevel",
    "Statement",
    "StatementRun",
    "StatementSettings",
    "Claim",
    "ServiceLine",
    "ClaimSnapshot",
    "ClaimStatusEvent",
    "Submission",
    "Benefit",
    "ControlNumber",
    "Coverage",
    "CoverageRank",
    "DemographicDifference",
    "EligibilityCheck",
    "EligibilityInquiry",
    "WorkItem",
    "X12File",
    "ChargeLine",
    "CodeSetRelease",
    "ContractRate",
    "DiagnosisCode",
    "EncounterDiagnosis",
    "FavoriteCode",
    "FeeScheduleEntry",
    "LedgerDayTotal",
    "LedgerEntry",
    "Modifier",
    "MueLimit",
    "NcciEdit",
    "ProcedureCode",
    "Allergy",
    "Document",
    "DocumentBlob",
    "Encounter",
    "Medication",
    "Observation",
    "Problem",
    "AuditEvent",
    "AuditHead",
    "Base",
    "Facility",
    "ImportLog",
    "Patient",
    "AdjustmentCode",
    "Appeal",
    "ClaimPayment",
    "DayClose",
    "Denial",
    "LinePayment",
    "PatientPayment",
    "PayerCall",
    "PayerCallClaim",
    "ProviderAdjustment",
    "RemitAdjustment",
    "RemitException",
    "Remittance",
    "Payer",
    "PaymentPlan",
    "PlanInstallment",
    "PlanLine",
    "PlanPayment",
    "Practice",
    "Provider",
    "MeasureResult",
    "MeasureRun",
    "QualityMeasure",
    "Registry",
    "RegistryMember",
    "Setting",
    "User",
]
