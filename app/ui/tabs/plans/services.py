"""What the Payment plans tab's pages and dialogs may use, handed down as one frozen bundle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.services.context import UserContext
from app.services.patients import PatientService
from app.services.payments import PaymentService
from app.services.plans import PlanService
from app.services.statements import StatementService

if TYPE_CHECKING:
    from app.services import Services


@dataclass(frozen=True)
class PlansServices:
    ctx: UserContext
    plans: PlanService
    payments: PaymentService  # the patient's visit balances; payments taken at the desk
    patients: PatientService  # finding the patient
    statements: StatementService  # statement runs, holds, the collections hand-off

    @classmethod
    def of(cls, sv: Services) -> PlansServices:
        """The bundle from the window's services."""
        return cls(sv.ctx, sv.plans, sv.payments, sv.patients, sv.statements)
