"""Quality measures (issue 9): the measure definitions the clinic evaluates, and the results
of each evaluation, kept so a later run can be compared with an earlier one.

A definition is JSON (app.formats.quality_measures). The app's own definitions come from
resources/measures and are copied into `quality_measure` on first use (`shipped`); an
administrator may edit one (`edited`, the shipped text stays in the resource and can be
restored) or add their own. Runs and their results are append-only: a run is never changed
after it is recorded, and holds counts only, never patient lists (those are worked out again
from the records when asked for, and audited then).

The engine (app.services.quality) relies on two covering indexes of the history tables,
declared with them in app.models.history (ix_observation_quality, ix_encounter_quality):
every observation criterion reads the rows of one code in a date window (patient, value and
text), and every measure reads the visits in the period (patient and provider). With only
(code, date) and (date) indexes each row found cost a random read of its table page,
decrypted again; at 100,000 patients that made an evaluation about five times slower.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.types import ScaledDecimal, UTCDateTime, utcnow

ALL_PROVIDERS = "all"  # MeasureResult.scope: every patient of the measure
ONE_PROVIDER = "provider"  # the patients attributed to `provider_id`
NO_PROVIDER = "none"  # patients with no visit (or no provider on it) in the period
SCOPES = (ALL_PROVIDERS, ONE_PROVIDER, NO_PROVIDER)


class QualityMeasure(Base):
    """One measure definition as the clinic uses it; `revision` counts its saves (1 first)."""

    __tablename__ = "quality_measure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    definition: Mapped[str] = mapped_column(Text)  # JSON, as measure_to_dict writes it
    shipped: Mapped[bool] = mapped_column(Boolean, default=False)
    edited: Mapped[bool] = mapped_column(Boolean, default=False)  # a shipped one changed
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(40), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MeasureRun(Base):
    """One evaluation of the active measures over a period."""

    __tablename__ = "measure_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    by_provider: Mapped[bool] = mapped_column(Boolean, default=True)
    run_by: Mapped[str] = mapped_column(String(40))
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_measure_run_period", "period_start", "period_end"),)


class MeasureResult(Base):
    """A measure's counts in a run, for all providers or for one (`scope`). The definition
    is identified by its slug, revision and the SHA-256 of its canonical JSON, so a
    comparison can say whether both runs counted the same way. `rate` is
    numerator / (denominator - exclusions), None when that is 0."""

    __tablename__ = "measure_result"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("measure_run.id"))
    measure_slug: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(120))
    revision: Mapped[int] = mapped_column(Integer)
    definition_sha256: Mapped[str] = mapped_column(String(64))
    inverse: Mapped[bool] = mapped_column(Boolean, default=False)
    scope: Mapped[str] = mapped_column(String(10))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), nullable=True)
    initial_population: Mapped[int] = mapped_column(Integer)
    denominator: Mapped[int] = mapped_column(Integer)
    exclusions: Mapped[int] = mapped_column(Integer)
    numerator: Mapped[int] = mapped_column(Integer)
    data_gaps: Mapped[int] = mapped_column(Integer, default=0)
    rate: Mapped[Decimal | None] = mapped_column(ScaledDecimal(), nullable=True)

    __table_args__ = (
        Index("ix_measure_result_run", "run_id", "measure_slug"),
        Index("ix_measure_result_measure", "measure_slug", "run_id"),
    )
