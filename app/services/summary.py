"""Printing a patient summary PDF (audited as chart.print)."""

from __future__ import annotations

from app.services.context import UserContext
from app.services.database import Database


class SummaryService:
    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx
