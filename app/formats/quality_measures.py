"""Quality measure definitions as data (issue 9): what a measure counts, written as JSON, parsed
and checked here, evaluated in SQL by `app.services.quality`. Pure: no database, no Qt.

A definition is modelled on the proportion measures of the CMS electronic clinical quality
measures (eCQM; eCQI Resource Center, https://ecqi.healthit.gov): a *measurement period*
(the dates the clerk evaluates), an **initial population**, a **denominator** (the initial
population, or those of it who also meet extra criteria), **exclusions** (denominator
exclusions: taken out before the rate), a **numerator**, and `inverse` when a lower rate is
better (CMS122, HbA1c poor control). Rate = numerator / (denominator - exclusions).
`needs` names the observation codes (LOINC) a patient in the denominator should have in the
period; who has none of one is a *data gap*.

Criteria are one-key JSON objects, combined with ``all``, ``any`` and ``not``::

    {"age": {"at": "end", "min": 18, "max": 75}}          age in whole years on that day
    {"sex": ["F"]}                                         the patient's recorded sex (M, F, U)
    {"condition": {"codes": ["E10", "E11"],                ICD-10-CM codes or their prefixes,
                   "window": "period", "how": "active"}}   on the problem list or coded on a
                                                           visit; "active": present during the
                                                           window, "onset": starting in it
    {"encounters": {"window": "period", "at_least": 2}}    visits dated in the window
    {"observation": {"code": "4548-4", "window": "period", LOINC; "value": "any" (some
                     "value": "latest", "gt": "9"}}        result in the window meets the test)
                                                           or "latest" (the most recent one
                                                           does); tests lt/le/gt/ge on the
                                                           number, "in" on the text; no test:
                                                           one exists
    {"procedure": {"codes": ["99406"], "window": ...}}     CPT/HCPCS billed on a visit line
                                                           (not voided) dated in the window

A *window* is ``"period"``, ``"first_six_months"``, ``"through_period_end"`` (anything up to
the period's last day), ``"before_period"``, or ``{"from": "start-6m", "to": "end"}`` with
either end left out for "open". Dates are ``start`` or ``end`` of the period shifted by whole
days, months or years (``start+6m-1d`` is the last day of the first six months; a month
shift keeps the day of the month, or the month's last day when it has no such day). Windows
include both of their days.

How "active" reads a problem row: from its onset (no onset: always had it) to its resolved
date (no resolved date: still has it, when its status is active; a resolved or inactive row
without a resolved date counts on its onset day only, the one day we know it was there). A
diagnosis coded on a visit counts on the visit's date.

How "latest" picks a result: the one observed on the latest day in the window; several on
that day are broken by ``same_day``: ``last`` (the last recorded, the default), ``lowest`` or
``highest`` value (CMS165 takes the lowest systolic and diastolic of the day).

`parse_measure` refuses a bad definition with `MeasureDefinitionError`, naming every field by
its path (``numerator.any[0].observation.gt``) with what to fix. `measure_to_dict` writes a
definition back in the same form, so ``parse_measure(measure_to_dict(m)) == m``.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from app.errors import ValidationError

MAX_DEPTH = 8
MAX_CODES = 300
MAX_ITEMS = 30
SAMPLE_PERIOD = (date(2023, 1, 1), date(2023, 12, 31))  # to check a window does not end first

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
OFFSET = re.compile(r"(start|end)((?:[+-]\d{1,3}[dmy])*)")
STEP = re.compile(r"([+-])(\d{1,3})([dmy])")
LOINC = re.compile(r"(\d{1,7})-(\d)")
# ICD-10-CM: a letter, then up to two more characters of the category, then the dot and up
# to four more (a prefix may stop anywhere: "O", "I1", "E11.6").
ICD_PREFIX = re.compile(r"[A-Z](?:[0-9][0-9A-Z]?(?:\.[0-9A-Z]{0,4})?)?")
# CPT (99406, Category II 4004F, Category III 0001T) and HCPCS Level II (G0447).
PROCEDURE = re.compile(r"[0-9A-Z]{5}")

ACTIVE, ONSET = "active", "onset"
ANY, LATEST = "any", "latest"
LAST, LOWEST, HIGHEST = "last", "lowest", "highest"
SEXES = ("M", "F", "U")
COMPARISONS = ("lt", "le", "gt", "ge")
WINDOW_NAMES: dict[str, tuple[str | None, str | None]] = {
    "period": ("start", "end"),
    "first_six_months": ("start", "start+6m-1d"),
    "through_period_end": (None, "end"),
    "before_period": (None, "start-1d"),
}

# The parts of a measure a patient list can show (`app.services.quality.patients`).
INITIAL_POPULATION = "initial_population"
DENOMINATOR = "denominator"
EXCLUSIONS = "exclusions"
NUMERATOR = "numerator"
NOT_MET = "not_met"  # in the denominator, not excluded, not in the numerator
ACTION = "action"  # the list to act on: not met, or for an inverse measure the numerator
PARTS = (INITIAL_POPULATION, DENOMINATOR, EXCLUSIONS, NUMERATOR, NOT_MET, ACTION)


class MeasureDefinitionError(ValidationError, ValueError):
    """A definition that cannot be used; `problems` maps each field's path to what to fix."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(dict(problems), "measure definition")


