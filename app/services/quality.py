"""Quality measures (issue 9): evaluate measure definitions over the clinic's own coded data,
per provider, with the patient list of each part, data gaps, a monthly trend, CSV export and
runs kept for comparison. Definitions are data (app.formats.quality_measures); the app ships
four, modelled on CMS122, CMS165, CMS69 and CMS138 (resources/measures), which an
administrator may edit, restore or add to.

Decisions this module makes, in one place:

- **Evaluation is SQL.** Each criterion compiles to a condition on `patient.id` (`IN` a
  sub-select over problems, visit diagnoses, encounters, observations or charge lines, or a
  test of the date of birth or sex); a measure is one query returning, for every patient of
  its initial population, whether they are in the denominator, excluded, in the numerator and
  missing a needed observation. Nothing but patient ids and flags reaches Python. Merged
  records (`merged_into_id` set) are never counted: their rows moved to the surviving one.
- **Counts.** Denominator counts the initial population patients who meet the denominator
  criteria, exclusions those of them who are excluded, numerator those of the rest who meet
  the numerator. Rate = numerator / (denominator - exclusions), a fraction to 4 places
  (half up), None when nobody is left. "Not met" = denominator - exclusions - numerator.
- **Inverse measures** (lower is better, CMS122): the list to act on is the numerator. The
  part `ACTION` is that list for any measure (not met, or the numerator when inverse), so a
  screen never has to know which.
- **Providers.** A patient belongs to the provider of their latest visit in the period (the
  highest visit number on a day with several); patients with no visit in the period, or none
  with a provider, are counted under "no provider". Counts per provider add up to the whole.
- **Data gaps**: patients in the denominator, not excluded, who have no observation of one of
  the measure's `needs` codes dated in the period.
- **Trend**: for each month, the measure evaluated over the 12 months ending with that month
  (a rolling year, as annual measures are read between reporting periods); `window_months=1`
  gives each month on its own instead.
- **Runs** keep counts only (per measure, and per provider when asked), with the definition's
  revision and hash; they are append-only. Patient lists are worked out again when asked for.
- **Shipped definitions** are copied from resources/measures into the database on first use
  (and a newer shipped text replaces an unedited one); an edited one is kept until an
  administrator restores the shipped text.
- **Permissions and audit.** VIEW_QUALITY reads (evaluate, lists, gaps, trend, export, runs);
  MANAGE_MEASURES changes definitions. Every read that works over patient data writes an
  audit event with counts, never names.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    false,
    func,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from app.errors import ConflictError, UserError
from app.formats import observations as obs
from app.formats.quality_measures import (
    ACTION,
    ACTIVE,
    DENOMINATOR,
    EXCLUSIONS,
    HIGHEST,
    INITIAL_POPULATION,
    LATEST,
    LOWEST,
    NOT_MET,
    NUMERATOR,
    PARTS,
    Age,
    AllOf,
    AnyOf,
    Condition,
    Criterion,
    Encounters,
    MeasureDefinition,
    MeasureDefinitionError,
    Not,
    ObservationTest,
    Procedure,
    Sex,
    Window,
    add_months,
    canonical_json,
    definition_hash,
    measure_to_dict,
    observation_codes,
    parse_measure,
    walk,
)
from app.models import (
    ChargeLine,
    Encounter,
    EncounterDiagnosis,
    MeasureResult,
    MeasureRun,
    Observation,
    Patient,
    Problem,
    Provider,
    QualityMeasure,
)
from app.models.quality import ALL_PROVIDERS, NO_PROVIDER, ONE_PROVIDER
from app.models.types import utcnow
from app.services.audit import append_event
from app.services.context import UserContext
from app.services.database import Database
from app.services.permissions import Permission

RATE_PLACES = Decimal("0.0001")
MAX_PERIOD_YEARS = 10
MAX_TREND_MONTHS = 36
NO_PROVIDER_ID = 0  # `patients(provider_id=...)`: the patients counted under "no provider"


def rate_of(numerator: int, eligible: int) -> Decimal | None:
    """numerator / eligible as a fraction to 4 places, half up; None when eligible is 0."""
    if eligible <= 0:
        return None
    return (Decimal(numerator) / Decimal(eligible)).quantize(RATE_PLACES, ROUND_HALF_UP)


# --- what callers get back -------------------------------------------------------------------
@dataclass(frozen=True)
class MeasureCounts:
    initial_population: int
    denominator: int
    exclusions: int
    numerator: int
    data_gaps: int = 0

    @property
    def eligible(self) -> int:
        """The rate's divisor: denominator less exclusions."""
        return self.denominator - self.exclusions

    @property
    def not_met(self) -> int:
        return self.eligible - self.numerator

    @property
    def rate(self) -> Decimal | None:
        return rate_of(self.numerator, self.eligible)


@dataclass(frozen=True)
class ProviderCounts:
    """One provider's share of a measure; provider_id None with scope "none": patients with
    no visit, or no provider on their latest visit, in the period."""

    provider_id: int | None
    provider_name: str
    scope: str
    counts: MeasureCounts


