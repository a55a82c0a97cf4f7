"""The printed patient summary: a real PDF on letter paper, long lists split over numbered pages,
only the 10 most recent encounters, latest vitals, and the print audited as chart.print (not as
a chart open); nobody signed in may print nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import NotSignedIn, UserError
from app.formats import observations as obs
from app.formats.summary_pdf import PatientSummary, Section, render_summary
from app.models import AuditEvent, Encounter, Problem
from app.services import Services
from app.services.history import AllergyData, MedicationData, ObservationData
from app.services.patients import PatientData
from tests.unit._support import pdf_text

TODAY = date.today()


def events(sv: Services, action: str) -> list[AuditEvent]:
    with sv.db.session() as s:
        q = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        return list(s.scalars(q))


@pytest.fixture
def pid(admin: Services) -> int:
    return admin.patients.register(PatientData(
        last_name="Summary", first_name="Sam", dob=date(1960, 5, 6), sex="M",
        address1="9 Elm St", city="Springfield", state="IL", zip="62701",
        phone="2175550123", guarantor_relationship="self")).id


def add_long_history(sv: Services, pid: int) -> None:
    """200 encounters and long problem and medication lists (written directly, for speed)."""
    with sv.db.session() as s:
        for i in range(200):
            s.add(Encounter(patient_id=pid, date=TODAY - timedelta(days=7 * i + 1), pos="11",
                            reason=f"Visit number {i:03d}"))
        for i in range(70):
            s.add(Problem(patient_id=pid, code="E11.9", status="active",
                          description=f"Problem {i:02d} with a long description " * 2,
                          onset=date(2010, 1, 1) + timedelta(days=30 * i)))
    for i in range(30):
        sv.history.save(MedicationData(pid, f"Medicine {i:02d}", "10 mg daily"))


def test_summary_is_a_multipage_pdf_with_recent_encounters_and_vitals(
        admin: Services, pid: int, tmp_path: Path) -> None:
    add_long_history(admin, pid)
    admin.history.save(AllergyData(pid, "Penicillin", "Hives", "severe"))
    admin.history.record_vitals(pid, TODAY - timedelta(days=400), systolic=Decimal(150),
                                diastolic=Decimal(95), weight_lb=Decimal(200),
                                height_in=Decimal(70))
    admin.history.record_vitals(pid, TODAY - timedelta(days=3), systolic=Decimal(128),
                                diastolic=Decimal(82), weight_lb=Decimal("182.4"),
                                height_in=Decimal("64.5"))
    admin.history.save(ObservationData(pid, obs.SMOKING.code, obs.SMOKING.name, TODAY,
                                       value_text="Former smoker"))
    out = admin.summary.print_summary(pid, tmp_path / "summary.pdf")

    data = out.read_bytes()
    assert out == tmp_path / "summary.pdf" and data.startswith(b"%PDF")
    pages = json.loads(events(admin, "chart.print")[-1].details)["pages"]
    assert pages > 1
    text = pdf_text(out)
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert "Test Family Practice" in text and "Summary, Sam" in text
    assert "Visit number 000" in text and "Visit number 009" in text
    assert "Visit number 010" not in text  # only the 10 most recent encounters
    assert "The 10 most recent of 200." in text
    assert "Problem 69" in text and "Problem 00" in text and "Medicine 29" in text
    assert "Penicillin" in text and "128/82 mmHg" in text and "150/95" not in text
    assert "30.8 kg/m2" in text and "Former smoker" in text


def test_print_is_audited_as_chart_print_and_not_as_a_chart_open(
        admin: Services, pid: int, tmp_path: Path) -> None:
    opens_before = len(events(admin, "chart.open"))
    admin.summary.print_summary(pid, tmp_path / "s.pdf")
    printed = events(admin, "chart.print")
    assert len(printed) == 1
    assert printed[0].patient_id == pid and printed[0].entity_id == str(pid)
    assert printed[0].username == "admin"
    assert len(events(admin, "chart.open")) == opens_before


def test_nobody_signed_in_cannot_print(services: Services, tmp_path: Path) -> None:
    with pytest.raises(NotSignedIn):
        services.summary.print_summary(1, tmp_path / "s.pdf")
    assert not (tmp_path / "s.pdf").exists()


def test_a_folder_that_refuses_the_file_is_a_clear_error_and_nothing_is_audited(
        admin: Services, pid: int, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="could not be written"):
        admin.summary.print_summary(pid, tmp_path / "missing" / "s.pdf")
    assert events(admin, "chart.print") == []


def test_renderer_splits_long_tables_and_reports_what_it_printed(tmp_path: Path) -> None:
    rows = [(f"{i:03d}", "word " * 40, "x" * 120) for i in range(150)]
    summary = PatientSummary(
        practice_name="A Practice With A Very Long Name " * 4, practice_lines=("1 Main St",),
        printed_on="01/02/2025 09:00", patient_name="Doe, Jane", patient_ids="MRN M1",
        demographics=(("Name", "Doe, Jane"), ("Empty", "")),
        sections=(Section("Long", ("A", "B", "C"), (0.1, 0.6, 0.3), rows),
                  Section("None", ("A",), (1.0,))))
    result = render_summary(summary, tmp_path / "r.pdf")
    assert result.pages > 3 and result.rows == {"Long": 150, "None": 0}
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
