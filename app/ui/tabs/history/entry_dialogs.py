"""Dialogs that add or edit one history row: problem, medication, allergy, encounter and
observation. Each is a `FormDialog` whose Save builds the service's dataclass from the typed
values and calls `HistoryService.save`; refused values are shown under their fields and what
was typed stays. Numbers are read with `Decimal(text)`, never through float."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from app.errors import ValidationError
from app.formats import observations as obs
from app.formats.identifiers import PLACE_OF_SERVICE
from app.services.history import (
    ALLERGY_SEVERITIES,
    ALLERGY_STATUSES,
    PROBLEM_STATUSES,
    AllergyData,
    EncounterData,
    HistoryService,
    MedicationData,
    ObservationData,
    ProblemData,
)
from app.ui.widgets.form import FieldSpec, FormDialog

OTHER = "other"
NOT_A_NUMBER = "is not a number; type digits such as 7.2."


class EntryDialog(FormDialog):
    """A FormDialog that grows to fit the problems it shows under its fields."""

    def submit(self) -> None:
        super().submit()
        if self.isVisible():
            self.adjustSize()


def _title(noun: str, existing: object | None) -> str:
    return f"{'Edit' if existing is not None else 'Add'} {noun}"


def _choices(values: tuple[str, ...]) -> dict[str, str]:
    return {v: v.capitalize() for v in values}


def parse_decimal(text: str, attr: str, problems: dict[str, str]) -> Decimal | None:
    """The typed number as an exact Decimal; None when empty; a problem when unreadable."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        problems[attr] = NOT_A_NUMBER
        return None
    if not value.is_finite():
        problems[attr] = NOT_A_NUMBER
        return None
    return value


def _dialog(title: str, specs: tuple[FieldSpec, ...], existing: object | None,
            build: Callable[[dict[str, Any]], Any], history: HistoryService,
            parent: QWidget | None, defaults: Mapping[str, Any] | None = None) -> FormDialog:
    dialog = EntryDialog(title, specs, lambda v: history.save(build(v)), parent)
    dialog.form.set_values(existing if existing is not None else (defaults or {}))
    return dialog


# --- problems, medications, allergies ------------------------------------------------------
PROBLEM_FIELDS = (
    FieldSpec("code", "ICD-10-CM code", hint="e.g. E11.9", width=120),
    FieldSpec("description", "Description", width=360),
    FieldSpec("onset", "Onset", "date", width=120),
    FieldSpec("resolved", "Resolved", "date", width=120),
    FieldSpec("status", "Status", "combo", choices=_choices(PROBLEM_STATUSES),
              show_code=False, width=140, default="active"),
)


def problem_dialog(history: HistoryService, patient_id: int, existing: ProblemData | None,
                   parent: QWidget | None = None) -> FormDialog:
    def build(v: dict[str, Any]) -> ProblemData:
        base = existing or ProblemData(patient_id, "", "")
        return replace(base, code=v["code"].strip().upper(), description=v["description"].strip(),
                       onset=v["onset"], resolved=v["resolved"], status=v["status"])
    return _dialog(_title("problem", existing), PROBLEM_FIELDS, existing, build, history,
                   parent, {"status": "active"})


MEDICATION_FIELDS = (
    FieldSpec("name", "Medication", width=300),
    FieldSpec("dose", "Dose and directions", hint="e.g. 500 mg twice daily", width=360),
    FieldSpec("started", "Started", "date", width=120),
    FieldSpec("stopped", "Stopped", "date", width=120),
)


def medication_dialog(history: HistoryService, patient_id: int,
                      existing: MedicationData | None,
                      parent: QWidget | None = None) -> FormDialog:
    def build(v: dict[str, Any]) -> MedicationData:
        base = existing or MedicationData(patient_id, "")
        return replace(base, name=v["name"].strip(), dose=v["dose"].strip(),
                       started=v["started"], stopped=v["stopped"])
    return _dialog(_title("medication", existing), MEDICATION_FIELDS, existing, build,
                   history, parent)


ALLERGY_FIELDS = (
    FieldSpec("substance", "Substance", width=300),
    FieldSpec("reaction", "Reaction", width=360),
    FieldSpec("severity", "Severity", "combo", choices=_choices(ALLERGY_SEVERITIES),
              blank=True, show_code=False, width=140),
    FieldSpec("status", "Status", "combo", choices=_choices(ALLERGY_STATUSES),
              show_code=False, width=140, default="active"),
)


def allergy_dialog(history: HistoryService, patient_id: int, existing: AllergyData | None,
                   parent: QWidget | None = None) -> FormDialog:
    def build(v: dict[str, Any]) -> AllergyData:
        base = existing or AllergyData(patient_id, "")
        return replace(base, substance=v["substance"].strip(), reaction=v["reaction"].strip(),
                       severity=v["severity"], status=v["status"])
    return _dialog(_title("allergy", existing), ALLERGY_FIELDS, existing, build, history,
                   parent, {"status": "active"})