@dataclass(frozen=True)
class MeasureOutcome:
    measure_id: str
    title: str
    inverse: bool
    revision: int
    definition_sha256: str
    counts: MeasureCounts
    providers: tuple[ProviderCounts, ...] = ()

    @property
    def action_part(self) -> str:
        return NUMERATOR if self.inverse else NOT_MET

    @property
    def action_count(self) -> int:
        return self.counts.numerator if self.inverse else self.counts.not_met


@dataclass(frozen=True)
class Evaluation:
    """The measures evaluated over a period; `run_id` is the stored run (None: not saved)."""

    run_id: int | None
    start: date
    end: date
    measures: tuple[MeasureOutcome, ...]

    def measure(self, measure_id: str) -> MeasureOutcome:
        for m in self.measures:
            if m.measure_id == measure_id:
                return m
        raise KeyError(measure_id)


@dataclass(frozen=True)
class MeasureInfo:
    """A definition as the clinic keeps it. `data` is its JSON form (what an editor shows and
    `save_definition` takes back)."""

    measure_id: str
    title: str
    definition: MeasureDefinition
    data: dict[str, Any]
    shipped: bool
    edited: bool
    active: bool
    revision: int
    updated_by: str
    updated_at: datetime

    @property
    def source(self) -> str:
        return self.definition.source

    @property
    def inverse(self) -> bool:
        return self.definition.inverse


@dataclass(frozen=True)
class ObservedValue:
    """A patient's latest result of one code in the period."""

    code: str
    name: str
    value: Decimal | None
    text: str
    unit: str
    observed_on: date

    @property
    def display(self) -> str:
        if self.value is None:
            return self.text
        if self.unit in ("", "%"):
            return f"{self.value}{self.unit}"
        return f"{self.value} {self.unit}"


@dataclass(frozen=True)
class QualityPatient:
    patient_id: int
    mrn: str
    last_name: str
    first_name: str
    dob: date
    last_visit: date | None  # latest visit in the period
    provider_id: int | None
    provider_name: str
    values: tuple[ObservedValue, ...]  # latest in the period of each code the measure needs
    missing: tuple[str, ...] = ()  # codes (names) with no result in the period

    @property
    def name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


@dataclass(frozen=True)
class PatientList:
    measure_id: str
    title: str
    part: str  # one of PARTS except ACTION (resolved), or "data_gaps"
    start: date
    end: date
    provider_id: int | None
    codes: tuple[str, ...]  # the observation codes whose latest values the rows carry
    rows: tuple[QualityPatient, ...]

    def to_csv(self) -> str:
        """The list as CSV (ISO dates). Text that a spreadsheet would run as a formula is
        prefixed with an apostrophe."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        names = [_code_name(c) for c in self.codes]
        w.writerow(["MRN", "Last name", "First name", "DOB", "Last visit", "Provider",
                    *(h for n in names for h in (n, f"{n} date")), "Missing"])
        for r in self.rows:
            values = {v.code: v for v in r.values}
            cells: list[str] = []
            for c in self.codes:
                v = values.get(c)
                cells += [v.display, v.observed_on.isoformat()] if v else ["", ""]
            w.writerow([_cell(r.mrn), _cell(r.last_name), _cell(r.first_name),
                        r.dob.isoformat(), r.last_visit.isoformat() if r.last_visit else "",
                        _cell(r.provider_name), *(_cell(c) for c in cells),
                        "; ".join(r.missing)])
        return out.getvalue()


@dataclass(frozen=True)
class TrendPoint:
    month: date  # first day of the month
    start: date
    end: date
    counts: MeasureCounts

    @property
    def rate(self) -> Decimal | None:
        return self.counts.rate


@dataclass(frozen=True)
class RunSummary:
    id: int
    start: date
    end: date
    by_provider: bool
    run_by: str
    run_at: datetime
    measures: int


@dataclass(frozen=True)
class ComparedMeasure:
    """One measure (and scope) in two runs; None where a run did not have it."""

    measure_id: str
    title: str
    scope: str
    provider_id: int | None
    provider_name: str
    before: MeasureCounts | None
    after: MeasureCounts | None
    same_definition: bool

    @property
    def change(self) -> Decimal | None:
        """After's rate less before's, when both have one."""
        if self.before is None or self.after is None:
            return None
        a, b = self.after.rate, self.before.rate
        return None if a is None or b is None else a - b


@dataclass(frozen=True)
class RunComparison:
    before: RunSummary
    after: RunSummary
    rows: tuple[ComparedMeasure, ...]


# --- shipped definitions ------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def shipped_definitions() -> dict[str, MeasureDefinition]:
    """The app's own definitions, from resources/measures/*.json, by id."""
    folder = resources.files("resources").joinpath("measures")
    found: dict[str, MeasureDefinition] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            m = parse_measure(json.loads(entry.read_text(encoding="utf-8")))
            found[m.id] = m
    return found


def _code_name(code: str) -> str:
    kind = obs.KNOWN.get(code)
    return kind.name if kind else code


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# --- compiling criteria to SQL ------------------------------------------------------------------
def years_before(day: date, years: int) -> date:
    """The latest birth date of someone `years` old on `day` (29 February → 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return date(day.year - years, 2, 28)


def _between(column: Any, lo: date | None, hi: date | None) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if lo is not None:
        out.append(column >= lo)
    if hi is not None:
        out.append(column <= hi)
    return out


def _prefix(column: Any, prefix: str) -> ColumnElement[bool]:
    """column starts with prefix, as a range an index can read (codes are ASCII)."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper)


