"""Printing a patient summary PDF (audited as chart.print, ONC 170.315(d)(2) "print").

The chart is read without a chart.open event (printing is its own audited action), laid out
as plain dataclasses here, and drawn by `app.formats.summary_pdf`. The audit event is written
in the same transaction as the read, and only once the file has been written.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from app.errors import UserError
from app.formats import observations as obs
from app.formats.identifiers import PLACE_OF_SERVICE
from app.formats.summary_pdf import PatientSummary, Section, render_summary
from app.models import Patient, Practice
from app.services.audit import append_event
from app.services.context import UserContext
from app.services.database import Database
from app.services.history import Chart, ObservationData, _read_chart, observation_text
from app.services.patients import SEXES, PatientData, PatientDetail
from app.services.permissions import Permission

RECENT_ENCOUNTERS = 10
VITALS = (obs.WEIGHT, obs.HEIGHT, obs.BMI, obs.HBA1C, obs.LDL, obs.SMOKING)


class SummaryService:
    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def print_summary(self, patient_id: int, out: Path) -> Path:
        """Write the patient's summary PDF to `out` and audit the print; returns `out`."""
        user = self._ctx.require(Permission.VIEW_PATIENTS)
        out = Path(out)
        with self._db.session() as s:
            p = s.get(Patient, patient_id)
            if p is None:
                raise UserError("That patient no longer exists; search again.")
            practice = s.get(Practice, 1)
            summary = build_summary(_read_chart(s, p), practice, datetime.now())
            pages = _write(summary, out)
            append_event(s, user, "chart.print", entity="patient", entity_id=p.id,
                         patient_id=p.id, details={"pages": pages})
        return out


def _write(summary: PatientSummary, out: Path) -> int:
    try:
        return render_summary(summary, out).pages
    except OSError as exc:
        raise UserError(f"The summary could not be written to {out.name}: "
                        f"{exc.strerror or 'the folder refused it'}. Choose another "
                        "folder.") from None


def _d(value: date | None) -> str:
    return f"{value:%m/%d/%Y}" if value else ""


def age(dob: date, today: date) -> int:
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def build_summary(chart: Chart, practice: Practice | None, now: datetime) -> PatientSummary:
    """The summary's content from a chart (pure: no database, no clock)."""
    h = chart.header
    d = h.data
    return PatientSummary(
        practice_name=practice.name if practice else "",
        practice_lines=_practice_lines(practice),
        printed_on=f"{now:%m/%d/%Y %H:%M}",
        patient_name=h.display_name,
        patient_ids=f"MRN {h.mrn} · DOB {_d(d.dob)}",
        demographics=demographics(h, now.date()),
        sections=(_problems(chart), _medications(chart), _allergies(chart),
                  _encounters(chart), _vitals(chart.observations)),
    )


def _practice_lines(p: Practice | None) -> tuple[str, ...]:
    if p is None:
        return ()
    street = ", ".join(x for x in (p.address1, p.address2) if x)
    return (street, f"{p.city}, {p.state} {zip_text(p.zip)}", f"Phone {phone_text(p.phone)}")


def zip_text(z: str) -> str:
    return f"{z[:5]}-{z[5:]}" if len(z) == 9 else z


def phone_text(v: str) -> str:
    return f"({v[:3]}) {v[3:6]}-{v[6:]}" if len(v) == 10 else v


def demographics(h: PatientDetail, today: date) -> tuple[tuple[str, str], ...]:
    d = h.data
    return (
        ("Name", h.display_name),
        ("Preferred name", d.preferred_name),
        ("MRN", h.mrn),
        ("Date of birth", f"{_d(d.dob)} (age {age(d.dob, today)})"),
        ("Sex", SEXES.get(d.sex, d.sex)),
        ("Language", d.language),
        ("Address", address_text(d.address1, d.address2, d.city, d.state, d.zip)),
        ("Phones", phones_text(d)),
        ("E-mail", d.email),
        ("Guarantor", guarantor_text(d)),
        ("Emergency contact", emergency_text(d)),
    )


def address_text(a1: str, a2: str, city: str, state: str, zip_: str) -> str:
    street = ", ".join(x for x in (a1, a2) if x)
    place = " ".join(x for x in (f"{city}," if city else "", state, zip_text(zip_)) if x)
    return "\n".join(x for x in (street, place.rstrip(",")) if x)


