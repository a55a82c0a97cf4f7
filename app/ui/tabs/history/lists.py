"""What each list of the chart shows: columns and the text of a row."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from app.formats.identifiers import PLACE_OF_SERVICE
from app.services.history import (
    AllergyData,
    DocumentRow,
    EncounterData,
    MedicationData,
    ObservationData,
    ProblemData,
    observation_text,
)
from app.ui.tabs.history.history_list import ListSpec

MIME_NAMES = {"application/pdf": "PDF", "image/png": "PNG image",
              "image/jpeg": "JPEG image", "image/tiff": "TIFF image"}


def d(value: date | None) -> str:
    return f"{value:%m/%d/%Y}" if value else ""


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _problem(p: ProblemData) -> tuple[str, ...]:
    return (p.code, p.description, d(p.onset), d(p.resolved), p.status.capitalize())


def _medication(m: MedicationData) -> tuple[str, ...]:
    return (m.name, m.dose, d(m.started), d(m.stopped))


def _allergy(a: AllergyData) -> tuple[str, ...]:
    return (a.substance, a.reaction, a.severity.capitalize(), a.status.capitalize())


def _observation(o: ObservationData) -> tuple[str, ...]:
    return (d(o.observed_on), o.name, observation_text(o), o.code)


def _document(r: DocumentRow) -> tuple[str, ...]:
    return (r.title, d(r.document_date), MIME_NAMES.get(r.mime, r.mime), size_text(r.size),
            r.filename)


PROBLEMS = ListSpec("problem", ("Code", "Description", "Onset", "Resolved", "Status"),
                    _problem, (80, 380, 90, 90, 90), stretch=1)
MEDICATIONS = ListSpec("medication", ("Medication", "Dose", "Started", "Stopped"),
                       _medication, (240, 360, 90, 90), stretch=1)
ALLERGIES = ListSpec("allergy", ("Substance", "Reaction", "Severity", "Status"),
                     _allergy, (240, 360, 90, 90), stretch=1)
OBSERVATIONS = ListSpec("observation", ("Date", "Observation", "Value", "LOINC"),
                        _observation, (90, 260, 160, 90), stretch=1)
DOCUMENTS = ListSpec("document", ("Title", "Date", "Type", "Size", "File"), _document,
                     (300, 90, 90, 80, 200), right_aligned=(3,), edit_label="Open",
                     open_for_all=True, deletable=False, stretch=0)


def encounters_spec(providers: Mapping[int, str], facilities: Mapping[int, str]) -> ListSpec:
    def cells(e: EncounterData) -> tuple[str, ...]:
        return (d(e.date), providers.get(e.provider_id or 0, ""),
                facilities.get(e.facility_id or 0, ""),
                f"{e.pos} {PLACE_OF_SERVICE.get(e.pos, '')}".strip(), e.reason)
    return ListSpec("encounter", ("Date", "Provider", "Facility", "Place", "Reason"), cells,
                    (90, 180, 180, 140))