class _Compiler:
    """Criteria → SQL conditions on `patient.id` for one measurement period."""

    def __init__(self, start: date, end: date) -> None:
        self.start = start
        self.end = end

    def window(self, w: Window) -> tuple[date | None, date | None]:
        return w.resolve(self.start, self.end)

    def expr(self, c: Criterion) -> ColumnElement[bool]:
        if isinstance(c, AllOf):
            return and_(*(self.expr(i) for i in c.items))
        if isinstance(c, AnyOf):
            return or_(*(self.expr(i) for i in c.items))
        if isinstance(c, Not):
            return not_(self.expr(c.item))
        if isinstance(c, Age):
            at = c.at.resolve(self.start, self.end)
            parts = []
            if c.min is not None:
                parts.append(Patient.dob <= years_before(at, c.min))
            if c.max is not None:
                parts.append(Patient.dob > years_before(at, c.max + 1))
            return and_(*parts)
        if isinstance(c, Sex):
            return Patient.sex.in_(c.values)
        return Patient.id.in_(self.patients(c))

    def patients(self, c: Criterion) -> Any:
        """The sub-select of patient ids meeting a criterion on clinical rows."""
        if isinstance(c, Condition):
            return self.condition(c)
        if isinstance(c, Encounters):
            lo, hi = self.window(c.window)
            q = select(Encounter.patient_id).where(*_between(Encounter.date, lo, hi))
            if c.at_least > 1:
                q = q.group_by(Encounter.patient_id).having(func.count() >= c.at_least)
            return q
        if isinstance(c, ObservationTest):
            return self.observation(c)
        if isinstance(c, Procedure):
            lo, hi = self.window(c.window)
            return select(ChargeLine.patient_id).where(
                ChargeLine.code.in_(c.codes), ChargeLine.voided_at.is_(None),
                *_between(ChargeLine.dos, lo, hi))
        raise TypeError(f"not a clinical criterion: {type(c).__name__}")

    def condition(self, c: Condition) -> Any:
        lo, hi = self.window(c.window)
        # Problems are kept with the dot (E11.9), visit diagnoses without (E119); a problem
        # typed without the dot is found too.
        dotless = [code.replace(".", "") for code in c.codes]
        codes = or_(*(_prefix(Problem.code, p) for p in dict.fromkeys([*c.codes, *dotless])))
        problems = select(Problem.patient_id).where(codes)
        if c.how == ACTIVE:
            if hi is not None:
                problems = problems.where(or_(Problem.onset.is_(None), Problem.onset <= hi))
            if lo is not None:
                # ended on or after the window's first day; a row not active and without a
                # resolved date is known only on its onset day
                problems = problems.where(or_(
                    Problem.resolved >= lo,
                    and_(Problem.resolved.is_(None),
                         or_(Problem.status == "active", Problem.onset >= lo))))
        else:
            problems = problems.where(Problem.onset.is_not(None),
                                      *_between(Problem.onset, lo, hi))
        visits = (select(Encounter.patient_id)
                  .join(EncounterDiagnosis, EncounterDiagnosis.encounter_id == Encounter.id)
                  .where(or_(*(_prefix(EncounterDiagnosis.code, p)
                               for p in dict.fromkeys(dotless))),
                         *_between(Encounter.date, lo, hi)))
        return union_all(problems, visits)

    def observation(self, c: ObservationTest) -> Any:
        lo, hi = self.window(c.window)
        where = [Observation.code == c.code, *_between(Observation.observed_on, lo, hi)]
        if c.value != LATEST:
            return select(Observation.patient_id).where(
                *where, *_value_tests(c, Observation.value, Observation.value_text))
        order: list[Any] = [Observation.observed_on.desc()]
        if c.same_day == LOWEST:
            order += [Observation.value.is_(None), Observation.value.asc()]
        elif c.same_day == HIGHEST:
            order += [Observation.value.is_(None), Observation.value.desc()]
        order.append(Observation.id.desc())
        rn = func.row_number().over(partition_by=Observation.patient_id, order_by=order)
        latest = select(Observation.patient_id.label("pid"), Observation.value.label("value"),
                        Observation.value_text.label("text"), rn.label("rn")) \
            .where(*where).subquery()
        return select(latest.c.pid).where(latest.c.rn == 1,
                                          *_value_tests(c, latest.c.value, latest.c.text))


def _value_tests(c: ObservationTest, value: Any, text: Any) -> list[ColumnElement[bool]]:
    ops = {"lt": value.__lt__, "le": value.__le__, "gt": value.__gt__, "ge": value.__ge__}
    out: list[ColumnElement[bool]] = [ops[op](v) for op, v in c.tests]
    if c.texts:
        out.append(text.in_(c.texts))
    return out


