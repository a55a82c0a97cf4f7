"""The 270 eligibility inquiry, 005010X279A1: one transaction per payer (loop 2000A
information source), the clinic as information receiver (2000B, NPI), and one subscriber
(2000C) — with a dependent (2000D) when the patient is not the subscriber — per request,
each with our trace number (TRN*1), demographics, the date of service (DTP*291) and the
service types asked about (EQ).

`build_270` checks every request first and writes nothing when any is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.errors import ValidationError
from app.formats.identifiers import check_npi
from app.formats.x12.segments import Envelope, envelope, seg, x12_text

VERSION = "005010X279A1"


@dataclass(frozen=True)
class Person:
    last_name: str
    first_name: str
    middle_name: str = ""
    dob: date | None = None
    sex: str = ""


@dataclass(frozen=True)
class EligibilityRequest:
    """`trace` is ours (TRN02) and comes back in the 271. `dependent` is the patient when
    the subscriber is someone else, with `relationship` its INS02 code."""

    trace: str
    payer_name: str
    payer_id: str
    subscriber: Person
    member_id: str
    service_date: date
    group_number: str = ""
    dependent: Person | None = None
    relationship: str = ""
    service_types: tuple[str, ...] = ("30",)


@dataclass(frozen=True)
class Receiver:
    """The clinic asking (loop 2100B): its name, NPI, and our company ID for TRN03."""

    name: str
    npi: str
    company_id: str


def check_requests(requests: Sequence[EligibilityRequest], receiver: Receiver) -> dict[str, str]:
    p: dict[str, str] = {}
    if msg := check_npi(receiver.npi):
        p["practice NPI"] = msg
    if not x12_text(receiver.name):
        p["practice name"] = "The practice needs a name."
    traces = [r.trace for r in requests]
    if len(set(traces)) != len(traces):
        p["trace numbers"] = "Each inquiry needs its own trace number."
    for n, r in enumerate(requests, start=1):
        key = f"inquiry {n}"
        if not r.payer_id.strip():
            p[key] = "The payer has no payer ID in the directory."
        elif not r.member_id.strip():
            p[key] = "The coverage has no member ID."
        elif not x12_text(r.subscriber.last_name):
            p[key] = "The subscriber's last name is missing."
        elif r.dependent is not None and not r.relationship:
            p[key] = "The patient's relationship to the subscriber is missing."
    return p


def _person(entity: str, who: Person, member_id: str = "") -> list[str]:
    name = seg("NM1", entity, "1", x12_text(who.last_name)[:60], x12_text(who.first_name)[:35],
               x12_text(who.middle_name)[:25], "", "", "MI" if member_id else "",
               x12_text(member_id)[:80])
    out = [name]
    if who.dob is not None:
        sex = who.sex if who.sex in ("M", "F") else ""
        out.append(seg("DMG", "D8", f"{who.dob:%Y%m%d}", sex))
    return out


def _subscriber(hl: int, parent: int, r: EligibilityRequest, receiver: Receiver) -> list[str]:
    trn = seg("TRN", "1", x12_text(r.trace), x12_text(receiver.company_id)[:10])
    out = [seg("HL", str(hl), str(parent), "22", "1" if r.dependent else "0")]
    if r.dependent is None:
        out.append(trn)
    out += _person("IL", r.subscriber, r.member_id)
    if r.group_number:
        out.insert(3 if r.dependent is None else 2, seg("REF", "6P", x12_text(r.group_number)))
    if r.dependent is not None:
        out += [seg("HL", str(hl + 1), str(hl), "23", "0"), trn, *_person("03", r.dependent),
                seg("INS", "N", r.relationship)]
    out.append(seg("DTP", "291", "D8", f"{r.service_date:%Y%m%d}"))
    out += [seg("EQ", st) for st in r.service_types]
    return out


def _transaction(payer: tuple[str, str], requests: Sequence[EligibilityRequest],
                 receiver: Receiver, reference: str, created: date, time: str) -> list[str]:
    name, payer_id = payer
    body = [seg("BHT", "0022", "13", reference, f"{created:%Y%m%d}", time),
            seg("HL", "1", "", "20", "1"),
            seg("NM1", "PR", "2", x12_text(name)[:60], "", "", "", "", "PI",
                x12_text(payer_id)[:80]),
            seg("HL", "2", "1", "21", "1"),
            seg("NM1", "1P", "2", x12_text(receiver.name)[:60], "", "", "", "", "XX",
                receiver.npi)]
    hl = 3
    for r in requests:
        body += _subscriber(hl, 2, r, receiver)
        hl += 2 if r.dependent else 1
    return body


def build_270(requests: Sequence[EligibilityRequest], receiver: Receiver,
              env: Envelope) -> bytes:
    """The whole 270 file; raises ValidationError (nothing written) when a request is bad."""
    if not requests:
        raise ValidationError({"inquiries": "Choose at least one patient to ask about."},
                              "270 file")
    problems = check_requests(requests, receiver)
    if problems:
        raise ValidationError(problems, "270 file")
    by_payer: dict[tuple[str, str], list[EligibilityRequest]] = {}
    for r in requests:
        by_payer.setdefault((r.payer_name, r.payer_id.strip()), []).append(r)
    reference = f"{env.interchange_control:09d}"
    bodies = [_transaction(p, rs, receiver, reference, env.created, f"{env.created:%H%M}")
              for p, rs in by_payer.items()]
    return envelope(env, "HS", VERSION, bodies, "270").encode("ascii")
