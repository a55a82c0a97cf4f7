"""Measure definitions as data (app.formats.quality_measures): the shipped JSON parses and
writes back unchanged, windows and ages resolve on the right days, and a bad definition is
refused with every problem named by its path."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.formats.quality_measures import (
    NOT_MET,
    NUMERATOR,
    Age,
    AllOf,
    AnyOf,
    MeasureDefinitionError,
    Not,
    ObservationTest,
    Offset,
    Window,
    add_months,
    definition_hash,
    loinc_ok,
    measure_to_dict,
    observation_codes,
    parse_measure,
)
from app.services.quality import shipped_definitions

MEASURES = Path(__file__).resolve().parents[2] / "resources" / "measures"
SHIPPED = sorted(MEASURES.glob("*.json"))


def minimal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "a1c-tested", "title": "HbA1c tested", "source": "Our own",
        "initial_population": {"age": {"at": "end", "min": 18}},
        "numerator": {"observation": {"code": "4548-4", "window": "period"}},
    }
    data.update(changes)
    return data


def problems(data: Any) -> dict[str, str]:
    with pytest.raises(MeasureDefinitionError) as exc:
        parse_measure(data)
    return exc.value.problems


# --- the shipped definitions ---------------------------------------------------------------------
def test_the_four_named_measures_ship_and_name_their_source() -> None:
    found = shipped_definitions()
    assert set(found) == {"cms122-diabetes-hba1c-poor-control",
                          "cms165-controlling-high-blood-pressure",
                          "cms69-bmi-screening-follow-up",
                          "cms138-tobacco-screening-cessation"}
    for slug, m in found.items():
        cms = slug.split("-")[0].upper()
        assert m.source.startswith(f"Modelled on {cms}v12")
        assert "ecqi.healthit.gov" in m.source
        assert "Simplified" in m.description or "simplified" in m.description
        assert m.needs, "every shipped measure names the observation its data gaps are about"
    assert found["cms122-diabetes-hba1c-poor-control"].inverse is True
    assert not any(m.inverse for s, m in found.items() if not s.startswith("cms122"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_json_round_trips_exactly(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    m = parse_measure(data)
    assert path.stem == m.id
    assert measure_to_dict(m) == data
    assert parse_measure(measure_to_dict(m)) == m
    assert parse_measure(json.loads(json.dumps(measure_to_dict(m)))) == m


def test_cms122_numerator_is_latest_over_9_or_none() -> None:
    m = shipped_definitions()["cms122-diabetes-hba1c-poor-control"]
    assert isinstance(m.numerator, AnyOf)
    over, none = m.numerator.items
    assert isinstance(over, ObservationTest) and over.value == "latest"
    assert over.tests == (("gt", Decimal(9)),)
    assert isinstance(none, Not) and isinstance(none.item, ObservationTest)
    assert m.action_part == NUMERATOR
    assert shipped_definitions()["cms165-controlling-high-blood-pressure"].action_part == NOT_MET


# --- windows, days and ages -----------------------------------------------------------------------
@pytest.mark.parametrize("day, months, expected", [
    (date(2024, 1, 1), 6, date(2024, 7, 1)),
    (date(2024, 8, 31), 6, date(2025, 2, 28)),
    (date(2023, 8, 31), 6, date(2024, 2, 29)),
    (date(2024, 3, 31), -1, date(2024, 2, 29)),
    (date(2024, 1, 15), -13, date(2022, 12, 15)),
])
def test_add_months_keeps_the_day_or_takes_the_months_last(day: date, months: int,
                                                           expected: date) -> None:
    assert add_months(day, months) == expected


def test_windows_resolve_relative_to_the_period() -> None:
    start, end = date(2024, 1, 1), date(2024, 12, 31)
    m = parse_measure(minimal(numerator={"all": [
        {"observation": {"code": "4548-4", "window": "first_six_months"}},
        {"observation": {"code": "4548-4", "window": {"from": "start-6m", "to": "end"}}},
        {"observation": {"code": "4548-4", "window": "through_period_end"}},
        {"observation": {"code": "4548-4", "window": {"from": "end-1y+1d"}}},
        {"observation": {"code": "4548-4", "window": "before_period"}},
    ]}))
    assert isinstance(m.numerator, AllOf)
    windows = [i.window.resolve(start, end) for i in m.numerator.items
               if isinstance(i, ObservationTest)]
    assert windows == [(start, date(2024, 6, 30)), (date(2023, 7, 1), end), (None, end),
                       (date(2024, 1, 1), None), (None, date(2023, 12, 31))]
    assert Offset("start", ((6, "m"), (-1, "d"))).text() == "start+6m-1d"


def test_age_reads_the_day_and_bounds() -> None:
    m = parse_measure(minimal(initial_population={"age": {"min": 18, "max": 75}}))
    assert m.initial_population == Age(Offset("end"), 18, 75)  # "at" defaults to the end
    assert measure_to_dict(m)["initial_population"] == {"age": {"at": "end", "min": 18,
                                                                "max": 75}}


def test_numbers_from_json_keep_their_digits_and_hash_is_canonical() -> None:
    as_float = parse_measure(minimal(numerator={"observation": {
        "code": "39156-5", "window": "period", "value": "latest", "ge": 18.5, "lt": 25}}))
    as_text = parse_measure(minimal(numerator={"observation": {
        "code": "39156-5", "window": "period", "value": "latest", "ge": "18.50", "lt": "25"}}))
    assert as_float == as_text
    assert definition_hash(as_float) == definition_hash(as_text)
    assert measure_to_dict(as_float)["numerator"]["observation"]["ge"] == "18.5"
    changed = parse_measure(minimal(numerator={"observation": {
        "code": "39156-5", "window": "period", "value": "latest", "ge": "18.5", "lt": "30"}}))
    assert definition_hash(changed) != definition_hash(as_float)


def test_loinc_check_digit() -> None:
    for good in ("4548-4", "8480-6", "8462-4", "39156-5", "72166-2", "17856-6"):
        assert loinc_ok(good)
    for bad in ("4548-5", "4548", "45484", "x548-4", "4548-44"):
        assert not loinc_ok(bad)


def test_codes_are_normalised_and_observation_codes_listed() -> None:
    m = parse_measure(minimal(
        denominator={"condition": {"codes": ["e11", " E11.6 ", "E11"], "window": "period"}},
        exclusions={"procedure": {"codes": ["g0447"], "window": "period"}},
        numerator={"any": [{"observation": {"code": "8480-6", "window": "period"}},
                           {"not": {"observation": {"code": "8462-4", "window": "period"}}},
                           {"observation": {"code": "8480-6", "window": "period",
                                            "lt": 140}}]}))
    assert measure_to_dict(m)["denominator"]["condition"]["codes"] == ["E11", "E11.6"]
    assert measure_to_dict(m)["exclusions"]["procedure"]["codes"] == ["G0447"]
    assert observation_codes(m.numerator) == ("8480-6", "8462-4")
    assert Window(None, Offset("end")).resolve(date(2024, 1, 1), date(2024, 12, 31)) == (
        None, date(2024, 12, 31))


# --- refusals name what to fix --------------------------------------------------------------------
def test_missing_fields_are_each_named() -> None:
    found = problems({"initial_population": {"sex": ["F"]}})
    assert set(found) == {"id", "title", "source", "numerator"}
    assert found["title"] == "is required."


def test_every_problem_is_named_by_its_path() -> None:
    data = minimal(
        id="Bad Id",
        version=0,
        inverse="yes",
        initial_population={"all": [{"age": {"min": 80, "max": 18}},
                                    {"sex": ["X"]},
                                    {"encounters": {"window": "period", "at_least": 0}}]},
        exclusions={"procedure": {"codes": ["994"], "window": "period"}},
        numerator={"any": [
            {"observation": {"code": "4548-5", "window": "period"}},
            {"observation": {"code": "4548-4", "window": {"from": "end", "to": "start"}}},
            {"observation": {"code": "4548-4", "window": "period", "gt": "nine"}},
            {"observation": {"code": "4548-4", "window": "period", "gt": "9.12345"}},
            {"observation": {"code": "72166-2", "window": "period", "in": ["Never smoker"],
                             "lt": 3}},
            {"condition": {"codes": ["11E"], "window": "last_week"}},
            {"smell": {}},
        ]},
        needs=["4548-5"],
        colour="blue",
    )
    found = problems(data)
    assert set(found) == {
        "id", "version", "inverse", "colour",
        "initial_population.all[0].age.max",
        "initial_population.all[1].sex",
        "initial_population.all[2].encounters.at_least",
        "exclusions.procedure.codes[0]",
        "numerator.any[0].observation.code",
        "numerator.any[1].observation.window",
        "numerator.any[2].observation.gt",
        "numerator.any[3].observation.gt",
        "numerator.any[4].observation.in",
        "numerator.any[5].condition.codes[0]",
        "numerator.any[5].condition.window",
        "numerator.any[6].smell",
        "needs[0]",
    }
    assert "ends before it starts" in found["numerator.any[1].observation.window"]
    assert "4 decimal places" in found["numerator.any[3].observation.gt"]
    assert "check digit" in found["needs[0]"]
    # the message a clerk reads lists the fields
    with pytest.raises(MeasureDefinitionError) as exc:
        parse_measure(data)
    assert str(exc.value).startswith("The measure definition was not saved. Please fix:")
    assert isinstance(exc.value, ValueError)


def test_shapes_that_are_not_criteria_are_refused() -> None:
    assert "numerator" in problems(minimal(numerator={"all": [], "any": []}))
    assert "numerator.all" in problems(minimal(numerator={"all": []}))
    assert "numerator.observation.window.to" in problems(minimal(numerator={"observation": {
        "code": "4548-4", "window": {"to": "tomorrow"}}}))
    assert "numerator.observation.value" in problems(minimal(numerator={"observation": {
        "code": "4548-4", "window": "period", "value": "first"}}))
    assert "numerator.observation.bogus" in problems(minimal(numerator={"observation": {
        "code": "4548-4", "window": "period", "bogus": 1}}))
    deep: dict[str, Any] = {"observation": {"code": "4548-4", "window": "period"}}
    for _ in range(10):
        deep = {"not": deep}
    assert any("deeper" in v for v in problems(minimal(numerator=deep)).values())
    assert problems([1, 2]) == {"definition": "must be a JSON object."}


def test_the_parsed_definition_is_frozen() -> None:
    m = parse_measure(minimal())
    with pytest.raises(AttributeError):
        m.title = "x"  # type: ignore[misc]
    data = measure_to_dict(m)
    again = copy.deepcopy(data)
    again["title"] = "Changed"
    assert parse_measure(again) != m