@dataclass(frozen=True)
class _Compiled:
    ip: ColumnElement[bool]
    den: ColumnElement[bool]
    exc: ColumnElement[bool]
    num: ColumnElement[bool]
    gap: ColumnElement[bool]

    def part(self, part: str) -> ColumnElement[bool]:
        ip, den, exc, num = self.ip, self.den, self.exc, self.num
        return {INITIAL_POPULATION: ip, DENOMINATOR: and_(ip, den),
                EXCLUSIONS: and_(ip, den, exc), NUMERATOR: and_(ip, den, not_(exc), num),
                NOT_MET: and_(ip, den, not_(exc), not_(num)),
                "data_gaps": and_(ip, den, not_(exc), self.gap)}[part]


def _has_observation(code: str, start: date, end: date) -> ColumnElement[bool]:
    return Patient.id.in_(select(Observation.patient_id).where(
        Observation.code == code, Observation.observed_on >= start,
        Observation.observed_on <= end))


def compile_measure(m: MeasureDefinition, start: date, end: date) -> _Compiled:
    c = _Compiler(start, end)
    gap = or_(*(not_(_has_observation(code, start, end)) for code in m.needs)) \
        if m.needs else false()
    return _Compiled(
        and_(Patient.merged_into_id.is_(None), c.expr(m.initial_population)),
        c.expr(m.denominator) if m.denominator is not None else true(),
        c.expr(m.exclusions) if m.exclusions is not None else false(),
        c.expr(m.numerator), gap)


def _flags(s: Session, m: MeasureDefinition, start: date,
           end: date) -> list[tuple[int, bool, bool, bool, bool]]:
    """(patient id, in denominator, excluded, in numerator, data gap) for every patient of
    the initial population."""
    k = compile_measure(m, start, end)
    q = select(Patient.id, k.den.label("d"), k.exc.label("e"), k.num.label("n"),
               k.gap.label("g")).where(k.ip)
    return [(int(r[0]), bool(r[1]), bool(r[2]), bool(r[3]), bool(r[4])) for r in s.execute(q)]


def _latest_visits(start: date, end: date) -> Any:
    """Each patient's latest visit in the period: (pid, provider_id, date)."""
    rn = func.row_number().over(partition_by=Encounter.patient_id,
                                order_by=(Encounter.date.desc(), Encounter.id.desc()))
    inner = select(Encounter.patient_id.label("pid"), Encounter.provider_id.label("provider_id"),
                   Encounter.date.label("date"), rn.label("rn")) \
        .where(Encounter.date >= start, Encounter.date <= end).subquery()
    return select(inner.c.pid, inner.c.provider_id, inner.c.date) \
        .where(inner.c.rn == 1).subquery()


class _Tally:
    def __init__(self) -> None:
        self.n = [0, 0, 0, 0, 0]

    def add(self, d: bool, e: bool, num: bool, gap: bool) -> None:
        n = self.n
        n[0] += 1
        if d:
            n[1] += 1
            if e:
                n[2] += 1
            else:
                n[3] += num
                n[4] += gap

    def counts(self) -> MeasureCounts:
        return MeasureCounts(*self.n)


def _count(rows: Iterable[tuple[int, bool, bool, bool, bool]],
           attribution: Mapping[int, int | None] | None,
           ) -> tuple[MeasureCounts, dict[int | None, MeasureCounts]]:
    whole = _Tally()
    by: dict[int | None, _Tally] = {}
    for pid, d, e, num, gap in rows:
        whole.add(d, e, num, gap)
        if attribution is not None:
            t = by.get(key := attribution.get(pid))
            if t is None:
                t = by[key] = _Tally()
            t.add(d, e, num, gap)
    return whole.counts(), {k: t.counts() for k, t in by.items()}


