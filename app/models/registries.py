"""Clinical registries (issue 9): a named list of patients defined by a rule (condition code
prefixes) plus the fields the clinic tracks for it, and its members.

Membership comes from the rule (refreshed by the service) or is set by hand; either way the
reason is recorded, and a membership is never deleted: leaving the registry ends it
(`removed_on`, `removed_reason`, `removed_source`), and coming back starts a new one, so the
rows are the patient's history with the registry. A patient taken out by hand stays out when
the rule is refreshed, so the clerk's decision is not undone by the next refresh.
The tracked values are a JSON object keyed by the registry's field keys; the field marked as
the follow-up date is copied to `follow_up_on`, so overdue follow-ups are one indexed query.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.types import UTCDateTime, utcnow

RULE = "rule"  # a member because the rule matched
HAND = "hand"  # added or taken out by the clerk
MEMBER_SOURCES = (RULE, HAND)


class Registry(Base):
    """`rule` is JSON: {"condition_prefixes": ["C"], "active_only": true}; `fields` is JSON: a
    list of {"key", "label", "kind" (text, date, number, choice), "choices", "follow_up"}."""

    __tablename__ = "registry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    rule: Mapped[str] = mapped_column(Text)
    fields: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(40), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class RegistryMember(Base):
    """One membership of a patient in a registry, from `added_on` to `removed_on` (open: a
    member now; at most one open per patient and registry)."""

    __tablename__ = "registry_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registry_id: Mapped[int] = mapped_column(ForeignKey("registry.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    source: Mapped[str] = mapped_column(String(4))  # RULE or HAND
    reason: Mapped[str] = mapped_column(String(300))  # why they are in
    added_on: Mapped[date] = mapped_column(Date)
    added_by: Mapped[str] = mapped_column(String(40))
    removed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    removed_by: Mapped[str] = mapped_column(String(40), default="")
    removed_reason: Mapped[str] = mapped_column(String(300), default="")
    removed_source: Mapped[str] = mapped_column(String(4), default="")  # RULE or HAND
    values: Mapped[str] = mapped_column(Text, default="{}")
    follow_up_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_by: Mapped[str] = mapped_column(String(40), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ux_registry_member_open", "registry_id", "patient_id", unique=True,
              sqlite_where=text("removed_on IS NULL")),
        # a patient's registries (chart, merge), and the overdue follow-ups of a registry
        Index("ix_registry_member_patient", "patient_id"),
        Index("ix_registry_member_follow_up", "registry_id", "follow_up_on"),
    )