# --- encounters ----------------------------------------------------------------------------
def encounter_fields(providers: Mapping[int, str],
                     facilities: Mapping[int, str]) -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("date", "Date", "date", width=120),
        FieldSpec("provider_id", "Provider", "combo", blank=True, show_code=False, width=300,
                  choices={str(k): v for k, v in providers.items()}),
        FieldSpec("facility_id", "Facility", "combo", blank=True, show_code=False, width=300,
                  choices={str(k): v for k, v in facilities.items()}),
        FieldSpec("pos", "Place of service", "combo", choices=PLACE_OF_SERVICE, width=300),
        FieldSpec("reason", "Reason for visit", width=360),
        FieldSpec("note", "Note", "multiline", width=360),
    )


def _encounter_values(e: EncounterData) -> dict[str, Any]:
    return {"date": e.date, "provider_id": str(e.provider_id or ""),
            "facility_id": str(e.facility_id or ""), "pos": e.pos, "reason": e.reason,
            "note": e.note}


def encounter_dialog(history: HistoryService, patient_id: int, existing: EncounterData | None,
                     providers: Mapping[int, str], facilities: Mapping[int, str],
                     parent: QWidget | None = None) -> FormDialog:
    def build(v: dict[str, Any]) -> EncounterData:
        if v["date"] is None:
            raise ValidationError({"date": "is required (MM/DD/YYYY)."}, "encounter")
        base = existing or EncounterData(patient_id, v["date"])
        return replace(base, date=v["date"], provider_id=int(v["provider_id"] or 0) or None,
                       facility_id=int(v["facility_id"] or 0) or None, pos=v["pos"],
                       reason=v["reason"].strip(), note=v["note"].strip())
    values = (_encounter_values(existing) if existing
              else {"date": date.today(), "pos": "11"})
    return _dialog(_title("encounter", existing), encounter_fields(providers, facilities),
                   values, build, history, parent)


# --- observations --------------------------------------------------------------------------
OBSERVATION_KINDS = {**{k.code: k.name for k in obs.KNOWN.values()},
                     OTHER: "Other result (type its LOINC code and name)"}
OBSERVATION_FIELDS = (
    FieldSpec("kind", "Observation", "combo", choices=OBSERVATION_KINDS, show_code=False,
              width=340),
    FieldSpec("code", "LOINC code", hint="e.g. 2345-7", width=120),
    FieldSpec("name", "Name", width=340),
    FieldSpec("value", "Value", hint="e.g. 7.2, or a word", width=200),
    FieldSpec("smoking", "Smoking status", "combo", show_code=False, width=340,
              choices={s: s for s in obs.SMOKING_STATUSES}),
    FieldSpec("unit", "Unit", hint="e.g. mg/dL", width=120),
    FieldSpec("observed_on", "Date", "date", width=120),
)


class ObservationDialog(EntryDialog):
    """A known kind fills its code, name and unit; smoking status is picked from its list."""

    def __init__(self, history: HistoryService, patient_id: int,
                 existing: ObservationData | None, parent: QWidget | None = None) -> None:
        self._existing = existing
        self._patient_id = patient_id
        super().__init__(_title("observation", existing), OBSERVATION_FIELDS,
                         lambda v: history.save(self.build(v)), parent)
        self.form.set_values(_observation_values(existing))
        kind = self.form.editors["kind"]
        assert isinstance(kind, QComboBox)
        kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()

    def _kind_changed(self) -> None:
        code = self.form.values()["kind"]
        known = obs.KNOWN.get(code)
        self.form.set_fields_enabled(("code", "name", "unit"), known is None)
        smoking = code == obs.SMOKING.code
        self.form.set_fields_enabled(("smoking",), smoking)
        self.form.set_fields_enabled(("value",), not smoking)
        if known is not None:
            for attr, text in (("code", known.code), ("name", known.name), ("unit", known.unit)):
                editor = self.form.editors[attr]
                assert isinstance(editor, QLineEdit)
                editor.setText(text)

    def build(self, v: dict[str, Any]) -> ObservationData:
        problems: dict[str, str] = {}
        if v["observed_on"] is None:
            problems["observed_on"] = "is required (MM/DD/YYYY)."
        value, text = self._value(v, problems)
        if problems:
            raise ValidationError(problems, "observation")
        base = self._existing or ObservationData(self._patient_id, "", "", v["observed_on"])
        return replace(base, code=v["code"].strip(), name=v["name"].strip(),
                       observed_on=v["observed_on"], value=value, value_text=text,
                       unit=v["unit"].strip())

    @staticmethod
    def _value(v: dict[str, Any], problems: dict[str, str]) -> tuple[Decimal | None, str]:
        if v["kind"] == obs.SMOKING.code:
            return None, v["smoking"]
        known = obs.KNOWN.get(v["kind"])
        typed = v["value"].strip()
        if known is None and typed and _not_number(typed):
            return None, typed  # a coded result reported as text ("positive")
        return parse_decimal(typed, "value", problems), ""


def _not_number(text: str) -> bool:
    try:
        Decimal(text.replace(",", ""))
    except InvalidOperation:
        return True
    return False


def _observation_values(o: ObservationData | None) -> dict[str, Any]:
    if o is None:
        return {"kind": obs.HBA1C.code, "observed_on": date.today()}
    kind = o.code if o.code in obs.KNOWN else OTHER
    return {"kind": kind, "code": o.code, "name": o.name, "unit": o.unit,
            "observed_on": o.observed_on,
            "value": "" if o.value is None else str(o.value),
            "smoking": o.value_text if kind == obs.SMOKING.code else ""}