# --- the service ---------------------------------------------------------------------------------
class QualityService:
    """Measure definitions, evaluations, patient lists, data gaps, trends and runs."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    # --- definitions ------------------------------------------------------------------------
    def definitions(self, *, include_inactive: bool = True) -> tuple[MeasureInfo, ...]:
        """Every definition the clinic has, by title (the shipped ones copied in on first
        use)."""
        self._ctx.require(Permission.VIEW_QUALITY)
        with self._db.session() as s:
            _sync_shipped(s)
            q = select(QualityMeasure).order_by(QualityMeasure.title, QualityMeasure.slug)
            if not include_inactive:
                q = q.where(QualityMeasure.active.is_(True))
            return tuple(_info(r) for r in s.scalars(q))

    def definition(self, measure_id: str) -> MeasureInfo:
        self._ctx.require(Permission.VIEW_QUALITY)
        with self._db.session() as s:
            _sync_shipped(s)
            return _info(_row(s, measure_id))

    def check_definition(self, data: Mapping[str, Any]) -> MeasureDefinition:
        """The definition parsed and checked, nothing saved; `MeasureDefinitionError` names
        every problem (for an editor that checks as the administrator types)."""
        self._ctx.require(Permission.MANAGE_MEASURES)
        return parse_measure(data)

    def save_definition(self, data: Mapping[str, Any],
                        revision: int | None = None) -> MeasureInfo:
        """Add a definition, or change the one with the same id. `revision` is the revision
        the editor opened (None for a new one): a different one saved since is a conflict.
        Refused with `MeasureDefinitionError` (every problem named) when it does not check."""
        user = self._ctx.require(Permission.MANAGE_MEASURES)
        m = parse_measure(data)
        with self._db.session() as s:
            _sync_shipped(s)
            row = s.scalar(select(QualityMeasure).where(QualityMeasure.slug == m.id))
            if row is None:
                if revision is not None:
                    raise ConflictError("That measure no longer exists; reload the list.")
                row = QualityMeasure(slug=m.id, shipped=False, edited=False, active=True,
                                     revision=0)
                s.add(row)
            elif revision != row.revision:
                raise ConflictError(
                    f"The measure {m.id} was changed by {row.updated_by or 'someone'} since "
                    "you opened it; reload it and make your change again."
                    if revision is not None else
                    f"A measure with the id {m.id} already exists; choose another id.")
            text = canonical_json(m)
            shipped = shipped_definitions().get(m.id)
            row.edited = row.shipped and shipped is not None and text != canonical_json(shipped)
            _store(row, m, user.username)
            s.flush()
            append_event(s, user, "measure.save", entity="quality_measure", entity_id=m.id,
                         details={"revision": row.revision, "edited": row.edited})
            return _info(row)

    def restore_shipped(self, measure_id: str) -> MeasureInfo:
        """Put back the app's own text of a shipped definition the administrator edited."""
        user = self._ctx.require(Permission.MANAGE_MEASURES)
        shipped = shipped_definitions().get(measure_id)
        with self._db.session() as s:
            _sync_shipped(s)
            row = _row(s, measure_id)
            if shipped is None or not row.shipped:
                raise UserError(f"{measure_id} is the clinic's own measure: there is no "
                                "shipped version to restore.")
            if not row.edited and row.definition == canonical_json(shipped):
                return _info(row)  # already the shipped text: nothing to record
            row.edited = False
            _store(row, shipped, user.username)
            append_event(s, user, "measure.restore", entity="quality_measure",
                         entity_id=measure_id, details={"revision": row.revision})
            return _info(row)

    def set_active(self, measure_id: str, active: bool) -> MeasureInfo:
        """Take a measure out of evaluations (or back in); its past results stay."""
        user = self._ctx.require(Permission.MANAGE_MEASURES)
        with self._db.session() as s:
            _sync_shipped(s)
            row = _row(s, measure_id)
            if row.active != active:
                row.active = active
                row.updated_by, row.updated_at = user.username, utcnow()
                append_event(s, user, "measure.activate" if active else "measure.deactivate",
                             entity="quality_measure", entity_id=measure_id)
            return _info(row)

    # --- evaluation ------------------------------------------------------------------------
    def evaluate(self, start: date, end: date, *, measure_ids: Sequence[str] | None = None,
                 by_provider: bool = True, save: bool = True) -> Evaluation:
        """Counts and rate of each measure (the active ones, or those named) over the period
        from `start` to `end` (both included), with each provider's share when `by_provider`.
        `save` keeps the counts as a run for later comparison. Audited with counts only."""
        user = self._ctx.require(Permission.VIEW_QUALITY)
        _check_period(start, end)
        with self._db.session() as s:
            _sync_shipped(s)
            chosen = _chosen(s, measure_ids)
            attribution = _attribution(s, start, end) if by_provider else None
            names = _provider_names(s) if by_provider else {}
            outcomes = []
            for row, m in chosen:
                whole, by = _count(_flags(s, m, start, end), attribution)
                outcomes.append(MeasureOutcome(
                    m.id, m.title, m.inverse, row.revision, definition_hash(m), whole,
                    _provider_rows(by, names)))
            run_id = _save_run(s, user.username, start, end, by_provider, outcomes) \
                if save else None
            append_event(s, user, "quality.evaluate", entity="measure_run", entity_id=run_id,
                         details={"from": start.isoformat(), "to": end.isoformat(),
                                  "measures": len(outcomes), "saved": save,
                                  "initial_population": sum(o.counts.initial_population
                                                            for o in outcomes)})
            return Evaluation(run_id, start, end, tuple(outcomes))

    def patients(self, measure_id: str, start: date, end: date, part: str = ACTION, *,
                 provider_id: int | None = None) -> PatientList:
        """The patients of one part of a measure over the period: initial_population,
        denominator, exclusions, numerator, not_met, or ACTION (the list to act on: not met,
        or the numerator of an inverse measure). `provider_id` narrows it to one provider's
        patients (NO_PROVIDER_ID: those under "no provider"). Each row carries the latest
        value in the period of each observation the measure needs. Audited (count only)."""
        user = self._ctx.require(Permission.VIEW_QUALITY)
        _check_period(start, end)
        if part not in PARTS:
            raise UserError("Choose a part of the measure: " + ", ".join(PARTS) + ".")
        with self._db.session() as s:
            _sync_shipped(s)
            row = _row(s, measure_id)
            m = _definition(row)
            resolved = m.action_part if part == ACTION else part
            out = _patient_list(s, m, start, end, resolved, provider_id)
            append_event(s, user, "quality.patients", entity="quality_measure",
                         entity_id=m.id, details={"part": resolved, "from": start.isoformat(),
                                                  "to": end.isoformat(),
                                                  "provider": provider_id,
                                                  "patients": len(out.rows)})
            return out

    def data_gaps(self, measure_id: str, start: date, end: date, *,
                  provider_id: int | None = None) -> PatientList:
        """Patients in the denominator, not excluded, missing a result of a code the measure
        needs in the period (e.g. diabetics with no HbA1c); `missing` names what. Audited."""
        user = self._ctx.require(Permission.VIEW_QUALITY)
        _check_period(start, end)
        with self._db.session() as s:
            _sync_shipped(s)
            m = _definition(_row(s, measure_id))
            out = _patient_list(s, m, start, end, "data_gaps", provider_id)
            append_event(s, user, "quality.data_gaps", entity="quality_measure",
                         entity_id=m.id, details={"from": start.isoformat(),
                                                  "to": end.isoformat(),
                                                  "provider": provider_id,
                                                  "patients": len(out.rows)})
            return out

    def export_csv(self, patient_list: PatientList) -> str:
        """A patient list as CSV for a file the clerk saves (audited as an export)."""
        user = self._ctx.require(Permission.VIEW_QUALITY)
        with self._db.session() as s:
            append_event(s, user, "quality.export", entity="quality_measure",
                         entity_id=patient_list.measure_id,
                         details={"part": patient_list.part,
                                  "from": patient_list.start.isoformat(),
                                  "to": patient_list.end.isoformat(),
                                  "patients": len(patient_list.rows)})
        return patient_list.to_csv()

    def trend(self, measure_id: str, start: date, end: date, *,
              window_months: int = 12) -> tuple[TrendPoint, ...]:
        """The measure month by month, from the month of `start` to the month of `end`: each
        month's point is the measure over the `window_months` months ending with it (12: a
        rolling year; 1: the month alone). Not saved as runs. Audited (months only)."""
        user = self._ctx.require(Permission.VIEW_QUALITY)
        _check_period(start, end)
        if not 1 <= window_months <= 24:
            raise UserError("A trend looks back 1 to 24 months for each point.")
        first = start.replace(day=1)
        months = (end.year - first.year) * 12 + end.month - first.month + 1
        if months > MAX_TREND_MONTHS:
            raise UserError(f"A trend shows at most {MAX_TREND_MONTHS} months; choose a "
                            "shorter range.")
        with self._db.session() as s:
            _sync_shipped(s)
            m = _definition(_row(s, measure_id))
            points = []
            for i in range(months):
                month = add_months(first, i)
                p_end = add_months(month, 1).toordinal() - 1
                p_start = add_months(month, 1 - window_months)
                p_end_day = date.fromordinal(p_end)
                counts, _ = _count(_flags(s, m, p_start, p_end_day), None)
                points.append(TrendPoint(month, p_start, p_end_day, counts))
            append_event(s, user, "quality.trend", entity="quality_measure", entity_id=m.id,
                         details={"from": first.isoformat(), "months": months,
                                  "window_months": window_months})
            return tuple(points)

    # --- runs --------------------------------------------------------------------------------
    def runs(self, limit: int = 100) -> tuple[RunSummary, ...]:
        """Saved runs, newest first (counts only: no patient data)."""
        self._ctx.require(Permission.VIEW_QUALITY)
        with self._db.session() as s:
            n = func.count(func.distinct(MeasureResult.measure_slug))
            q = (select(MeasureRun, n).outerjoin(MeasureResult,
                                                 MeasureResult.run_id == MeasureRun.id)
                 .group_by(MeasureRun.id).order_by(MeasureRun.id.desc()).limit(limit))
            return tuple(_summary(run, int(count)) for run, count in s.execute(q))

    def run_results(self, run_id: int) -> Evaluation:
        """A saved run as it was reported."""
        self._ctx.require(Permission.VIEW_QUALITY)
        with self._db.session() as s:
            run = s.get(MeasureRun, run_id)
            if run is None:
                raise UserError(f"There is no saved run {run_id}.")
            return _stored_evaluation(s, run)

    def compare(self, before_run: int, after_run: int) -> RunComparison:
        """Two saved runs side by side, measure by measure and provider by provider, with
        the change in rate and whether both counted with the same definition."""
        self._ctx.require(Permission.VIEW_QUALITY)
        with self._db.session() as s:
            first, second = s.get(MeasureRun, before_run), s.get(MeasureRun, after_run)
            if first is None or second is None:
                missing = before_run if first is None else after_run
                raise UserError(f"There is no saved run {missing}.")
            a, b = _results(s, first.id), _results(s, second.id)
            names = _provider_names(s)
            keys = list(dict.fromkeys([*b, *a]))
            rows = []
            for key in keys:
                ra, rb = a.get(key), b.get(key)
                some = rb or ra
                assert some is not None
                rows.append(ComparedMeasure(
                    some.measure_slug, some.title, some.scope, some.provider_id,
                    _provider_label(some.provider_id, some.scope, names),
                    _stored_counts(ra) if ra else None, _stored_counts(rb) if rb else None,
                    ra is not None and rb is not None
                    and ra.definition_sha256 == rb.definition_sha256))
            return RunComparison(_summary(first, len({k[0] for k in a})),
                                 _summary(second, len({k[0] for k in b})), tuple(rows))


