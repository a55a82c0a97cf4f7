"""The list of measures. A measure is a function `(ctx) -> Result` registered with
`@measure(name, description)`; its target lives in bench/thresholds.json under the same name."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Result:
    value: float
    unit: str
    details: dict[str, object] = field(default_factory=dict)


class Skip(Exception):  # noqa: N818 - reads as `raise Skip("why")`
    """Raised by a measure that cannot run here; the reason is recorded, no value is."""


@dataclass
class Context:
    """What the measures of one run share: a scratch folder and the 100k clinic, made once."""

    workdir: Path
    repeats: int
    clinic_patients: int = 100_000
    cache: dict[str, object] = field(default_factory=dict)
    _clinic: Path | None = None

    def set_clinic(self, path: Path) -> None:
        self._clinic = path

    def clinic(self) -> Path:
        """The demo clinic of `clinic_patients` patients (made here, untimed, when the demo
        measure did not run first)."""
        if self._clinic is None:
            from bench.workload import make_demo

            self._clinic = make_demo(self.workdir / "clinic-untimed.ccdb", self.clinic_patients)
        return self._clinic

    def scratch(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=name + "-", dir=self.workdir))

    def cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


@dataclass(frozen=True)
class Measure:
    name: str
    description: str
    run: Callable[[Context], Result]


MEASURES: list[Measure] = []


def measure(name: str, description: str) -> Callable[[Callable[[Context], Result]],
                                                      Callable[[Context], Result]]:
    def register(fn: Callable[[Context], Result]) -> Callable[[Context], Result]:
        if any(m.name == name for m in MEASURES):
            raise ValueError(f"measure {name} registered twice")
        MEASURES.append(Measure(name, description, fn))
        return fn
    return register
