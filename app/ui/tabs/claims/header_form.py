"""The claim-level fields of the claim editor (1500 boxes 10–23, 27, 29; 837P loop 2300 CLM,
DTP and REF), as `FieldSpec`s named after `ClaimHeader`, so a problem the service reports for
a field shows under that field.

Dates are optional: a blank date field means "no date" (typed as MM/DD/YYYY)."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any

from app.formats.identifiers import US_STATES
from app.services.claims import OTHER_DATE_QUALIFIERS, REFERRING_QUALIFIERS, ClaimHeader
from app.services.directory import FacilityData, ProviderData
from app.ui.tabs.claims import METHOD_LABELS
from app.ui.widgets.form import FieldSpec

ID_FIELDS = ("rendering_provider_id", "referring_provider_id", "facility_id")
DATE_WIDTH = 110
# The three columns of the form start at these fields.
COLUMN_STARTS = ("onset_date", "unable_to_work_from")


def _provider_text(p: ProviderData) -> str:
    name = f"{p.last_name}, {p.first_name}" + (f" {p.credential}" if p.credential else "")
    return name + ("" if p.active else " (inactive)")


def _choices(records: list[Any], text: Any, keep: set[int | None]) -> dict[str, str]:
    """Active records, and inactive ones only when the claim already names them."""
    return {str(r.id): text(r) for r in records if r.active or r.id in keep}


def header_specs(header: ClaimHeader, providers: list[ProviderData],
                 facilities: list[FacilityData]) -> tuple[FieldSpec, ...]:
    keep = {header.rendering_provider_id, header.referring_provider_id, header.facility_id}
    people = _choices(providers, _provider_text, keep)
    places = _choices(facilities, lambda f: f.name + ("" if f.active else " (inactive)"), keep)
    states = dict.fromkeys(sorted(US_STATES), "")
    return (
        FieldSpec("method", "Send", "combo", METHOD_LABELS, show_code=False, width=150),
        FieldSpec("rendering_provider_id", "Rendering provider (24J)", "combo", people,
                  blank=True, show_code=False, width=240),
        FieldSpec("referring_provider_id", "Referring provider (17)", "combo", people,
                  blank=True, show_code=False, width=240),
        FieldSpec("referring_qualifier", "Referring as (17)", "combo", REFERRING_QUALIFIERS,
                  width=240),
        FieldSpec("facility_id", "Facility (32)", "combo", places, blank=True,
                  show_code=False, width=240),
        FieldSpec("prior_authorization", "Prior authorisation (23)", width=240),
        FieldSpec("original_claim_number", "Payer's claim number (22)", width=240,
                  hint="For a replacement or void"),
        FieldSpec("note", "Additional information (19)", width=240, hint="Up to 80 characters"),
        FieldSpec("onset_date", "Onset of illness (14)", "date", width=DATE_WIDTH),
        FieldSpec("other_date_qualifier", "Other date is (15)", "combo", OTHER_DATE_QUALIFIERS,
                  blank=True, width=240),
        FieldSpec("other_date", "Other date (15)", "date", width=DATE_WIDTH),
        FieldSpec("employment_related", "Employment related (10a)", "bool"),
        FieldSpec("auto_accident", "Auto accident (10b)", "bool"),
        FieldSpec("auto_accident_state", "Accident state (10b)", "combo", states, blank=True,
                  width=70),
        FieldSpec("other_accident", "Other accident (10c)", "bool"),
        FieldSpec("accident_date", "Accident date", "date", width=DATE_WIDTH),
        FieldSpec("unable_to_work_from", "Unable to work from (16)", "date", width=DATE_WIDTH),
        FieldSpec("unable_to_work_to", "Unable to work to (16)", "date", width=DATE_WIDTH),
        FieldSpec("hospitalized_from", "Hospitalised from (18)", "date", width=DATE_WIDTH),
        FieldSpec("hospitalized_to", "Hospitalised to (18)", "date", width=DATE_WIDTH),
        FieldSpec("patient_paid", "Amount paid (29)", "money", width=DATE_WIDTH),
        FieldSpec("accept_assignment", "Accept assignment (27)", "bool"),
        FieldSpec("benefits_assigned", "Benefits assigned (13)", "bool"),
        FieldSpec("release_of_information", "Release on file (12)", "bool"),
    )


def form_values(header: ClaimHeader) -> dict[str, Any]:
    """What the editors show for a header (record ids as the combo's text keys)."""
    values = asdict(header)
    for name in ID_FIELDS:
        values[name] = "" if values[name] is None else str(values[name])
    return values


def header_from(values: dict[str, Any]) -> ClaimHeader:
    """The header the editors hold (read them with `FormWidget.values()`)."""
    data = dict(values)
    for name in ID_FIELDS:
        data[name] = int(data[name]) if data[name] else None
    if data["patient_paid"] is None:
        data["patient_paid"] = Decimal("0.00")
    return ClaimHeader(**data)