def phones_text(d: PatientData) -> str:
    pairs = (("home", d.phone), ("mobile", d.mobile_phone), ("work", d.work_phone))
    return "\n".join(f"{phone_text(v)} ({k})" for k, v in pairs if v)


def guarantor_text(d: PatientData) -> str:
    if d.guarantor_relationship in ("", "self"):
        return ""
    name = ", ".join(x for x in (d.guarantor_last_name, d.guarantor_first_name) if x)
    addr = address_text(d.guarantor_address1, d.guarantor_address2, d.guarantor_city,
                    d.guarantor_state, d.guarantor_zip)
    lines = [f"{name} ({d.guarantor_relationship})", addr, phone_text(d.guarantor_phone)]
    return "\n".join(x for x in lines if x)


def emergency_text(d: PatientData) -> str:
    rel = f" ({d.emergency_relationship})" if d.emergency_relationship else ""
    name = f"{d.emergency_name}{rel}" if d.emergency_name else ""
    return "\n".join(x for x in (name, phone_text(d.emergency_phone)) if x)


def _problems(c: Chart) -> Section:
    rows = [(p.code, p.description, _d(p.onset), _d(p.resolved), p.status)
            for p in c.problems]
    return Section("Problems", ("Code", "Description", "Onset", "Resolved", "Status"),
                   (0.1, 0.5, 0.14, 0.14, 0.12), rows)


def _medications(c: Chart) -> Section:
    rows = [(m.name, m.dose, _d(m.started), _d(m.stopped)) for m in c.medications]
    return Section("Medications", ("Medication", "Dose", "Started", "Stopped"),
                   (0.36, 0.36, 0.14, 0.14), rows)


def _allergies(c: Chart) -> Section:
    rows = [(a.substance, a.reaction, a.severity, a.status) for a in c.allergies]
    return Section("Allergies", ("Substance", "Reaction", "Severity", "Status"),
                   (0.3, 0.44, 0.13, 0.13), rows, empty_text="No known allergies recorded.")


def _encounters(c: Chart) -> Section:
    recent = sorted(c.encounters, key=lambda e: (e.date, e.id or 0), reverse=True)
    rows = [(_d(e.date), c.provider_names.get(e.provider_id or 0, ""),
             c.facility_names.get(e.facility_id or 0, ""),
             f"{e.pos} {PLACE_OF_SERVICE.get(e.pos, '')}".strip(), e.reason)
            for e in recent[:RECENT_ENCOUNTERS]]
    note = (f"The {RECENT_ENCOUNTERS} most recent of {len(recent)}."
            if len(recent) > RECENT_ENCOUNTERS else "")
    return Section("Recent encounters", ("Date", "Provider", "Facility", "Place", "Reason"),
                   (0.12, 0.2, 0.2, 0.16, 0.32), rows, note=note)


def _vitals(observations: list[ObservationData]) -> Section:
    latest = latest_by_code(observations)
    rows: list[tuple[str, str, str]] = []
    sys_, dia = latest.get(obs.SYSTOLIC.code), latest.get(obs.DIASTOLIC.code)
    if sys_ and dia and sys_.observed_on == dia.observed_on:
        rows.append(("Blood pressure", f"{sys_.value}/{dia.value} mmHg", _d(sys_.observed_on)))
    else:
        rows += [(o.name, observation_text(o), _d(o.observed_on)) for o in (sys_, dia) if o]
    rows += [(o.name, observation_text(o), _d(o.observed_on))
             for k in VITALS if (o := latest.get(k.code))]
    return Section("Latest vitals and results", ("Measure", "Value", "Date"),
                   (0.4, 0.4, 0.2), rows, empty_text="No vitals or results recorded.")


def latest_by_code(observations: list[ObservationData]) -> dict[str, ObservationData]:
    """The most recent observation of each code (the list may be in any order)."""
    out: dict[str, ObservationData] = {}
    for o in observations:
        seen = out.get(o.code)
        if seen is None or (o.observed_on, o.id or 0) > (seen.observed_on, seen.id or 0):
            out[o.code] = o
    return out
