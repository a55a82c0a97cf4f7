"""Matching an 835's claims and service lines to ours before anything is posted
(005010X221A1 loops 2100 CLP and 2110 SVC).

- A claim by CLP01, the patient control number we sent in CLM01 (`123`, or `123R2` for a
  revision): confidence high. When CLP01 is not one of ours, by CLP07 when the payer's
  claim number is one we already keep from a 277CA or an earlier remittance: medium.
- A line by REF*6R, the line item control number we sent (`L<id>`): high; failing that by
  procedure code, modifiers and date of service among the claim's lines not matched yet:
  medium; by code and date of service when the payer dropped or changed a modifier: low; a
  claim with one line and one SVC: medium. An 835 claim with no SVC loops is spread over
  the claim's lines in proportion to their charges ("prorated").
- A reversal (CLP02 22) is matched to the payment it takes back: the latest payment posted
  for the same claim with the same payer claim number (CLP07), not reversed yet.

Anything left over goes to the exceptions list with the reason, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.formats.x12 import x835
from app.models import ChargeLine, Claim, ClaimPayment, Payer, Remittance, ServiceLine
from app.services.claims import claim_number

HIGH, MEDIUM, LOW = "high", "medium", "low"
_OURS = re.compile(r"^(\d{1,12})(?:R(\d{1,4}))?$")
_CONTROL = re.compile(r"^L(\d{1,12})$")


@dataclass(frozen=True)
class LineMatch:
    """Where one SVC of an 835 claim goes: our service line, how and how sure; `reason`
    says why it matched nothing."""

    index: int
    code: str
    service_line_id: int | None
    how: str
    confidence: str
    reason: str = ""


@dataclass(frozen=True)
class ClaimMatch:
    """Where one CLP goes. `claim_id` None: an exception with `reason`."""

    index: int
    claim_number: str
    status_code: str
    charge: Decimal
    paid: Decimal
    claim_id: int | None
    our_number: str
    how: str
    confidence: str
    lines: tuple[LineMatch, ...]
    reverses_payment_id: int | None = None
    reason: str = ""

    @property
    def unmatched_lines(self) -> int:
        return sum(1 for ln in self.lines if ln.service_line_id is None)


@dataclass(frozen=True)
class CheckPlan:
    """One check/EFT of the file and how each of its claims is matched. A non-empty
    `duplicate` or `balance_problems` stops the posting (the latter unless an admin posts it
    anyway with a reason)."""

    remittance: x835.Remittance
    payer_id: int | None
    payer_label: str
    payer_key: str
    duplicate: str
    balance_problems: tuple[str, ...]
    claims: tuple[ClaimMatch, ...]
    lookup: Lookup | None = field(default=None, compare=False, repr=False)  # what was read

    @property
    def matched(self) -> int:
        return sum(1 for c in self.claims if c.claim_id is not None)

    @property
    def unmatched(self) -> int:
        return len(self.claims) - self.matched


def payer_key(r: x835.Remittance) -> str:
    """What identifies the paying payer for the duplicate check: TRN03 (the payer's own
    identifier, required by the guide), else the payer ID, else its name."""
    return (r.trace_payer_id or r.payer_id or r.payer_name).strip().upper()[:80]


def _payer(s: Session, r: x835.Remittance) -> Payer | None:
    for key in (r.payer_id, r.trace_payer_id, r.trace_payer_id[1:]):
        if key:
            payer = s.scalars(select(Payer).where(Payer.payer_id == key.upper())).first()
            if payer is not None:
                return payer
    return None


def _duplicate(s: Session, key: str, trace: str) -> str:
    old = s.scalars(select(Remittance).where(Remittance.payer_key == key,
                                             Remittance.trace_number == trace)).first()
    if old is None:
        return ""
    return (f"Check/EFT {trace} from this payer was already posted on "
            f"{old.posted_at:%m/%d/%Y} by {old.posted_by}; it is not posted twice.")


class ClaimRef(NamedTuple):
    """What matching and posting read of one of our claims (plain rows: an ERA of
    thousands of claims must not build thousands of ORM objects)."""

    id: int
    patient_id: int
    encounter_id: int | None
    coverage_id: int
    payer_id: int
    sequence: str
    revision: int
    payer_claim_number: str
    status: str


class LineRef(NamedTuple):
    """One of our claim's lines, with its charge line's visit and date of service."""

    id: int
    claim_id: int
    line_no: int
    charge_line_id: int
    code: str
    modifiers: str
    dos: date
    units: Decimal
    charge: Decimal
    encounter_id: int
    service_date: date


_CLAIM_COLUMNS = (Claim.id, Claim.patient_id, Claim.encounter_id, Claim.coverage_id,
                  Claim.payer_id, Claim.sequence, Claim.revision, Claim.payer_claim_number,
                  Claim.status)
_LINE_QUERY = (select(ServiceLine.id, ServiceLine.claim_id, ServiceLine.line_no,
                      ServiceLine.charge_line_id, ServiceLine.code, ServiceLine.modifiers,
                      ServiceLine.dos, ServiceLine.units, ServiceLine.charge,
                      ChargeLine.encounter_id, ChargeLine.dos)
               .join(ChargeLine, ChargeLine.id == ServiceLine.charge_line_id)
               .order_by(ServiceLine.claim_id, ServiceLine.line_no))


class Lookup:
    """The claims and lines an 835 names, read in a few queries (an ERA of thousands of
    claims must not cost a query per claim); the poster reads them from here too."""

    CHUNK = 900

    def __init__(self, s: Session, numbers: Sequence[str]) -> None:
        self.s = s
        ids = sorted({int(m.group(1)) for n in numbers if (m := _OURS.match(n.strip()))})
        self.claims: dict[int, ClaimRef] = {}
        self.lines: dict[int, list[LineRef]] = {}
        self.by_line: dict[int, LineRef] = {}
        for i in range(0, len(ids), self.CHUNK):
            part = ids[i:i + self.CHUNK]
            self._read(Claim.id.in_(part), ServiceLine.claim_id.in_(part))

    def _read(self, claims: Any, lines: Any) -> None:
        for claim_row in self.s.execute(select(*_CLAIM_COLUMNS).where(claims)):
            self.claims[claim_row[0]] = ClaimRef(*claim_row)
            self.lines.setdefault(claim_row[0], [])
        for line_row in self.s.execute(_LINE_QUERY.where(lines)):
            ref = LineRef(*line_row)
            self.lines[ref.claim_id].append(ref)
            self.by_line[ref.id] = ref

    def claim(self, number: str) -> ClaimRef | None:
        m = _OURS.match(number.strip())
        if m is None:
            return None
        c = self.claims.get(int(m.group(1)))
        if c is None or (m.group(2) and int(m.group(2)) > c.revision):
            return None
        return c

    def by_payer_number(self, payer_number: str) -> ClaimRef | None:
        """The latest of our claims the payer numbered so (a 277CA or earlier remittance)."""
        if not payer_number:
            return None
        found = self.s.scalar(select(Claim.id).where(Claim.payer_claim_number == payer_number)
                              .order_by(Claim.id.desc()).limit(1))
        if found is None:
            return None
        if found not in self.claims:
            self._read(Claim.id == found, ServiceLine.claim_id == found)
        return self.claims[found]

    def claim_lines(self, c: ClaimRef) -> list[LineRef]:
        return self.lines[c.id]



def _by_control(svc: x835.ServicePayment, lines: dict[int, LineRef]) -> int | None:
    m = _CONTROL.match(svc.control_number.strip())
    return int(m.group(1)) if m and int(m.group(1)) in lines else None


def _same_day(svc: x835.ServicePayment, ln: LineRef) -> bool:
    return svc.dos_from is None or svc.dos_from == ln.dos


def _mods(joined: str) -> tuple[str, ...]:
    """A line's modifiers, stored joined ("25XS"), as the 835 lists them."""
    return tuple(joined[i:i + 2] for i in range(0, len(joined), 2))