# --- helpers that read and write ------------------------------------------------------------------
def _check_period(start: date, end: date) -> None:
    if not isinstance(start, date) or not isinstance(end, date):
        raise UserError("Give the period's first and last days.")
    if end < start:
        raise UserError("The period ends before it starts; check the dates.")
    if end.year - start.year > MAX_PERIOD_YEARS or start.year < 1900:
        raise UserError(f"A measurement period is at most {MAX_PERIOD_YEARS} years long.")


def _sync_shipped(s: Session) -> None:
    """Copy in shipped definitions the database lacks; bring an unedited shipped one up to
    this build's text. Audited as the system (no user chose it)."""
    rows = {r.slug: r for r in s.scalars(select(QualityMeasure))}
    changed = []
    for slug, m in shipped_definitions().items():
        row = rows.get(slug)
        if row is None:
            row = QualityMeasure(slug=slug, shipped=True, edited=False, active=True,
                                 revision=0)
            s.add(row)
        elif not row.shipped or row.edited or row.definition == canonical_json(m):
            continue
        _store(row, m, "system")
        changed.append(slug)
    if changed:
        s.flush()
        append_event(s, None, "measure.load_shipped", details={"measures": changed})


def _store(row: QualityMeasure, m: MeasureDefinition, username: str) -> None:
    row.title = m.title
    row.definition = canonical_json(m)
    row.revision = (row.revision or 0) + 1
    row.updated_by = username
    row.updated_at = utcnow()


