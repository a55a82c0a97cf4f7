"""What the Quality tab's pages and dialogs may use, handed down as one frozen bundle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.services.context import UserContext
from app.services.fhir_export import FhirExportService
from app.services.patients import PatientService
from app.services.quality import QualityService
from app.services.registries import RegistryService

if TYPE_CHECKING:
    from app.services import Services


@dataclass(frozen=True)
class QualityServices:
    ctx: UserContext
    quality: QualityService
    registries: RegistryService
    patients: PatientService  # finding a patient to add by hand
    fhir: FhirExportService  # a registry's members as FHIR R4

    @classmethod
    def of(cls, sv: Services) -> QualityServices:
        """The bundle from the window's services."""
        return cls(sv.ctx, sv.quality, sv.registries, sv.patients, sv.fhir)
