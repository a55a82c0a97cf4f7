"""Scanned documents: stored inside the encrypted database with a SHA-256 digest that is
checked every time the document is opened (ONC 170.315(d)(8) integrity)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from app.errors import UserError
from app.models import Document, DocumentBlob, Patient
from app.services.audit import append_event
from app.services.context import UserContext
from app.services.database import Database
from app.services.history import DocumentRow
from app.services.permissions import Permission

MAX_BYTES = 25 * 1024 * 1024
_MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"),
          (b"\xff\xd8\xff", "image/jpeg"), (b"II*\x00", "image/tiff"),
          (b"MM\x00*", "image/tiff"))


def sniff_mime(content: bytes) -> str | None:
    """What the bytes are, by their signature (the file name's ending is not trusted)."""
    for magic, mime in _MAGIC:
        if content.startswith(magic):
            return mime
    return None


class DocumentDamaged(UserError):
    """The stored bytes no longer match the digest taken when the document was added."""


@dataclass(frozen=True)
class DocumentContent:
    row: DocumentRow
    content: bytes


class DocumentService:
    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def add(self, patient_id: int, filename: str, content: bytes, *, title: str = "",
            document_date: date | None = None) -> DocumentRow:
        """Store a PDF or image (PNG, JPEG, TIFF) of at most 25 MB; audited."""
        user = self._ctx.require(Permission.EDIT_HISTORY)
        mime = sniff_mime(content)
        if mime is None:
            raise UserError(f"{filename} is not a PDF or an image (PNG, JPEG, TIFF); "
                            "scan or save it as one of those.")
        if len(content) > MAX_BYTES:
            raise UserError(f"{filename} is larger than 25 MB; scan it at a lower resolution.")
        if document_date and document_date > date.today():
            raise UserError("The document date cannot be in the future.")
        with self._db.session() as s:
            if s.get(Patient, patient_id) is None:
                raise UserError("That patient no longer exists; search again.")
            doc = Document(patient_id=patient_id, title=title.strip() or filename,
                           filename=filename, mime=mime, size=len(content),
                           sha256=hashlib.sha256(content).hexdigest(),
                           document_date=document_date, added_by=user.username)
            s.add(doc)
            s.flush()
            s.add(DocumentBlob(document_id=doc.id, content=content))
            append_event(s, user, "document.add", entity="document", entity_id=doc.id,
                         patient_id=patient_id, details={"mime": mime, "size": len(content)})
            return _row(doc)

    def open(self, document_id: int) -> DocumentContent:
        """The document's bytes after checking them against the stored digest; audited."""
        user = self._ctx.require(Permission.VIEW_PATIENTS)
        with self._db.session() as s:
            doc = s.get(Document, document_id)
            blob = s.get(DocumentBlob, document_id)
            if doc is None or blob is None:
                raise UserError("That document no longer exists; reopen the chart.")
            ok = hashlib.sha256(blob.content).hexdigest() == doc.sha256
            append_event(s, user, "document.open" if ok else "document.damaged",
                         entity="document", entity_id=doc.id, patient_id=doc.patient_id)
            title, result = doc.title, DocumentContent(_row(doc), blob.content)
        if not ok:  # raised after the commit, so the failed open stays in the audit trail
            raise DocumentDamaged(
                f"The stored copy of “{title}” does not match the digest taken when it was "
                "added, so it is not shown. Restore a backup, or scan it again.")
        return result


def _row(d: Document) -> DocumentRow:
    return DocumentRow(d.id, d.title, d.filename, d.mime, d.size, d.document_date, d.added_by)