def _codes(svc: x835.ServicePayment) -> tuple[str, tuple[str, ...]]:
    """The code and modifiers we billed: SVC06 when the payer changed them, else SVC01."""
    if svc.submitted_code:
        return svc.submitted_code, svc.submitted_modifiers
    return svc.code, svc.modifiers


def _line_matches(claim: x835.ClaimPayment, lines: Sequence[LineRef]) -> list[LineMatch]:
    by_id = {ln.id: ln for ln in lines}
    free = dict(by_id)
    out: list[LineMatch] = []
    for i, svc in enumerate(claim.services):
        code, mods = _codes(svc)
        found, how, sure = _by_control(svc, free), "control number", HIGH
        if found is None:
            found = next((ln.id for ln in free.values() if ln.code == code
                          and _mods(ln.modifiers) == mods
                          and _same_day(svc, ln)), None)
            how, sure = "code, modifiers and date", MEDIUM
        if found is None:
            found = next((ln.id for ln in free.values() if ln.code == code
                          and _same_day(svc, ln)), None)
            how, sure = "code and date", LOW
        if found is None and len(lines) == 1 and len(claim.services) == 1:
            found, how, sure = lines[0].id, "only line", MEDIUM
        if found is None:
            out.append(LineMatch(i, code, None, "", "",
                                 f"No line of the claim bills {code} on that date."))
            continue
        free.pop(found)
        out.append(LineMatch(i, code, found, how, sure))
    return out


