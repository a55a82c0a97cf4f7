"""The patient's estimate on paper: a US-letter page in the style of a good-faith estimate.

Drawn through the patient summary's public layout (`app.formats.summary_pdf.render_summary`,
reportlab platypus), so it shares its house style: the clinic and the patient's name, MRN and
DOB at the top of every page, "Page N of M" at the bottom, tables that split across pages and
repeat their headings, amounts right-aligned. The content: the title "Estimate of your costs",
the patient block, the planned services (code, description, units, charge, expected allowed,
the patient's estimated share, the expected insurance payment), the totals, every step of the
arithmetic (app.formats.estimate), a short factual disclaimer (No Surprises Act dispute right
for self-pay patients billed at least $400 over the estimate, 45 CFR 149.620) and who prepared
it, when, and until when it holds. No database, no Qt.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from app.formats.estimate import Estimate, EstimateLine, money
from app.formats.summary_pdf import PatientSummary, Section, render_summary

TITLE = "Estimate of your costs"
SERVICE_COLUMNS = ("Code", "Description", "Units", "Charge", "Expected allowed",
                   "Your estimated share", "Expected insurance payment")
SERVICE_WIDTHS = (0.10, 0.30, 0.06, 0.11, 0.13, 0.14, 0.16)
DISCLAIMER = (
    "This is an estimate, not a bill or a guarantee. It is based on {basis}. What you owe is "
    "decided when your insurer processes the claim, and may differ if your benefits, your "
    "deductible or the services change. If you are uninsured or paying for yourself and are "
    "billed at least $400 more than this estimate, you have the right to dispute the bill "
    "(No Surprises Act). Keep a copy of this estimate.")


def write_estimate_pdf(path: Path, estimate: Estimate, *, clinic: list[str],
                       patient: list[tuple[str, str]], prepared_on: date, prepared_by: str,
                       valid_days: int = 30, disclaimer: str | None = None,
                       benefits_as_of: date | None = None) -> None:
    """Write `estimate` to `path` as a PDF.

    `clinic`: header lines (name first, then address, phone, an NPI/EIN line); `patient`:
    label/value pairs (the one labelled "Patient" or "Name" heads every page, else the first).
    `disclaimer` replaces the standard text, which names the date the payer reported the
    benefits: `benefits_as_of`, else the estimate's own (BenefitFigures.as_of)."""
    as_of = benefits_as_of or estimate.benefits_as_of
    text = disclaimer if disclaimer is not None else default_disclaimer(as_of)
    about = Section("About this estimate", ("Please read",), (1.0,),
                    [(text,), (_prepared(prepared_on, prepared_by, valid_days),)])
    render_summary(_summary(estimate, clinic, patient, f"{prepared_on:%m/%d/%Y}", about), path)


def default_disclaimer(benefits_as_of: date | None) -> str:
    basis = (f"the benefits your insurer reported on {benefits_as_of:%m/%d/%Y}"
             if benefits_as_of else "the practice's charges and any benefits on file")
    return DISCLAIMER.format(basis=basis)


def _prepared(on: date, by: str, valid_days: int) -> str:
    until = on + timedelta(days=valid_days)
    who = f" by {by}" if by else ""
    return f"Prepared on {on:%m/%d/%Y}{who}. Valid for {valid_days} days, until {until:%m/%d/%Y}."


def _summary(e: Estimate, clinic: list[str], patient: list[tuple[str, str]], printed_on: str,
             about: Section) -> PatientSummary:
    name = next((v for k, v in patient if k.lower() in ("patient", "name")),
                patient[0][1] if patient else "")
    ids = " · ".join(f"{k} {v}" for k, v in patient if k in ("MRN", "DOB") and v)
    sections = (_services(e), _totals(e),
                Section("How it was worked out", ("Step",), (1.0,),
                        [(s,) for s in (*e.steps, *e.notes)], empty_text="No steps."),
                about)
    return PatientSummary(clinic[0] if clinic else "", tuple(clinic[1:]), printed_on, name, ids,
                          tuple(patient), sections, title=TITLE)


def _code(ln: EstimateLine) -> str:
    return "-".join((ln.code, *ln.modifiers)) if ln.modifiers else ln.code


def _services(e: Estimate) -> Section:
    rows = [(_code(ln), ln.description, f"{ln.units.normalize():f}", money(ln.charge),
             money(ln.allowed), money(ln.patient), money(ln.insurer)) for ln in e.lines]
    return Section("Services planned", SERVICE_COLUMNS, SERVICE_WIDTHS, rows,
                   right=(2, 3, 4, 5, 6))


def _totals(e: Estimate) -> Section:
    # Out of network the amount above the allowed is the patient's, not written off.
    balance = sum((ln.charge - ln.allowed - ln.write_off for ln in e.lines), Decimal(0))
    rows = [("Charges", money(e.total_charge)), ("Expected allowed", money(e.total_allowed)),
            ("Expected insurance payment", money(e.insurer_total))]
    if e.write_off_total:
        rows.append(("Written off by the practice (in-network contract)",
                     money(e.write_off_total)))
    if balance:
        rows.append(("Above the allowed amount, billed to you (out of network)", money(balance)))
    rows.append(("Your estimated share", money(e.patient_total)))
    return Section("Totals", ("", "Amount"), (0.7, 0.3), rows, right=(1,))