# --- dates relative to the period ----------------------------------------------------------------
def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, on the same day of the month or the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class Offset:
    """A day relative to the period: its start or end, shifted by steps of (amount, unit)."""

    anchor: str  # "start" or "end"
    steps: tuple[tuple[int, str], ...] = ()

    def resolve(self, start: date, end: date) -> date:
        day = start if self.anchor == "start" else end
        for amount, unit in self.steps:
            if unit == "d":
                day += timedelta(days=amount)
            else:
                day = add_months(day, amount * (12 if unit == "y" else 1))
        return day

    def text(self) -> str:
        return self.anchor + "".join(f"{'+' if n >= 0 else '-'}{abs(n)}{u}"
                                     for n, u in self.steps)


@dataclass(frozen=True)
class Window:
    """Days from `first` to `last`, both included; None is open on that side. `name` keeps the
    shortcut it was written with, so it is written back the same way."""

    first: Offset | None
    last: Offset | None
    name: str = ""

    def resolve(self, start: date, end: date) -> tuple[date | None, date | None]:
        return (self.first.resolve(start, end) if self.first else None,
                self.last.resolve(start, end) if self.last else None)


# --- criteria ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AllOf:
    items: tuple[Criterion, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Criterion, ...]


@dataclass(frozen=True)
class Not:
    item: Criterion


@dataclass(frozen=True)
class Age:
    """Age in whole years on the day `at` (a birthday on that day counts), min/max included."""

    at: Offset
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Sex:
    values: tuple[str, ...]


@dataclass(frozen=True)
class Condition:
    codes: tuple[str, ...]  # ICD-10-CM with the dot, upper case; prefixes
    window: Window
    how: str = ACTIVE


@dataclass(frozen=True)
class Encounters:
    window: Window
    at_least: int = 1


@dataclass(frozen=True)
class ObservationTest:
    code: str
    window: Window
    value: str = ANY  # any or latest
    same_day: str = LAST
    lt: Decimal | None = None
    le: Decimal | None = None
    gt: Decimal | None = None
    ge: Decimal | None = None
    texts: tuple[str, ...] = ()  # "in": the text value is one of these

    @property
    def tests(self) -> tuple[tuple[str, Decimal], ...]:
        return tuple((op, v) for op in COMPARISONS if (v := getattr(self, op)) is not None)


@dataclass(frozen=True)
class Procedure:
    codes: tuple[str, ...]
    window: Window


Criterion = (AllOf | AnyOf | Not | Age | Sex | Condition | Encounters | ObservationTest
             | Procedure)


@dataclass(frozen=True)
class MeasureDefinition:
    id: str
    title: str
    description: str
    source: str
    version: int
    inverse: bool
    initial_population: Criterion
    denominator: Criterion | None  # None: the denominator is the initial population
    exclusions: Criterion | None  # None: nobody is excluded
    numerator: Criterion
    needs: tuple[str, ...] = ()

    @property
    def action_part(self) -> str:
        """The part whose patients need something done: for an inverse measure the
        numerator (poor control), otherwise those not met."""
        return NUMERATOR if self.inverse else NOT_MET


