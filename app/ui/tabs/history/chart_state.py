"""Keeping the open chart current after a save or delete without reading it again (a reread
would be another audited chart open). Rows are placed in the order `open_chart` gives."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from app.services.history import (
    AllergyData,
    Chart,
    DocumentRow,
    EncounterData,
    MedicationData,
    ObservationData,
    ProblemData,
)

LISTS: dict[type, str] = {ProblemData: "problems", MedicationData: "medications",
                          AllergyData: "allergies", EncounterData: "encounters",
                          ObservationData: "observations", DocumentRow: "documents"}


def _newest(day: date | None, row_id: int | None) -> tuple[date, int]:
    return (day or date.min, row_id or 0)


def _ordered(name: str, rows: list[Any]) -> list[Any]:
    if name == "problems":
        rows = sorted(rows, key=lambda p: _newest(p.onset, p.id), reverse=True)
        return sorted(rows, key=lambda p: p.status)
    if name == "medications":
        return sorted(rows, key=lambda m: _newest(m.started, m.id), reverse=True)
    if name == "allergies":
        return sorted(rows, key=lambda a: a.substance.casefold())
    if name == "encounters":
        return sorted(rows, key=lambda e: _newest(e.date, e.id), reverse=True)
    if name == "observations":
        return sorted(rows, key=lambda o: _newest(o.observed_on, o.id), reverse=True)
    return rows  # documents: newest added first, as they arrive


def with_saved(chart: Chart, *saved: Any) -> Chart:
    """The chart with rows added or replaced (matched by id)."""
    for row in saved:
        name = LISTS[type(row)]
        rows = [r for r in getattr(chart, name) if r.id != row.id]
        rows = [row, *rows] if name == "documents" else [*rows, row]
        changes: dict[str, Any] = {name: _ordered(name, rows)}
        chart = replace(chart, **changes)
    return chart


def without(chart: Chart, row: Any) -> Chart:
    """The chart with a deleted row gone (a deleted encounter's observations stay, unlinked)."""
    name = LISTS[type(row)]
    changes: dict[str, Any] = {name: [r for r in getattr(chart, name) if r.id != row.id]}
    chart = replace(chart, **changes)
    if isinstance(row, EncounterData):
        chart = replace(chart, observations=[
            replace(o, encounter_id=None) if o.encounter_id == row.id else o
            for o in chart.observations])
    return chart