def _definition(row: QualityMeasure) -> MeasureDefinition:
    try:
        return parse_measure(json.loads(row.definition))
    except (ValueError, MeasureDefinitionError):
        # Stored text is always checked first; only a hand-edited database gets here.
        raise UserError(f"The stored definition of {row.slug} cannot be read; an "
                        "administrator should save it again or restore it.") from None


def _info(row: QualityMeasure) -> MeasureInfo:
    m = _definition(row)
    return MeasureInfo(row.slug, row.title, m, measure_to_dict(m), row.shipped, row.edited,
                       row.active, row.revision, row.updated_by, row.updated_at)


def _row(s: Session, measure_id: str) -> QualityMeasure:
    row = s.scalar(select(QualityMeasure).where(QualityMeasure.slug == measure_id))
    if row is None:
        raise UserError(f"There is no quality measure {measure_id!r}; reload the list.")
    return row


def _chosen(s: Session, measure_ids: Sequence[str] | None,
            ) -> list[tuple[QualityMeasure, MeasureDefinition]]:
    if measure_ids is None:
        rows = list(s.scalars(select(QualityMeasure).where(QualityMeasure.active.is_(True))
                              .order_by(QualityMeasure.title, QualityMeasure.slug)))
    else:
        rows = [_row(s, i) for i in dict.fromkeys(measure_ids)]
    return [(r, _definition(r)) for r in rows]


def _attribution(s: Session, start: date, end: date) -> dict[int, int | None]:
    latest = _latest_visits(start, end)
    return {int(pid): prov for pid, prov in s.execute(
        select(latest.c.pid, latest.c.provider_id))}


def _provider_names(s: Session) -> dict[int, str]:
    return {p.id: f"{p.last_name}, {p.first_name}" + (f" {p.credential}" if p.credential
                                                       else "")
            for p in s.scalars(select(Provider))}


def _provider_label(provider_id: int | None, scope: str, names: Mapping[int, str]) -> str:
    if scope == ALL_PROVIDERS:
        return "All providers"
    if provider_id is None:
        return "No provider"
    return names.get(provider_id, f"Provider {provider_id}")


def _provider_rows(by: Mapping[int | None, MeasureCounts],
                   names: Mapping[int, str]) -> tuple[ProviderCounts, ...]:
    rows = [ProviderCounts(pid, _provider_label(pid, ONE_PROVIDER if pid else NO_PROVIDER,
                                                names),
                           ONE_PROVIDER if pid else NO_PROVIDER, counts)
            for pid, counts in by.items()]
    # named providers by name, then "no provider" last
    return tuple(sorted(rows, key=lambda r: (r.provider_id is None, r.provider_name)))


def _save_run(s: Session, username: str, start: date, end: date, by_provider: bool,
              outcomes: Sequence[MeasureOutcome]) -> int:
    run = MeasureRun(period_start=start, period_end=end, by_provider=by_provider,
                     run_by=username)
    s.add(run)
    s.flush()
    for o in outcomes:
        for scope, provider_id, counts in [(ALL_PROVIDERS, None, o.counts),
                                           *((p.scope, p.provider_id, p.counts)
                                             for p in o.providers)]:
            s.add(MeasureResult(
                run_id=run.id, measure_slug=o.measure_id, title=o.title, revision=o.revision,
                definition_sha256=o.definition_sha256, inverse=o.inverse, scope=scope,
                provider_id=provider_id, initial_population=counts.initial_population,
                denominator=counts.denominator, exclusions=counts.exclusions,
                numerator=counts.numerator, data_gaps=counts.data_gaps, rate=counts.rate))
    s.flush()
    return run.id


def _summary(run: MeasureRun, measures: int) -> RunSummary:
    return RunSummary(run.id, run.period_start, run.period_end, run.by_provider, run.run_by,
                      run.run_at, measures)


