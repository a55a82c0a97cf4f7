"""`clinic-clerk --self-test`: proves an installed build can do its core work. Opens a temporary
encrypted database, migrates it, checks that nothing stored is readable in the file, renders a
PDF page, and returns 0 (or raises)."""

from __future__ import annotations

import secrets
import tempfile
from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from app.models import Setting
from app.services import migrations
from app.services.database import Database
from app.services.settings import put

MARKER = "SELFTEST-MARKER-7F3A"


def render_test_page(out: Path) -> None:
    c = Canvas(str(out), pagesize=letter)
    c.setFont("Courier", 12)
    c.drawString(72, 720, f"ClinicClerk self-test {date.today().isoformat()}")
    c.showPage()
    c.save()


def run_self_test() -> int:
    with tempfile.TemporaryDirectory(prefix="clinic-clerk-selftest-") as tmp:
        path = Path(tmp) / "selftest.ccdb"
        db = Database.open(path, secrets.token_urlsafe(24), create=True)
        try:
            migrations.upgrade(db)
            if migrations.current_revision(db) != migrations.head_revision():
                raise RuntimeError("migration did not reach head")
            with db.session() as s:
                put(s, "selftest", MARKER)
            with db.session() as s:
                stored = s.scalars(select(Setting.value).where(Setting.key == "selftest")).one()
            if stored != MARKER:
                raise RuntimeError("read-back failed")
            db.checkpoint()
        finally:
            db.close()
        raw = path.read_bytes()
        if MARKER.encode() in raw or raw.startswith(b"SQLite format 3"):
            raise RuntimeError("database file is not encrypted")
        pdf = Path(tmp) / "page.pdf"
        render_test_page(pdf)
        if not pdf.read_bytes().startswith(b"%PDF"):
            raise RuntimeError("PDF rendering failed")
    return 0
