"""The printed estimate (app.formats.estimate_pdf): written to a file and read back with pypdf,
the title, patient, codes, amounts, steps, disclaimer and page numbers are on it; a long
estimate runs onto more pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

from pypdf import PdfReader

from app.formats.estimate import BenefitFigures, PlannedLine, estimate
from app.formats.estimate_pdf import write_estimate_pdf

CLINIC = ["Maple Family Practice", "1 Main St, Springfield IL 62701", "Phone 217-555-0100",
          "NPI 1234567893 · EIN 12-3456789"]
PATIENT = [("Patient", "Doe, Jane"), ("DOB", "01/02/1970"), ("MRN", "M0001"),
           ("Insurance", "Acme Health"), ("Member ID", "XJ123")]
BENEFITS = BenefitFigures(
    active=True, deductible_total=D("1500.00"), deductible_met=D("1420.00"),
    family_deductible_total=None, family_deductible_met=None, coinsurance_percent=D(20),
    copay=None, copay_waives_deductible=False, oop_total=D("6000.00"), oop_met=D("1000.00"),
    as_of=date(2026, 5, 20))


def read(path: Path) -> tuple[str, int]:
    reader = PdfReader(path)
    return "\n".join(p.extract_text() or "" for p in reader.pages), len(reader.pages)


def write(path: Path, lines: list[PlannedLine], **kw: object) -> tuple[str, int]:
    write_estimate_pdf(path, estimate(lines, BENEFITS), clinic=CLINIC, patient=PATIENT,
                       prepared_on=date(2026, 6, 1), prepared_by="Carla Clerk",
                       **kw)  # type: ignore[arg-type]
    return read(path)


def test_the_estimate_shows_services_totals_steps_and_the_disclaimer(tmp_path: Path) -> None:
    # 99213-25: allowed 1,000.00; 80.00 deductible, 20% of 920.00 = 184.00 → 264.00, insurer
    # 736.00. J1100 × 4 (no rate): allowed 40.00; 20% = 8.00, insurer 32.00.
    # Totals: charges 1,240.00, allowed 1,040.00, patient 272.00, insurer 768.00,
    # written off 200.00.
    lines = [PlannedLine("99213", "Office visit", D(1), D("1200.00"), D("1000.00"), ("25",)),
             PlannedLine("J1100", "Dexamethasone 1 mg", D(4), D("40.00"), None)]
    text, pages = write(tmp_path / "est.pdf", lines)
    for expected in ("Estimate of your costs", "Maple Family Practice", "Doe, Jane", "M0001",
                     "XJ123", "99213-25", "J1100", "Units", "Expected insurance payment",
                     "1,200.00", "1,000.00", "264.00", "736.00", "1,240.00", "1,040.00",
                     "272.00", "768.00", "200.00",
                     "Coinsurance 20% of 920.00 = 184.00 (99213)",
                     "reported on 05/20/2026", "No Surprises Act", "$400",
                     "Prepared on 06/01/2026 by Carla Clerk", "until 07/01/2026",
                     "Page 1 of 1"):
        assert expected in text, expected
    assert pages == 1


def test_a_disclaimer_of_the_clinic_replaces_the_standard_one(tmp_path: Path) -> None:
    text, _ = write(tmp_path / "own.pdf", [PlannedLine("99213", "Visit", D(1), D("100.00"),
                                                       None)],
                    disclaimer="Our own wording.", valid_days=14)
    assert "Our own wording." in text and "No Surprises" not in text
    assert "Valid for 14 days, until 06/15/2026" in text


def test_forty_lines_run_onto_more_pages(tmp_path: Path) -> None:
    # 40 × 120.00 = 4,800.00 charged; 40 × 80.00 = 3,200.00 allowed.
    lines = [PlannedLine(f"{97000 + n}", "Therapeutic exercise", D(1), D("120.00"), D("80.00"))
             for n in range(40)]
    text, pages = write(tmp_path / "long.pdf", lines)
    assert pages > 1 and "Page 2 of" in text and f"Page {pages} of {pages}" in text
    assert "97000" in text and "97039" in text and "4,800.00" in text and "3,200.00" in text
