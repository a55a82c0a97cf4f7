"""Code sets: ICD-10-CM diagnoses, HCPCS Level II and clinic-licensed CPT procedures,
modifiers, and each provider's quick-pick list (superbill).

Codes are stored without the dot ("E119"); screens and paper add it back for ICD-10-CM.
A release row records which version of a code set is loaded and the dates it is in force,
so a code can be valid on one date of service and not on another.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.types import UTCDateTime, utcnow

ICD10CM = "icd10cm"
HCPCS = "hcpcs"
CPT = "cpt"
SYSTEMS = (ICD10CM, HCPCS, CPT)


class CodeSetRelease(Base):
    """One loaded release of a code set (e.g. ICD-10-CM FY2026) and when it is in force.

    `effective_to` is None while no later release of the same system is loaded; loading one
    closes the earlier release the day before the new one starts."""

    __tablename__ = "code_set_release"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system: Mapped[str] = mapped_column(String(10))
    version: Mapped[str] = mapped_column(String(40))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    codes: Mapped[int] = mapped_column(Integer, default=0)
    loaded_by: Mapped[str] = mapped_column(String(40), default="")
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("system", "version", name="uq_code_set_release"),)


class DiagnosisCode(Base):
    """An ICD-10-CM tabular entry of one release: a chapter, a block or a code.

    `kind` is chapter, block, category, subcategory or extension (a code with its 7th
    character); only billable (leaf) codes may go on a claim. `notes` is JSON: a dict of
    lists under includes, inclusion_terms, excludes1, excludes2, code_first,
    use_additional, code_also, notes, seven_chr_note. `sex` (M/F, "" for either) and
    `age_min`/`age_max` (years, inclusive) come from the chapter and block rules in
    app.formats.icd10cm, with `edit_rule` naming the rule."""

    __tablename__ = "diagnosis_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("code_set_release.id"))
    code: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(12))
    description: Mapped[str] = mapped_column(Text)
    billable: Mapped[bool] = mapped_column(Boolean, default=False)
    parent: Mapped[str] = mapped_column(String(10), default="")
    chapter: Mapped[str] = mapped_column(String(3), default="")
    block: Mapped[str] = mapped_column(String(10), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    sex: Mapped[str] = mapped_column(String(1), default="")
    age_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    age_max: Mapped[int | None] = mapped_column(Integer, nullable=True)
    edit_rule: Mapped[str] = mapped_column(String(40), default="")

    __table_args__ = (
        UniqueConstraint("release_id", "code", name="uq_diagnosis_code_release_code"),
        Index("ix_diagnosis_code_code", "code"),
        Index("ix_diagnosis_code_parent", "release_id", "parent"),
    )


class ProcedureCode(Base):
    """A HCPCS Level II or CPT code with the dates it is in force.

    HCPCS rows come from the CMS public file (`release_id` set) or are added by hand; CPT
    rows come only from the clinic's own licensed file or by hand (CPT text is never
    bundled). `is_drug` marks codes that need an NDC on the claim (HCPCS J codes and any the
    clinic marks)."""

    __tablename__ = "procedure_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system: Mapped[str] = mapped_column(String(5))
    code: Mapped[str] = mapped_column(String(5))
    short_description: Mapped[str] = mapped_column(String(60), default="")
    long_description: Mapped[str] = mapped_column(Text, default="")
    effective_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("code_set_release.id"),
                                                   nullable=True)
    source: Mapped[str] = mapped_column(String(10), default="manual")
    is_drug: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("system", "code", name="uq_procedure_code_system_code"),
        Index("ix_procedure_code_code", "code"),
    )


class Modifier(Base):
    """A procedure modifier (two characters) with what it means."""

    __tablename__ = "modifier"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(2), unique=True)
    description: Mapped[str] = mapped_column(Text)  # CMS wording runs past 500 characters
    effective_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(10), default="bundled")
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class FavoriteCode(Base):
    """One entry of a provider's quick-pick list (superbill), in the provider's order."""

    __tablename__ = "favorite_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    system: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(80), default="")
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("provider_id", "system", "code", name="uq_favorite_code"),
        Index("ix_favorite_code_provider", "provider_id", "system", "position"),
    )