def action_part(m: MeasureDefinition) -> str:
    return m.action_part


# --- parsing ------------------------------------------------------------------------------------
class _Problems:
    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def add(self, path: str, message: str) -> None:
        self.found.setdefault(path or "definition", message)


def loinc_ok(code: str) -> bool:
    """A LOINC code with its check digit right (LOINC's mod-10 check digit, as Luhn)."""
    m = LOINC.fullmatch(code)
    if not m:
        return False
    total = 0
    for i, ch in enumerate(reversed(m.group(1))):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d // 10 + d % 10
    return (10 - total % 10) % 10 == int(m.group(2))


def _text(p: _Problems, data: Mapping[str, Any], key: str, limit: int, *,
          required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        p.add(key, "must be text.")
        return ""
    value = value.strip()
    if required and not value:
        p.add(key, "is required.")
    elif len(value) > limit:
        p.add(key, f"is at most {limit} characters.")
    return value


def parse_offset(p: _Problems, path: str, value: Any) -> Offset | None:
    if not isinstance(value, str) or not OFFSET.fullmatch(value.replace(" ", "")):
        p.add(path, 'write a day as start or end, optionally moved by days, months or years, '
                    'such as "end", "start-6m" or "start+6m-1d".')
        return None
    m = OFFSET.fullmatch(value.replace(" ", ""))
    assert m is not None
    steps = tuple((int(n) * (1 if sign == "+" else -1), unit)
                  for sign, n, unit in STEP.findall(m.group(2)))
    return Offset(m.group(1), steps)


def parse_window(p: _Problems, path: str, value: Any) -> Window | None:
    if isinstance(value, str):
        if value not in WINDOW_NAMES:
            p.add(path, f"choose {', '.join(WINDOW_NAMES)}, or give "
                        '{"from": ..., "to": ...}.')
            return None
        names = WINDOW_NAMES[value]
        return Window(parse_offset(p, path, names[0]) if names[0] else None,
                      parse_offset(p, path, names[1]) if names[1] else None, value)
    if not isinstance(value, Mapping) or not value or set(value) - {"from", "to"}:
        p.add(path, 'give a window name such as "period", or {"from": "start-6m", '
                    '"to": "end"} (either may be left out).')
        return None
    first = parse_offset(p, f"{path}.from", value["from"]) if "from" in value else None
    last = parse_offset(p, f"{path}.to", value["to"]) if "to" in value else None
    if ("from" in value and first is None) or ("to" in value and last is None):
        return None
    window = Window(first, last)
    a, b = window.resolve(*SAMPLE_PERIOD)
    if a is not None and b is not None and b < a:
        p.add(path, "ends before it starts: check from and to.")
        return None
    return window


def _keys(p: _Problems, path: str, data: Any, allowed: set[str],
          required: set[str]) -> Mapping[str, Any] | None:
    if not isinstance(data, Mapping):
        p.add(path, "must be an object with " + ", ".join(sorted(required)) + ".")
        return None
    extra = sorted(set(data) - allowed)
    if extra:
        p.add(f"{path}.{extra[0]}", "is not a field here; allowed: "
              + ", ".join(sorted(allowed)) + ".")
    for key in sorted(required - set(data)):
        p.add(f"{path}.{key}", "is required.")
    return data if not extra and required <= set(data) else None


def _codes(p: _Problems, path: str, value: Any, pattern: re.Pattern[str],
           what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        p.add(path, f"give a list of {what}.")
        return ()
    if len(value) > MAX_CODES:
        p.add(path, f"at most {MAX_CODES} codes.")
        return ()
    out: list[str] = []
    for i, raw in enumerate(value):
        code = raw.strip().upper()
        if not pattern.fullmatch(code):
            p.add(f"{path}[{i}]", f"{raw!r} is not one of {what}.")
        elif code not in out:
            out.append(code)
    return tuple(out)


def _whole(p: _Problems, path: str, value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        p.add(path, f"give a whole number from {low} to {high}.")
        return None
    return value


def _number(p: _Problems, path: str, value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        p.add(path, 'give a number, such as 9 or "18.5".')
        return None
    try:
        # JSON numbers arrive as float: str() gives back the digits as written (18.5).
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        p.add(path, 'give a number, such as 9 or "18.5".')
        return None
    if number != number.quantize(Decimal("0.0001")):
        p.add(path, "at most 4 decimal places.")
        return None
    return number.normalize() if number != 0 else Decimal(0)


def _age(p: _Problems, path: str, data: Any) -> Age | None:
    d = _keys(p, path, data, {"at", "min", "max"}, set())
    if d is None:
        return None
    at = parse_offset(p, f"{path}.at", d.get("at", "end"))
    lo = _whole(p, f"{path}.min", d["min"], 0, 130) if "min" in d else None
    hi = _whole(p, f"{path}.max", d["max"], 0, 130) if "max" in d else None
    if "min" not in d and "max" not in d:
        p.add(path, "give min, max or both (ages in whole years).")
        return None
    if lo is not None and hi is not None and hi < lo:
        p.add(f"{path}.max", "is below min.")
        return None
    if at is None or ("min" in d and lo is None) or ("max" in d and hi is None):
        return None
    return Age(at, lo, hi)


def _sex(p: _Problems, path: str, data: Any) -> Sex | None:
    if (not isinstance(data, list) or not data
            or not all(isinstance(v, str) and v.strip().upper() in SEXES for v in data)):
        p.add(path, "give a list of M, F or U.")
        return None
    return Sex(tuple(dict.fromkeys(v.strip().upper() for v in data)))


def _condition(p: _Problems, path: str, data: Any) -> Condition | None:
    d = _keys(p, path, data, {"codes", "window", "how"}, {"codes", "window"})
    if d is None:
        return None
    codes = _codes(p, f"{path}.codes", d["codes"], ICD_PREFIX,
                   "ICD-10-CM codes or prefixes (E11, E11.6, O)")
    window = parse_window(p, f"{path}.window", d["window"])
    how = d.get("how", ACTIVE)
    if how not in (ACTIVE, ONSET):
        p.add(f"{path}.how", 'choose "active" (present during the window) or "onset" '
                             "(starting in it).")
        return None
    return Condition(codes, window, how) if codes and window else None


def _encounters(p: _Problems, path: str, data: Any) -> Encounters | None:
    d = _keys(p, path, data, {"window", "at_least"}, {"window"})
    if d is None:
        return None
    window = parse_window(p, f"{path}.window", d["window"])
    n = _whole(p, f"{path}.at_least", d.get("at_least", 1), 1, 365)
    return Encounters(window, n) if window and n else None


def _observation(p: _Problems, path: str, data: Any) -> ObservationTest | None:
    allowed = {"code", "window", "value", "same_day", "in", *COMPARISONS}
    d = _keys(p, path, data, allowed, {"code", "window"})
    if d is None:
        return None
    before = len(p.found)
    code = d["code"].strip() if isinstance(d["code"], str) else ""
    if not loinc_ok(code):
        p.add(f"{path}.code", "give a LOINC code with its check digit, such as 4548-4.")
    window = parse_window(p, f"{path}.window", d["window"])
    value = d.get("value", ANY)
    if value not in (ANY, LATEST):
        p.add(f"{path}.value", 'choose "any" (some result in the window) or "latest" (the '
                               "most recent one).")
    same_day = d.get("same_day", LAST)
    if same_day not in (LAST, LOWEST, HIGHEST):
        p.add(f"{path}.same_day", 'choose "last", "lowest" or "highest".')
    tests = {op: _number(p, f"{path}.{op}", d[op]) for op in COMPARISONS if op in d}
    texts: tuple[str, ...] = ()
    if "in" in d:
        raw = d["in"]
        if (not isinstance(raw, list) or not raw
                or not all(isinstance(v, str) and v.strip() for v in raw)):
            p.add(f"{path}.in", "give a list of the text values that count.")
        else:
            texts = tuple(dict.fromkeys(v.strip() for v in raw))
        if tests:
            p.add(f"{path}.in", "compare the number (lt, le, gt, ge) or the text (in), not "
                                "both.")
    if len(p.found) > before or window is None:
        return None
    return ObservationTest(code, window, value, same_day, tests.get("lt"), tests.get("le"),
                           tests.get("gt"), tests.get("ge"), texts)


def _procedure(p: _Problems, path: str, data: Any) -> Procedure | None:
    d = _keys(p, path, data, {"codes", "window"}, {"codes", "window"})
    if d is None:
        return None
    codes = _codes(p, f"{path}.codes", d["codes"], PROCEDURE,
                   "CPT or HCPCS codes (5 characters, such as 99406 or G0447)")
    window = parse_window(p, f"{path}.window", d["window"])
    return Procedure(codes, window) if codes and window else None


_KINDS: dict[str, Callable[[_Problems, str, Any], Criterion | None]] = {
    "age": _age, "sex": _sex, "condition": _condition, "encounters": _encounters,
    "observation": _observation, "procedure": _procedure}
_COMBINERS = ("all", "any", "not")


def parse_criterion(p: _Problems, path: str, data: Any, depth: int = 0) -> Criterion | None:
    if depth > MAX_DEPTH:
        p.add(path, f"nests deeper than {MAX_DEPTH} levels; simplify it.")
        return None
    if not isinstance(data, Mapping) or len(data) != 1:
        p.add(path, "write one criterion as an object with one key: "
              + ", ".join((*_COMBINERS, *_KINDS)) + ".")
        return None
    ((kind, body),) = data.items()
    where = f"{path}.{kind}" if path else kind
    if kind == "not":
        item = parse_criterion(p, where, body, depth + 1)
        return Not(item) if item is not None else None
    if kind in ("all", "any"):
        if not isinstance(body, list) or not body or len(body) > MAX_ITEMS:
            p.add(where, f"give a list of 1 to {MAX_ITEMS} criteria.")
            return None
        items = [parse_criterion(p, f"{where}[{i}]", c, depth + 1) for i, c in enumerate(body)]
        if any(i is None for i in items):
            return None
        found = tuple(i for i in items if i is not None)
        return AllOf(found) if kind == "all" else AnyOf(found)
    if kind not in _KINDS:
        p.add(where, "is not a kind of criterion; use one of "
              + ", ".join((*_COMBINERS, *_KINDS)) + ".")
        return None
    return _KINDS[kind](p, where, body)


def parse_measure(data: Any) -> MeasureDefinition:
    """A definition from its JSON form, or `MeasureDefinitionError` listing every problem."""
    p = _Problems()
    fields = {"id", "title", "description", "source", "version", "inverse",
              "initial_population", "denominator", "exclusions", "numerator", "needs"}
    if not isinstance(data, Mapping):
        raise MeasureDefinitionError({"definition": "must be a JSON object."})
    for key in sorted(set(data) - fields):
        p.add(key, "is not a field of a measure; allowed: " + ", ".join(sorted(fields)) + ".")
    slug = _text(p, data, "id", 60)
    if slug and not SLUG.fullmatch(slug):
        p.add("id", "use lower-case letters, digits and single hyphens, such as "
                    "cms122-hba1c-poor-control.")
    title = _text(p, data, "title", 120)
    description = _text(p, data, "description", 4000, required=False)
    source = _text(p, data, "source", 300)
    version = _whole(p, "version", data.get("version", 1), 1, 10_000)
    inverse = data.get("inverse", False)
    if not isinstance(inverse, bool):
        p.add("inverse", "must be true (a lower rate is better) or false.")
    parts: dict[str, Criterion | None] = {}
    for part in ("initial_population", "denominator", "exclusions", "numerator"):
        value = data.get(part)
        if value is None:
            if part in ("initial_population", "numerator"):
                p.add(part, "is required.")
            parts[part] = None
        else:
            parts[part] = parse_criterion(p, part, value)
    needs: tuple[str, ...] = ()
    raw_needs = data.get("needs", [])
    if not isinstance(raw_needs, list) or not all(isinstance(v, str) for v in raw_needs):
        p.add("needs", "give a list of LOINC codes, such as [\"4548-4\"].")
    else:
        for i, code in enumerate(raw_needs):
            if not loinc_ok(code.strip()):
                p.add(f"needs[{i}]", "give a LOINC code with its check digit, such as 4548-4.")
        needs = tuple(dict.fromkeys(c.strip() for c in raw_needs))
    if p.found:
        raise MeasureDefinitionError(p.found)
    ip, numerator = parts["initial_population"], parts["numerator"]
    assert ip is not None and numerator is not None and version is not None
    return MeasureDefinition(slug, title, description, source, version, bool(inverse), ip,
                             parts["denominator"], parts["exclusions"], numerator, needs)


# --- writing back -------------------------------------------------------------------------------
def _number_text(value: Decimal) -> str:
    return format(value, "f")


def window_to_json(w: Window) -> Any:
    if w.name:
        return w.name
    out = {}
    if w.first is not None:
        out["from"] = w.first.text()
    if w.last is not None:
        out["to"] = w.last.text()
    return out


def criterion_to_json(c: Criterion) -> dict[str, Any]:
    if isinstance(c, AllOf | AnyOf):
        return {"all" if isinstance(c, AllOf) else "any": [criterion_to_json(i)
                                                            for i in c.items]}
    if isinstance(c, Not):
        return {"not": criterion_to_json(c.item)}
    if isinstance(c, Age):
        age: dict[str, Any] = {"at": c.at.text()}
        age.update({k: v for k, v in (("min", c.min), ("max", c.max)) if v is not None})
        return {"age": age}
    if isinstance(c, Sex):
        return {"sex": list(c.values)}
    if isinstance(c, Condition):
        return {"condition": {"codes": list(c.codes), "window": window_to_json(c.window),
                              "how": c.how}}
    if isinstance(c, Encounters):
        return {"encounters": {"window": window_to_json(c.window), "at_least": c.at_least}}
    if isinstance(c, ObservationTest):
        obs: dict[str, Any] = {"code": c.code, "window": window_to_json(c.window),
                               "value": c.value}
        if c.same_day != LAST:
            obs["same_day"] = c.same_day
        obs.update({op: _number_text(v) for op, v in c.tests})
        if c.texts:
            obs["in"] = list(c.texts)
        return {"observation": obs}
    return {"procedure": {"codes": list(c.codes), "window": window_to_json(c.window)}}


def measure_to_dict(m: MeasureDefinition) -> dict[str, Any]:
    """The definition in its JSON form (what `parse_measure` reads)."""
    out: dict[str, Any] = {
        "id": m.id, "title": m.title, "description": m.description, "source": m.source,
        "version": m.version, "inverse": m.inverse,
        "initial_population": criterion_to_json(m.initial_population)}
    for part in ("denominator", "exclusions"):
        value = getattr(m, part)
        out[part] = criterion_to_json(value) if value is not None else None
    out["numerator"] = criterion_to_json(m.numerator)
    out["needs"] = list(m.needs)
    return out


def canonical_json(m: MeasureDefinition) -> str:
    return json.dumps(measure_to_dict(m), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def definition_hash(m: MeasureDefinition) -> str:
    """SHA-256 of the canonical JSON: two runs with the same hash counted the same way."""
    return hashlib.sha256(canonical_json(m).encode()).hexdigest()


def observation_codes(c: Criterion | None) -> tuple[str, ...]:
    """Every observation code a criterion reads, in order of first use."""
    if c is None:
        return ()
    if isinstance(c, AllOf | AnyOf):
        return tuple(dict.fromkeys(code for i in c.items for code in observation_codes(i)))
    if isinstance(c, Not):
        return observation_codes(c.item)
    return (c.code,) if isinstance(c, ObservationTest) else ()


def walk(c: Criterion | None) -> Sequence[Criterion]:
    """The criterion and everything inside it, depth first."""
    if c is None:
        return []
    if isinstance(c, AllOf | AnyOf):
        return [c, *(x for i in c.items for x in walk(i))]
    if isinstance(c, Not):
        return [c, *walk(c.item)]
    return [c]
