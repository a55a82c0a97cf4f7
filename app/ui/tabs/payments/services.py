"""What the Payments tab's pages and dialogs may use, handed down as one frozen bundle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.services.adjustment_code_lists import AdjustmentCodeListService
from app.services.aging import AgingService
from app.services.appeals import AppealService
from app.services.claims import ClaimService
from app.services.context import UserContext
from app.services.day_close import DayCloseService
from app.services.directory import DirectoryService
from app.services.followup import WorkQueueService
from app.services.patients import PatientService
from app.services.payer_calls import PayerCallService
from app.services.payments import PaymentService
from app.services.remittances import RemittanceService

if TYPE_CHECKING:
    from app.services import Services


@dataclass(frozen=True)
class PaymentsServices:
    ctx: UserContext
    remittances: RemittanceService
    aging: AgingService
    claims: ClaimService
    directory: DirectoryService
    patients: PatientService
    work: WorkQueueService
    calls: PayerCallService
    appeals: AppealService
    payments: PaymentService
    day_close: DayCloseService
    users: Any = None  # UserService (kept for dialogs that need the signed-in user)
    codes: AdjustmentCodeListService | None = None  # X12's CARC/RARC lists
    plans: Any = None  # PlanService: a desk payment counts toward the patient's plan

    @classmethod
    def of(cls, sv: Services) -> PaymentsServices:
        """The bundle from the window's services."""
        return cls(sv.ctx, sv.remittances, sv.aging, sv.claims, sv.directory, sv.patients,
                   sv.work_queue, sv.payer_calls, sv.appeals,
                   sv.payments, sv.day_close, sv.users, sv.adjustment_codes, sv.plans)
