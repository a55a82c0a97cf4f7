"""Scanned documents: recognised by content, stored encrypted inside the database, and checked
against their SHA-256 digest on every open."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import PermissionDenied, UserError
from app.formats.names import fold
from app.models import AuditEvent, Document, DocumentBlob, Patient
from app.services import Services
from app.services.documents import MAX_BYTES, DocumentDamaged, sniff_mime
from tests.conftest import ADMIN, ADMIN_PASSWORD, add_user

MARKER = b"ZQX-UNMISTAKABLE-SCAN-CONTENT-7731"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + MARKER + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + MARKER
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + MARKER
TIFF = b"II*\x00\x08\x00\x00\x00" + MARKER


def events(sv: Services, action: str) -> list[AuditEvent]:
    with sv.db.session() as s:
        q = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        return list(s.scalars(q))


def stored_documents(sv: Services) -> tuple[int, int]:
    with sv.db.session() as s:
        return (len(s.scalars(select(Document.id)).all()),
                len(s.scalars(select(DocumentBlob.document_id)).all()))


@pytest.fixture
def pid(admin: Services) -> int:
    with admin.db.session() as s:
        p = Patient(mrn="M0000001", last_name="Scan", first_name="Sam", dob=date(1970, 1, 1),
                    sex="M", last_key=fold("Scan"), first_key=fold("Sam"))
        s.add(p)
        s.flush()
        return p.id


@pytest.mark.parametrize(("filename", "content", "mime"), [
    ("letter.pdf", PDF, "application/pdf"),
    ("letter.txt", PDF, "application/pdf"),  # the name's ending is not trusted
    ("photo.pdf", PNG, "image/png"),
    ("card", JPEG, "image/jpeg"),
    ("fax.tif", TIFF, "image/tiff"),
], ids=["pdf", "pdf-named-txt", "png-named-pdf", "jpeg-no-ending", "tiff"])
def test_pdf_and_images_are_recognised_by_content(admin: Services, pid: int, filename: str,
                                                   content: bytes, mime: str) -> None:
    assert sniff_mime(content) == mime
    row = admin.documents.add(pid, filename, content, title=" Referral letter ",
                              document_date=date(2024, 5, 6))
    assert (row.mime, row.size, row.filename, row.title) == (
        mime, len(content), filename, "Referral letter")
    assert row.added_by == ADMIN and row.document_date == date(2024, 5, 6)
    with admin.db.session() as s:
        doc = s.get(Document, row.id)
        assert doc is not None and doc.sha256 == hashlib.sha256(content).hexdigest()
    (ev,) = events(admin, "document.add")
    assert (ev.patient_id, ev.entity_id) == (pid, str(row.id))
    assert [d.id for d in admin.history.open_chart(pid).documents] == [row.id]


@pytest.mark.parametrize(("filename", "content"), [
    ("notes.txt", b"Patient called about results.\n"),
    ("scan.pdf", b"Patient called about results.\n"),  # a .pdf name does not make it one
    ("empty.pdf", b""),
    ("page.html", b"<html><body>%PDF-</body></html>"),
], ids=["text", "text-named-pdf", "empty", "html"])
def test_other_files_are_refused_and_nothing_is_stored(admin: Services, pid: int,
                                                        filename: str, content: bytes) -> None:
    with pytest.raises(UserError) as err:
        admin.documents.add(pid, filename, content)
    message = str(err.value)
    assert filename in message and "not a PDF or an image" in message
    assert stored_documents(admin) == (0, 0)
    assert events(admin, "document.add") == []


def test_oversized_future_dated_or_orphan_documents_are_refused(admin: Services,
                                                                pid: int) -> None:
    with pytest.raises(UserError, match="25 MB"):
        admin.documents.add(pid, "huge.pdf", b"%PDF-" + bytes(MAX_BYTES))
    with pytest.raises(UserError, match="future"):
        admin.documents.add(pid, "a.pdf", PDF, document_date=date.today() + timedelta(days=1))
    with pytest.raises(UserError, match="no longer exists"):
        admin.documents.add(pid + 1000, "a.pdf", PDF)
    assert stored_documents(admin) == (0, 0)


def test_open_returns_the_same_bytes_and_is_audited(admin: Services, pid: int) -> None:
    row = admin.documents.add(pid, "letter.pdf", PDF)
    for _ in range(2):
        got = admin.documents.open(row.id)
        assert got.content == PDF
        assert got.row == row
    opens = events(admin, "document.open")
    assert [(e.patient_id, e.entity, e.entity_id) for e in opens] == [
        (pid, "document", str(row.id))] * 2
    with pytest.raises(UserError, match="no longer exists"):
        admin.documents.open(row.id + 1000)


def test_changed_bytes_are_detected_and_the_attempt_audited(admin: Services, pid: int) -> None:
    good = admin.documents.add(pid, "good.pdf", PDF + b"good")
    row = admin.documents.add(pid, "letter.pdf", PDF)
    with admin.db.session() as s:
        blob = s.get(DocumentBlob, row.id)
        assert blob is not None
        blob.content = PDF.replace(b"Catalog", b"Catalog ")  # one byte more
    with pytest.raises(DocumentDamaged) as err:
        admin.documents.open(row.id)
    assert isinstance(err.value, UserError)
    assert "does not match" in str(err.value) and "backup" in str(err.value)
    assert MARKER.decode() not in str(err.value)
    (damaged,) = events(admin, "document.damaged")
    assert (damaged.patient_id, damaged.entity_id) == (pid, str(row.id))
    assert events(admin, "document.open") == []
    # The other document is untouched and still opens.
    assert admin.documents.open(good.id).content == PDF + b"good"


def test_a_changed_digest_is_detected_too(admin: Services, pid: int) -> None:
    row = admin.documents.add(pid, "letter.pdf", PDF)
    with admin.db.session() as s:
        doc = s.get(Document, row.id)
        assert doc is not None
        doc.sha256 = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(DocumentDamaged):
        admin.documents.open(row.id)
    assert len(events(admin, "document.damaged")) == 1


def test_document_bytes_are_not_readable_in_the_database_file(admin: Services,
                                                              pid: int) -> None:
    row = admin.documents.add(pid, "letter.pdf", PDF)
    assert admin.documents.open(row.id).content.count(MARKER) == 1  # control: it is stored
    files = [admin.db.path, Path(f"{admin.db.path}-wal")]
    raw = b"".join(f.read_bytes() for f in files if f.exists())
    assert MARKER not in raw and b"%PDF-1.4" not in raw
    admin.db.checkpoint()  # and once everything is written into the main file
    data = admin.db.path.read_bytes()
    assert MARKER not in data and b"%PDF-1.4" not in data
    assert not data.startswith(b"SQLite format 3")


def test_a_biller_may_open_but_not_add_documents(admin: Services, pid: int) -> None:
    row = admin.documents.add(pid, "letter.pdf", PDF)
    password = add_user(admin, "biller1", "biller")
    admin.users.sign_in("biller1", password)
    assert admin.documents.open(row.id).content == PDF
    with pytest.raises(PermissionDenied):
        admin.documents.add(pid, "more.pdf", PDF)
    assert stored_documents(admin) == (1, 1)
    admin.users.sign_in(ADMIN, ADMIN_PASSWORD)
    assert [e.username for e in events(admin, "document.open")] == ["biller1"]
