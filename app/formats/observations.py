"""The observations the history and the quality measures use, by LOINC code.

Weights are pounds and heights inches, as US clinics record them; BMI is derived
(703 × lb / in², CDC adult BMI formula) and kept to one decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class ObservationKind:
    code: str
    name: str
    unit: str
    numeric: bool = True
    low: Decimal | None = None  # plausible range: outside it is a typing mistake
    high: Decimal | None = None


SYSTOLIC = ObservationKind("8480-6", "Systolic blood pressure", "mm[Hg]", low=Decimal(50),
                           high=Decimal(300))
DIASTOLIC = ObservationKind("8462-4", "Diastolic blood pressure", "mm[Hg]", low=Decimal(20),
                            high=Decimal(200))
WEIGHT = ObservationKind("29463-7", "Body weight", "[lb_av]", low=Decimal(1), high=Decimal(1000))
HEIGHT = ObservationKind("8302-2", "Body height", "[in_i]", low=Decimal(10), high=Decimal(100))
BMI = ObservationKind("39156-5", "Body mass index", "kg/m2", low=Decimal(5), high=Decimal(150))
HBA1C = ObservationKind("4548-4", "Hemoglobin A1c", "%", low=Decimal(2), high=Decimal(25))
LDL = ObservationKind("13457-7", "LDL cholesterol", "mg/dL", low=Decimal(5), high=Decimal(700))
SMOKING = ObservationKind("72166-2", "Tobacco smoking status", "", numeric=False)

KNOWN: dict[str, ObservationKind] = {
    k.code: k for k in (SYSTOLIC, DIASTOLIC, WEIGHT, HEIGHT, BMI, HBA1C, LDL, SMOKING)
}

SMOKING_STATUSES = (
    "Never smoker",
    "Former smoker",
    "Current every day smoker",
    "Current some day smoker",
    "Smoker, current status unknown",
    "Unknown if ever smoked",
)


def bmi(weight_lb: Decimal, height_in: Decimal) -> Decimal:
    value = Decimal(703) * weight_lb / (height_in * height_in)
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def check_value(kind: ObservationKind, value: Decimal) -> str | None:
    if kind.low is not None and value < kind.low or kind.high is not None and value > kind.high:
        return f"{kind.name} of {value} {kind.unit} looks mistyped ({kind.low}–{kind.high})."
    return None
