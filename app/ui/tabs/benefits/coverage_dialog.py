"""Add or edit a coverage: the plan on the left, the subscriber (when it is not the patient)
and the signatures on file on the right. The subscriber's fields are greyed out while the
relationship is "Self"; the service checks everything and the problems show under the fields.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget

from app.services.coverage import MSP_TYPES, RELATIONSHIPS, SELF, CoverageData, CoverageService
from app.services.directory import PayerData
from app.services.patients import SEXES
from app.ui.widgets.form import FieldSpec, FormDialog

SUBSCRIBER = ("subscriber_last_name", "subscriber_first_name", "subscriber_middle_name",
              "subscriber_dob", "subscriber_sex", "subscriber_address1", "subscriber_address2",
              "subscriber_city", "subscriber_state", "subscriber_zip")


def specs(payers: list[PayerData]) -> tuple[FieldSpec, ...]:
    payer_choices = {str(p.id): f"{p.name} ({p.payer_id})" for p in payers}
    return (
        FieldSpec("payer_id", "Payer", "combo", payer_choices, blank=True, show_code=False),
        FieldSpec("member_id", "Member ID", hint="As on the insurance card", width=220),
        FieldSpec("group_number", "Group number", width=220),
        FieldSpec("group_name", "Group name"),
        FieldSpec("plan_name", "Plan name"),
        FieldSpec("effective_from", "Effective from", "date", width=120),
        FieldSpec("effective_to", "Effective to", "date", hint="Blank while it lasts",
                  width=120),
        FieldSpec("copay", "Office copay", "money", width=120),
        FieldSpec("msp_type", "Medicare secondary type", "combo", MSP_TYPES, blank=True),
        FieldSpec("notes", "Notes", "multiline"),
        FieldSpec("relationship", "Patient is the subscriber's", "combo", RELATIONSHIPS,
                  show_code=False, width=220, default=SELF),
        FieldSpec("subscriber_last_name", "Subscriber last name"),
        FieldSpec("subscriber_first_name", "Subscriber first name"),
        FieldSpec("subscriber_middle_name", "Middle name", width=160),
        FieldSpec("subscriber_dob", "Subscriber DOB", "date", width=120),
        FieldSpec("subscriber_sex", "Subscriber sex", "combo", SEXES, blank=True,
                  show_code=False, width=160),
        FieldSpec("subscriber_address1", "Address"),
        FieldSpec("subscriber_address2", "Address line 2"),
        FieldSpec("subscriber_city", "City", width=200),
        FieldSpec("subscriber_state", "State", width=60),
        FieldSpec("subscriber_zip", "ZIP", width=120),
        FieldSpec("assignment_on_file", "Assignment of benefits on file", "bool"),
        FieldSpec("assignment_signed_on", "Assignment signed on", "date", width=120),
        FieldSpec("release_on_file", "Release of information on file", "bool"),
        FieldSpec("release_signed_on", "Release signed on", "date", width=120),
    )


_DATA_FIELDS = {f.name for f in fields(CoverageData)} - {"patient_id", "id", "version"}


class CoverageDialog(FormDialog):
    """`current` is None for a new coverage of `patient_id`."""

    def __init__(self, *, coverage: CoverageService, payers: list[PayerData], patient_id: int,
                 current: CoverageData | None = None, parent: QWidget | None = None) -> None:
        self._coverage = coverage
        self._patient_id = patient_id
        self._current = current
        title = "Edit coverage" if current else "Add coverage"
        super().__init__(title, specs(payers), self._save, parent,
                         split_at=("relationship",))
        self.form.set_values(self._shown(current))
        relationship = self.form.editors["relationship"]
        assert isinstance(relationship, QComboBox)
        relationship.currentIndexChanged.connect(self._subscriber_applies)
        self._subscriber_applies()

    @staticmethod
    def _shown(current: CoverageData | None) -> dict[str, Any] | None:
        if current is None:
            return None
        values = {f: getattr(current, f) for f in _DATA_FIELDS}
        values["payer_id"] = str(current.payer_id)
        return values

    def _subscriber_applies(self) -> None:
        self.form.set_fields_enabled(SUBSCRIBER, self.form.values()["relationship"] != SELF)

    def _save(self, values: dict[str, Any]) -> object:
        payer = values.pop("payer_id")
        data = {k: v for k, v in values.items() if k in _DATA_FIELDS}
        if self._current is None:
            return self._coverage.save(CoverageData(
                patient_id=self._patient_id, payer_id=int(payer) if payer else 0, **data))
        return self._coverage.save(replace(self._current, payer_id=int(payer) if payer else 0,
                                           **data))