def _reversed_payment(s: Session, c: ClaimRef, claim: x835.ClaimPayment
                      ) -> ClaimPayment | None:
    q = (select(ClaimPayment).where(ClaimPayment.claim_id == c.id,
                                    ClaimPayment.reversed.is_(False),
                                    ClaimPayment.status_code != "22")
         .order_by(ClaimPayment.id.desc()))
    rows = list(s.scalars(q))
    same = [p for p in rows if claim.payer_claim_number
            and p.payer_claim_number == claim.payer_claim_number]
    found = same or rows
    return found[0] if found else None


def _unmatched(i: int, claim: x835.ClaimPayment, reason: str) -> ClaimMatch:
    lines = tuple(LineMatch(j, _codes(svc)[0], None, "", "", "The claim matched none of ours.")
                  for j, svc in enumerate(claim.services))
    return ClaimMatch(i, claim.claim_id, claim.status, claim.charge, claim.paid, None, "", "",
                      "", lines, reason=reason)


def match_claim(s: Session, look: Lookup, i: int, claim: x835.ClaimPayment) -> ClaimMatch:
    """How one CLP is placed (see the module docstring)."""
    c, how, sure = look.claim(claim.claim_id), "our claim number", HIGH
    if c is None:
        c, how, sure = look.by_payer_number(claim.payer_claim_number), \
            "payer claim number", MEDIUM
    if c is None:
        return _unmatched(i, claim, "The claim number is not one of this clinic's claims.")
    lines = look.claim_lines(c)
    reverses = None
    if claim.is_reversal:
        prior = _reversed_payment(s, c, claim)
        if prior is None:
            return _unmatched(i, claim, f"A reversal of a payment on claim {claim_number(c)} "
                                        "that was never posted here.")
        reverses = prior.id
    matches = tuple(_line_matches(claim, lines)) if claim.services else tuple(
        LineMatch(j, ln.code, ln.id, "prorated", MEDIUM) for j, ln in enumerate(lines))
    return ClaimMatch(i, claim.claim_id, claim.status, claim.charge, claim.paid, c.id,
                      claim_number(c), how, sure, matches, reverses)


def plan_check(s: Session, r: x835.Remittance) -> CheckPlan:
    """The match plan of one check; reads the database, writes nothing."""
    payer = _payer(s, r)
    key = payer_key(r)
    look = Lookup(s, [c.claim_id for c in r.claims])
    claims = tuple(match_claim(s, look, i, c) for i, c in enumerate(r.claims))
    if payer is None:  # the payer named differently here: the payer its claims were sent to
        ids = {look.claims[m.claim_id].payer_id for m in claims
               if m.claim_id is not None and m.claim_id in look.claims}
        payer = s.get(Payer, ids.pop()) if len(ids) == 1 else None
    label = payer.name if payer is not None else (r.payer_name or key)
    return CheckPlan(r, payer.id if payer is not None else None, label, key,
                     _duplicate(s, key, r.trace_number), tuple(r.balance_problems()), claims,
                     look)
