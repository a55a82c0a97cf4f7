"""Record vitals: blood pressure, weight (lb) and height (in) in one step through
`HistoryService.record_vitals`, which derives BMI; the dialog shows the BMI it will derive
as the clerk types (the same formula, `app.formats.observations.bmi`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from app.errors import ValidationError
from app.formats import observations as obs
from app.services.history import EncounterData, HistoryService, ObservationData
from app.ui.tabs.history.entry_dialogs import EntryDialog, parse_decimal
from app.ui.widgets.form import FieldSpec

NUMBER_FIELDS = ("systolic", "diastolic", "weight_lb", "height_in")
# record_vitals names its problems by observation; each belongs under one field.
FIELD_OF_KIND = {obs.SYSTOLIC.name: "systolic", obs.DIASTOLIC.name: "diastolic",
                 obs.WEIGHT.name: "weight_lb", obs.HEIGHT.name: "height_in",
                 obs.BMI.name: "weight_lb"}


def vitals_fields(encounters: Sequence[EncounterData]) -> tuple[FieldSpec, ...]:
    visits = {str(e.id): f"{e.date:%m/%d/%Y} {e.reason}".strip() for e in encounters[:20]}
    return (
        FieldSpec("observed_on", "Date", "date", width=120),
        FieldSpec("systolic", "Systolic BP (mmHg)", width=100),
        FieldSpec("diastolic", "Diastolic BP (mmHg)", width=100),
        FieldSpec("weight_lb", "Weight (lb)", width=100),
        FieldSpec("height_in", "Height (in)", width=100),
        FieldSpec("encounter_id", "Encounter", "combo", blank=True, show_code=False,
                  width=300, choices=visits),
    )


class VitalsDialog(EntryDialog):
    """`saved` carries the list of observations recorded (BMI among them when derived)."""

    def __init__(self, history: HistoryService, patient_id: int,
                 encounters: Sequence[EncounterData] = (),
                 parent: QWidget | None = None) -> None:
        self._history = history
        self._patient_id = patient_id
        super().__init__("Record vitals", vitals_fields(encounters), self._record, parent,
                         intro="Type what was measured; leave the rest empty.")
        self.bmi_label = QLabel()
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(layout.indexOf(self.buttons), self.bmi_label)
        self.form.set_values({"observed_on": date.today()})
        for attr in ("weight_lb", "height_in"):
            editor = self.form.editors[attr]
            assert isinstance(editor, QLineEdit)
            editor.textChanged.connect(self.update_bmi)
        self.update_bmi()

    def update_bmi(self) -> None:
        value = self.derived_bmi()
        self.bmi_label.setText(
            f"BMI to be recorded: {value} kg/m²" if value is not None
            else "BMI is derived when both weight and height are entered.")

    def derived_bmi(self) -> Decimal | None:
        v = self.form.values()
        ignored: dict[str, str] = {}
        weight = parse_decimal(v["weight_lb"], "weight_lb", ignored)
        height = parse_decimal(v["height_in"], "height_in", ignored)
        if not weight or not height or weight < 0 or height < 0:
            return None
        return obs.bmi(weight, height)

    def _record(self, v: dict[str, Any]) -> list[ObservationData]:
        problems: dict[str, str] = {}
        numbers = {attr: parse_decimal(v[attr], attr, problems) for attr in NUMBER_FIELDS}
        if v["observed_on"] is None:
            problems["observed_on"] = "is required (MM/DD/YYYY)."
        elif v["observed_on"] > date.today():
            problems["observed_on"] = "cannot be in the future."
        if problems:
            raise ValidationError(problems, "vital signs")
        if all(n is None for n in numbers.values()):
            raise ValidationError({"systolic": "Enter at least one vital sign."}, "vital signs")
        try:
            return self._history.record_vitals(
                self._patient_id, v["observed_on"],
                encounter_id=int(v["encounter_id"] or 0) or None, **numbers)
        except ValidationError as exc:
            raise ValidationError(_by_field(exc.problems), "vital signs") from None


UNIT_WORDS = {"mm[Hg]": "mmHg", "[lb_av]": "lb", "[in_i]": "in"}  # UCUM codes as read aloud


def _by_field(problems: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, text in problems.items():
        attr = FIELD_OF_KIND.get(name, name)
        message = text
        for code, word in UNIT_WORDS.items():
            message = message.replace(code, word)
        out[attr] = f"{out[attr]} {message}" if attr in out else message
    return out
