"""The field and column specs of the Providers, Facilities and Payers pages."""

from __future__ import annotations

from app.formats.identifiers import CLAIM_FILING_INDICATORS, PLACE_OF_SERVICE
from app.services.directory import DirectoryService, FacilityData, PayerData, ProviderData
from app.ui.tabs.admin.practice_page import address_fields
from app.ui.tabs.admin.records_page import Column, RecordSpec
from app.ui.widgets.form import FieldSpec, choice_text, format_phone, format_zip, yes_no

ACTIVE = FieldSpec("active", "Active", "bool", default=True)


def _city_state(d: FacilityData | PayerData) -> str:
    return ", ".join(x for x in (d.city, d.state) if x)


PROVIDERS = RecordSpec(
    slug="providers", title="Providers", noun="provider",
    intro="Rendering and referring providers. Inactive providers stay on old claims but are "
          "no longer offered for new ones.",
    data_cls=ProviderData,
    fields=(
        FieldSpec("last_name", "Last name", width=240),
        FieldSpec("first_name", "First name", width=240),
        FieldSpec("credential", "Credential", hint="MD, DO, NP…", width=100),
        FieldSpec("npi", "NPI", hint="10 digits", width=160),
        FieldSpec("taxonomy", "Taxonomy code", hint="207Q00000X", width=160),
        ACTIVE,
    ),
    columns=(
        Column("Name", lambda d: f"{d.last_name}, {d.first_name}", stretch=True),
        Column("Credential", lambda d: d.credential),
        Column("NPI", lambda d: d.npi),
        Column("Taxonomy", lambda d: d.taxonomy),
        Column("Active", lambda d: yes_no(d.active)),
    ),
    load=DirectoryService.providers,
    save=DirectoryService.save_provider,
)

FACILITIES = RecordSpec(
    slug="facilities", title="Facilities", noun="facility",
    intro="Service locations (box 32 of the paper claim) and their place-of-service code.",
    data_cls=FacilityData,
    fields=(
        FieldSpec("name", "Name", width=300),
        FieldSpec("pos", "Place of service", "combo", PLACE_OF_SERVICE, blank=True, width=340),
        FieldSpec("npi", "NPI (if it has one)", hint="10 digits", width=160),
        *address_fields(),
        ACTIVE,
    ),
    columns=(
        Column("Name", lambda d: d.name, stretch=True),
        Column("Place of service", lambda d: choice_text(d.pos, PLACE_OF_SERVICE.get(d.pos, ""))),
        Column("NPI", lambda d: d.npi),
        Column("Address", lambda d: d.address1),
        Column("City", _city_state),
        Column("ZIP", lambda d: format_zip(d.zip)),
        Column("Active", lambda d: yes_no(d.active)),
    ),
    load=DirectoryService.facilities,
    save=DirectoryService.save_facility,
)

PAYERS = RecordSpec(
    slug="payers", title="Payers", noun="payer",
    intro="Insurance payers: the payer ID the clearinghouse uses, the claim filing indicator "
          "sent on claims, and how many days after the service a claim may still be filed.",
    data_cls=PayerData,
    fields=(
        FieldSpec("name", "Name", width=300),
        FieldSpec("payer_id", "Payer ID", hint="from the clearinghouse list", width=160),
        FieldSpec("claim_filing_indicator", "Claim filing indicator", "combo",
                  CLAIM_FILING_INDICATORS, blank=True, width=300),
        FieldSpec("timely_filing_days", "Timely filing (days)", "int", minimum=1,
                  maximum=3650, default=365, width=100),
        FieldSpec("phone", "Phone", hint="(800) 555-0100", width=160, display=format_phone),
        FieldSpec("portal", "Portal address", hint="https://…", width=340),
        *address_fields("Claims address"),
        ACTIVE,
    ),
    columns=(
        Column("Name", lambda d: d.name, stretch=True),
        Column("Payer ID", lambda d: d.payer_id),
        Column("Filing indicator", lambda d: choice_text(
            d.claim_filing_indicator, CLAIM_FILING_INDICATORS.get(d.claim_filing_indicator, ""))),
        Column("Timely filing", lambda d: f"{d.timely_filing_days} days"),
        Column("Phone", lambda d: format_phone(d.phone)),
        Column("Portal", lambda d: d.portal),
        Column("Active", lambda d: yes_no(d.active)),
    ),
    load=DirectoryService.payers,
    save=DirectoryService.save_payer,
)

RECORD_SPECS = (PROVIDERS, FACILITIES, PAYERS)
