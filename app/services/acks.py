"""Acknowledgements of the clinic's 837P batches, matched to submissions and claims.

- 999 (005010X231A1): AK1's group control number is the GS06 of one of our batches. An
  accepted group (AK9 A or E) marks its claims accepted by the clearinghouse; a rejected one
  (R, or P with the transaction rejected) marks them rejected, with the IK3/IK4/IK5 reasons in
  words, and queues each for the clerk.
- 277CA (005010X214): each claim's TRN02 is the CLM01 we sent (kept in the claim snapshots).
  Category A1/A2/A5 accepts it and keeps the payer's claim number (REF*1K); A3/A4/A6/A7/A8
  rejects it with the status codes in words.

Reading and matching finish before anything is written; a file about batches or claims this
database never sent changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.formats.x12.segments import read_segments
from app.formats.x12.x277ca import ClaimStatusReport, read_277ca
from app.formats.x12.x999 import Ack999, read_999
from app.models.claims import ACCEPTED, ELECTRONIC, SUBMITTED, Claim, ClaimSnapshot, Submission
from app.services.claims import claim_number
from app.services.context import CurrentUser
from app.services.submissions import AckClaim, AckResult, accept, reject

KIND_999 = "999"
KIND_277CA = "277CA"


@dataclass(frozen=True)
class ReadAck:
    kind: str
    filename: str
    acks: tuple[Ack999, ...] = ()
    reports: tuple[ClaimStatusReport, ...] = ()


def read_ack(data: bytes, filename: str) -> ReadAck:
    """Which acknowledgement the file is, read whole (X12Error names the segment at fault)."""
    kinds = {s.el(1) for s in read_segments(data, filename) if s.id == "ST"}
    if kinds == {"999"}:
        return ReadAck(KIND_999, filename, acks=tuple(read_999(data, filename)))
    if kinds == {"277"}:
        return ReadAck(KIND_277CA, filename, reports=tuple(read_277ca(data, filename)))
    raise UserError(f"{filename} is not a 999 or a 277CA acknowledgement "
                    f"(it holds {', '.join(sorted(kinds)) or 'no transaction'}). "
                    "Nothing was changed.")


def apply_ack(s: Session, user: CurrentUser, ack: ReadAck) -> AckResult:
    if ack.kind == KIND_999:
        return _apply_999(s, user, ack)
    return _apply_277ca(s, user, ack)


# --- 999 ---------------------------------------------------------------------------------------
def _submission(s: Session, group_control: str) -> Submission | None:
    try:
        number = str(int(group_control))
    except ValueError:
        return None
    return s.scalar(select(Submission).where(Submission.method == ELECTRONIC,
                                             Submission.group_control == number))


def _batch_claims(s: Session, sub: Submission) -> list[tuple[Claim, str]]:
    q = (select(Claim, ClaimSnapshot.claim_number)
         .join(ClaimSnapshot, ClaimSnapshot.claim_id == Claim.id)
         .where(ClaimSnapshot.submission_id == sub.id).order_by(Claim.id))
    return [(c, n) for c, n in s.execute(q).all()]


def _last_submission(s: Session, c: Claim) -> int | None:
    return s.scalar(select(ClaimSnapshot.submission_id).where(ClaimSnapshot.claim_id == c.id)
                    .order_by(ClaimSnapshot.submission_id.desc()).limit(1))


def _reasons_999(a: Ack999, claim_no: str) -> str:
    words = list(a.error_words)
    for t in a.transactions:
        words += t.error_words
        for e in t.segment_errors:
            if not e.claim_ids or claim_no in e.claim_ids:
                words += e.describe()
    words = list(dict.fromkeys(w for w in words if w))
    return "Rejected by the clearinghouse (999): " + ("; ".join(words) or a.status_words) + "."


def _apply_999(s: Session, user: CurrentUser, ack: ReadAck) -> AckResult:
    matched: list[tuple[Ack999, Submission]] = []
    for a in ack.acks:
        if a.functional_id != "HC":
            raise UserError(f"{ack.filename} acknowledges a {a.functional_id_words} batch "
                            f"(AK1 {a.functional_id}), not claims. Nothing was changed.")
        sub = _submission(s, a.group_control)
        if sub is None:
            raise UserError(f"{ack.filename} acknowledges batch {a.group_control} (GS06), "
                            "which was not sent from this clinic database. Nothing was "
                            "changed.")
        matched.append((a, sub))
    out: list[AckClaim] = []
    for a, sub in matched:
        for c, number in _batch_claims(s, sub):
            if c.status != SUBMITTED or _last_submission(s, c) != sub.id:
                continue  # a 277CA or a later sending already moved it on
            if a.accepted:
                detail = "Accepted by the clearinghouse (999)."
                if a.status == "E":
                    detail = "Accepted with errors by the clearinghouse (999): " + "; ".join(
                        a.error_words) + "."
                accept(s, user, c, detail)
                out.append(AckClaim(number, True, detail))
            else:
                detail = _reasons_999(a, number)
                reject(s, user, c, detail)
                out.append(AckClaim(number, False, detail))
    return _result(KIND_999, out, (), ())


# --- 277CA -------------------------------------------------------------------------------------
def _claim_by_number(s: Session, number: str) -> Claim | None:
    q = (select(Claim).join(ClaimSnapshot, ClaimSnapshot.claim_id == Claim.id)
         .where(ClaimSnapshot.claim_number == number)
         .order_by(ClaimSnapshot.submission_id.desc()).limit(1))
    return s.scalar(q)


def _apply_277ca(s: Session, user: CurrentUser, ack: ReadAck) -> AckResult:
    plan = []
    unmatched: list[str] = []
    earlier: list[str] = []
    for report in ack.reports:
        for cl in report.claims:
            found = _claim_by_number(s, cl.patient_control_number)
            if found is None:
                unmatched.append(cl.patient_control_number)
            elif claim_number(found).upper() != cl.patient_control_number.upper():
                earlier.append(cl.patient_control_number)  # the claim went out again since
            else:
                plan.append((cl, found))
    if not plan and not earlier:
        raise UserError(f"None of the claims in {ack.filename} was sent from this clinic "
                        "database. Nothing was changed.")
    out: list[AckClaim] = []
    for cl, c in plan:
        number = cl.patient_control_number
        if c.status not in (SUBMITTED, ACCEPTED):
            continue
        words = "; ".join(cl.status_lines()) or "no status given"
        if cl.rejected:
            detail = f"Rejected by the payer's front end (277CA): {words}."
            reject(s, user, c, detail)
            out.append(AckClaim(number, False, detail))
        elif cl.accepted:
            detail = f"Accepted for adjudication (277CA): {words}."
            accept(s, user, c, detail, cl.payer_claim_number)
            out.append(AckClaim(number, True, detail))
    return _result(KIND_277CA, out, unmatched, earlier)


def _result(kind: str, claims: Sequence[AckClaim], unmatched: Sequence[str],
            earlier: Sequence[str]) -> AckResult:
    return AckResult(kind, sum(c.accepted for c in claims),
                     sum(not c.accepted for c in claims), tuple(dict.fromkeys(unmatched)),
                     tuple(claims), tuple(dict.fromkeys(earlier)))