def _results(s: Session, run_id: int) -> dict[tuple[str, str, int | None], MeasureResult]:
    q = select(MeasureResult).where(MeasureResult.run_id == run_id).order_by(MeasureResult.id)
    return {(r.measure_slug, r.scope, r.provider_id): r for r in s.scalars(q)}


def _stored_counts(r: MeasureResult) -> MeasureCounts:
    return MeasureCounts(r.initial_population, r.denominator, r.exclusions, r.numerator,
                         r.data_gaps)


def _stored_evaluation(s: Session, run: MeasureRun) -> Evaluation:
    names = _provider_names(s)
    by_measure: dict[str, list[MeasureResult]] = {}
    for r in _results(s, run.id).values():
        by_measure.setdefault(r.measure_slug, []).append(r)
    outcomes = []
    for rows in by_measure.values():
        whole = next(r for r in rows if r.scope == ALL_PROVIDERS)
        providers = _provider_rows({r.provider_id: _stored_counts(r) for r in rows
                                    if r.scope != ALL_PROVIDERS}, names)
        outcomes.append(MeasureOutcome(whole.measure_slug, whole.title, whole.inverse,
                                       whole.revision, whole.definition_sha256,
                                       _stored_counts(whole), providers))
    return Evaluation(run.id, run.period_start, run.period_end, tuple(outcomes))


def _shown_codes(m: MeasureDefinition) -> tuple[str, ...]:
    return m.needs or observation_codes(m.numerator)


def _same_day(m: MeasureDefinition, code: str) -> str:
    for c in walk(m.numerator):
        if isinstance(c, ObservationTest) and c.code == code and c.value == LATEST:
            return c.same_day
    return "last"


def _latest_values(s: Session, code: str, same_day: str, start: date, end: date,
                   wanted: set[int]) -> dict[int, ObservedValue]:
    """The latest result of `code` in the period of each patient in `wanted`."""
    order: list[Any] = [Observation.observed_on.desc()]
    if same_day == LOWEST:
        order += [Observation.value.is_(None), Observation.value.asc()]
    elif same_day == HIGHEST:
        order += [Observation.value.is_(None), Observation.value.desc()]
    order.append(Observation.id.desc())
    rn = func.row_number().over(partition_by=Observation.patient_id, order_by=order)
    inner = select(Observation.patient_id.label("pid"), Observation.value.label("value"),
                   Observation.value_text.label("text"), Observation.observed_on.label("on"),
                   rn.label("rn")) \
        .where(Observation.code == code, Observation.observed_on >= start,
               Observation.observed_on <= end).subquery()
    kind = obs.KNOWN.get(code)
    name, unit = _code_name(code), kind.unit if kind else ""
    return {pid: ObservedValue(code, name, value, text or "", unit, on)
            for pid, value, text, on in s.execute(
                select(inner.c.pid, inner.c.value, inner.c.text, inner.c.on)
                .where(inner.c.rn == 1)) if pid in wanted}


def _patient_list(s: Session, m: MeasureDefinition, start: date, end: date, part: str,
                  provider_id: int | None) -> PatientList:
    # The patients come from the part's conditions alone; their latest visit and values
    # are read over the whole period and matched here. (Joining the patients to
    # window-function sub-selects makes SQLite run those once per patient.)
    k = compile_measure(m, start, end)
    found = s.execute(select(Patient.id, Patient.mrn, Patient.last_name, Patient.first_name,
                             Patient.dob).where(k.part(part))
                      .order_by(Patient.last_key, Patient.first_key, Patient.dob,
                                Patient.id)).all()
    latest = _latest_visits(start, end)
    visits = {int(pid): (prov, day) for pid, prov, day in s.execute(
        select(latest.c.pid, latest.c.provider_id, latest.c.date))}
    if provider_id is not None:
        who = None if provider_id == NO_PROVIDER_ID else provider_id
        found = [r for r in found if visits.get(r[0], (None, None))[0] == who]
    codes = _shown_codes(m)
    wanted = {r[0] for r in found}
    values = [_latest_values(s, c, _same_day(m, c), start, end, wanted) for c in codes] \
        if found else []
    names = _provider_names(s)
    rows = []
    for pid, mrn, last, first, dob in found:
        prov, day = visits.get(pid, (None, None))
        have = [v[pid] for v in values if pid in v]
        missing = tuple(_code_name(c) for c, v in zip(codes, values, strict=True)
                        if pid not in v) if part == "data_gaps" else ()
        rows.append(QualityPatient(pid, mrn, last, first, dob, day, prov,
                                   names.get(prov, "") if prov is not None else "",
                                   tuple(have), missing))
    return PatientList(m.id, m.title, part, start, end, provider_id, codes, tuple(rows))


__all__ = ["ACTION", "DENOMINATOR", "EXCLUSIONS", "INITIAL_POPULATION", "NOT_MET",
           "NO_PROVIDER_ID", "NUMERATOR", "PARTS", "ComparedMeasure", "Evaluation",
           "MeasureCounts", "MeasureInfo", "MeasureOutcome", "ObservedValue", "PatientList",
           "ProviderCounts", "QualityPatient", "QualityService", "RunComparison",
           "RunSummary", "TrendPoint", "rate_of", "shipped_definitions"]
