"""The patient's estimate on paper (good-faith-estimate style), drawn through the patient
summary's layout (app.formats.summary_pdf): clinic and patient on every page, the services with
charge, expected allowed, the patient's share and the insurer's, the totals, every step of the
arithmetic, and what the estimate is and is not. No database, no Qt."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from app.formats.estimate import Estimate, money
from app.formats.summary_pdf import PatientSummary, RenderResult, Section, render_summary

DISCLAIMER = (
    "This is an estimate, made from the benefits your insurer reported{as_of}. What you owe "
    "is decided when the insurer processes the claim, and may differ if your benefits, "
    "deductible or the services change. If you are uninsured or paying for yourself and are "
    "billed at least $400 more than this estimate, you may dispute the bill (No Surprises "
    "Act). Keep a copy of this estimate.")


def estimate_summary(e: Estimate, *, clinic: list[str], patient: list[tuple[str, str]],
                     prepared_on: date, prepared_by: str, valid_days: int = 30,
                     benefits_as_of: date | None = None) -> PatientSummary:
    name = next((v for k, v in patient if k == "Patient"), "")
    ids = " · ".join(f"{k} {v}" for k, v in patient if k in ("MRN", "DOB"))
    services = Section(
        "Services planned", ("Code", "Description", "Charge", "Expected allowed",
                             "Your estimated share", "Expected from insurance"),
        (0.09, 0.35, 0.12, 0.14, 0.15, 0.15),
        [(ln.code, ln.description, money(ln.charge), money(ln.allowed), money(ln.patient),
          money(ln.insurer)) for ln in e.lines], right=(2, 3, 4, 5))
    totals = Section(
        "Totals", ("", "Amount"), (0.7, 0.3),
        [("Charges", money(e.total_charge)), ("Expected allowed", money(e.total_allowed)),
         ("Expected from insurance", money(e.insurer_total)),
         ("Written off by the practice (contract)", money(e.write_off_total)),
         ("Your estimated share", money(e.patient_total))], right=(1,))
    steps = Section("How it was worked out", ("Step",), (1.0,),
                    [(s,) for s in (*e.steps, *e.notes)], empty_text="No steps.")
    as_of = f" on {benefits_as_of:%m/%d/%Y}" if benefits_as_of else ""
    about = Section("About this estimate", ("",), (1.0,), [
        (DISCLAIMER.format(as_of=as_of),),
        (f"Prepared {prepared_on:%m/%d/%Y} by {prepared_by}; valid for {valid_days} days.",)])
    return PatientSummary(clinic[0] if clinic else "", tuple(clinic[1:]),
                          f"{prepared_on:%m/%d/%Y}", name, ids, tuple(patient),
                          (services, totals, steps, about), title="Estimate of your costs")


def write_estimate_pdf(path: Path, e: Estimate, *, clinic: list[str],
                       patient: list[tuple[str, str]], prepared_on: date, prepared_by: str,
                       valid_days: int = 30, benefits_as_of: date | None = None
                       ) -> RenderResult:
    """Write the estimate to `path`; returns the pages and rows printed."""
    return render_summary(estimate_summary(
        e, clinic=clinic, patient=patient, prepared_on=prepared_on, prepared_by=prepared_by,
        valid_days=valid_days, benefits_as_of=benefits_as_of), path)
