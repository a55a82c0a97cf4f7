"""Use cases: sessions, permission checks, audit, business rules. No Qt (DESIGN.md §1)."""

from __future__ import annotations

from app.services.audit import AuditService
from app.services.backup import BackupService
from app.services.context import UserContext
from app.services.database import Database
from app.services.directory import DirectoryService
from app.services.documents import DocumentService
from app.services.history import HistoryService
from app.services.patient_import import PatientImportService
from app.services.patients import PatientService
from app.services.settings import SettingsService
from app.services.summary import SummaryService
from app.services.users import UserService


class Services:
    """Every service of one open clinic, sharing one signed-in user. Built once by the
    window or the CLI; tabs receive only the services they need."""

    def __init__(self, db: Database, passphrase: str | None) -> None:
        self.db = db
        self.ctx = UserContext()
        self.users = UserService(db, self.ctx)
        self.audit = AuditService(db, self.ctx)
        self.directory = DirectoryService(db, self.ctx)
        self.settings = SettingsService(db, self.ctx)
        self.backup = BackupService(db, self.ctx, passphrase)
        self.patients = PatientService(db, self.ctx)
        self.history = HistoryService(db, self.ctx)
        self.documents = DocumentService(db, self.ctx)
        self.summary = SummaryService(db, self.ctx)
        self.patient_import = PatientImportService(db, self.ctx)


__all__ = ["Services"]
