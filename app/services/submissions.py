"""Submitting claims: paper print jobs on the CMS-1500 (02/12) and 837P (005010X222A1) batches
for the clearinghouse, and the acknowledgements that come back (999 X231A1, 277CA X214).

- A submission takes only ready claims, of its method. An 837P batch is validated whole with
  pyx12 before anything is written: any problem blocks the export, lists the claims and
  segments at fault, and nothing is marked submitted. The file is kept inside the database.
- Each claim sent gets an immutable snapshot of what went out, and the step `submitted` in its
  history; a replacement or void marks the claim it replaces.
- Printing: `paper_batch` renders the PDF (nothing recorded yet), the window prints it at 100%,
  then `record_printed` marks the claims submitted. The CLI writes the PDF and records at once.
- Acknowledgements are all-or-nothing: the file is read and matched to batches and claims
  before anything changes; a malformed or already imported file changes nothing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.formats import claim_data as cd
from app.formats.x12.segments import Envelope
from app.models import Practice, WorkItem, X12File
from app.models.claims import (
    ACCEPTED,
    ELECTRONIC,
    PAPER,
    READY,
    REJECTED,
    REPLACED,
    SUBMITTED,
    VOIDED,
    Claim,
    ClaimSnapshot,
    Submission,
)
from app.services.audit import append_event
from app.services.claim_document import document, snapshot
from app.services.claims import add_event, claim_number, close_rejection_items
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.eligibility_files import next_control
from app.services.fees import read_file_bytes
from app.services.permissions import Permission
from app.services.settings import EdiSettings, read_edi

MODES = ("data", "form")
MAX_BATCH = 5000
NO_OFFSET = cd.Printing()


@dataclass(frozen=True)
class SubmissionResult:
    submission_id: int
    claims: int
    total: Decimal
    path: Path | None
    control_number: str = ""


@dataclass(frozen=True)
class PaperBatch:
    """A rendered print job not yet recorded: the PDF and the claims (with versions) in it."""

    pdf: bytes
    claims: tuple[tuple[int, int], ...]  # (claim id, version)
    mode: str
    total: Decimal
    documents: tuple[cd.ClaimDocument, ...] = ()  # what was drawn: kept as the snapshots


@dataclass(frozen=True)
class SubmissionRow:
    id: int
    method: str
    created_at: datetime
    created_by: str
    claims: int
    total: Decimal
    control_number: str
    print_mode: str


@dataclass(frozen=True)
class AckClaim:
    claim_number: str
    accepted: bool
    detail: str


@dataclass(frozen=True)
class AckResult:
    kind: str  # "999" or "277CA"
    accepted: int
    rejected: int
    unmatched: tuple[str, ...]  # claim numbers the clinic did not send
    claims: tuple[AckClaim, ...]
    earlier: tuple[str, ...] = ()  # numbers of versions sent again since: left alone


def _chosen(s: Session, method: str, claim_ids: Sequence[int] | None) -> list[Claim]:
    if claim_ids is None:
        # the oldest first; more than a batch's worth wait for the next one
        rows = list(s.scalars(select(Claim).where(Claim.status == READY, Claim.method == method)
                              .order_by(Claim.id).limit(MAX_BATCH)))
    else:
        rows = [c for i in dict.fromkeys(claim_ids) if (c := s.get(Claim, i)) is not None]
        if len(rows) != len(set(claim_ids)):
            raise UserError("One of the chosen claims no longer exists. Refresh the list.")
    if not rows:
        word = "paper" if method == PAPER else "electronic"
        raise UserError(f"There are no ready {word} claims to send. Check claims and mark "
                        "them ready first.")
    if len(rows) > MAX_BATCH:
        raise UserError(f"Send at most {MAX_BATCH:,} claims in one batch.")
    for c in rows:
        if c.status != READY:
            raise UserError(f"Claim {claim_number(c)} is not ready. Check it (scrubber) and "
                            "mark it ready first.")
        if c.method != method:
            word = "on paper" if c.method == PAPER else "electronically"
            raise UserError(f"Claim {claim_number(c)} is set to go {word}.")
    return rows


def _submitted(s: Session, user: CurrentUser, claims: Sequence[Claim], docs: Sequence[
        cd.ClaimDocument], sub: Submission, detail: str) -> None:
    for c, doc in zip(claims, docs, strict=True):
        s.add(ClaimSnapshot(claim_id=c.id, submission_id=sub.id, claim_number=doc.claim_id,
                            revision=c.revision, document=snapshot(doc)))
        add_event(s, c, SUBMITTED, user.username, detail, sub.id)
        if c.submitted_on is None:
            c.submitted_on = date.today()  # the first time: timely filing and aging count
        close_rejection_items(s, user, c.id, "Claim submitted again.")
        if c.replaces_claim_id is not None:
            old = s.get(Claim, c.replaces_claim_id)
            if old is not None:
                add_event(s, old, REPLACED if c.frequency == "7" else VOIDED, user.username,
                          f"By claim {claim_number(c)}.", sub.id)
        append_event(s, user, "claim.submit", entity="claim", entity_id=c.id,
                     patient_id=c.patient_id, details={"submission": sub.id,
                                                       "method": sub.method})


def submitter_for(s: Session, e: EdiSettings) -> cd.Submitter:
    """Loop 1000A/1000B from the settings, with the practice's name and phone by default."""
    pr = s.query(Practice).first()
    name = e.submitter_name or (pr.name if pr else "")
    phone = e.contact_phone or (pr.phone if pr else "")
    return cd.Submitter(name, e.submitter_id, e.contact_name or name, phone, e.receiver_name,
                        e.receiver_id)


def _envelope(s: Session, e: EdiSettings) -> Envelope:
    return Envelope(e.sender_qualifier, e.sender_id or e.submitter_id, e.receiver_qualifier,
                    e.interchange_receiver_id or e.receiver_id, next_control(s, "isa"),
                    next_control(s, "gs"), next_control(s, "st"), usage=e.usage)


def _problems_message(problems: Sequence[object]) -> str:
    lines = []
    for p in problems[:10]:
        claim = getattr(p, "claim_id", None)
        where = f"claim {claim}" if claim else "file envelope"
        seg = getattr(p, "segment_id", "") or ""
        pos = getattr(p, "segment_no", None)
        lines.append(f"- {where}, segment {seg}{f' #{pos}' if pos else ''}: "
                     f"{getattr(p, 'message', p)}")
    more = f"\n… and {len(problems) - 10} more." if len(problems) > 10 else ""
    return ("The 837P batch did not pass validation, so nothing was written or marked sent:\n"
            + "\n".join(lines) + more)


def _stage(path: Path, data: bytes) -> Path:
    """`data` in a hidden file beside `path`, to be moved into place once recorded."""
    if not path.parent.is_dir():
        raise UserError(f"The folder {path.parent} does not exist.")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".clinic-clerk-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except OSError as exc:
        raise UserError(f"Could not write {path.name}: {exc.strerror}.") from None
    return Path(tmp)


@contextmanager
def _staged(path: Path, data: bytes) -> Iterator[Callable[[], None]]:
    """Stage the file; the caller records, then calls the commit function to put the file
    in place. Anything raised before that leaves no file behind."""
    tmp = _stage(path, data)
    try:
        yield lambda: os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class SubmissionService:
    """Paper print jobs, 837P batches and their acknowledgements."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    # paper
    def preview_pdf(self, claim_ids: Sequence[int], mode: str,
                    printing: cd.Printing = NO_OFFSET) -> bytes:
        """The 1500 pages of these claims in any status, for a look on screen; nothing is
        marked (audited as a view)."""
        user = self._ctx.require(Permission.MANAGE_CLAIMS)
        _mode(mode)
        with self._db.session() as s:
            claims = [c for i in claim_ids if (c := s.get(Claim, i)) is not None]
            if not claims:
                raise UserError("Choose a claim to preview.")
            docs = [document(s, c) for c in claims]
            for c in claims:
                append_event(s, user, "claim.preview", entity="claim", entity_id=c.id,
                             patient_id=c.patient_id)
        return _render(docs, mode, printing)

    def alignment_page(self, printing: cd.Printing = NO_OFFSET) -> bytes:
        """A test page to hold against a blank red form and read the printer's offsets."""
        from app.formats.cms1500_pdf import alignment_page

        self._ctx.require(Permission.MANAGE_CLAIMS)
        return alignment_page(printing)

    def paper_batch(self, claim_ids: Sequence[int] | None, mode: str,
                    printing: cd.Printing = NO_OFFSET) -> PaperBatch:
        """The PDF of the chosen ready paper claims (all of them when None), not yet
        recorded: call `record_printed` once the printer has it."""
        user = self._ctx.require(Permission.MANAGE_CLAIMS)
        _mode(mode)
        with self._db.session() as s:
            claims = _chosen(s, PAPER, claim_ids)
            docs = [document(s, c) for c in claims]
            refs = tuple((c.id, c.version) for c in claims)
            for c in claims:
                append_event(s, user, "claim.render", entity="claim", entity_id=c.id,
                             patient_id=c.patient_id, details={"mode": mode})
        pdf = _render(docs, mode, printing)
        return PaperBatch(pdf, refs, mode, sum((d.total_charge for d in docs), Decimal("0.00")),
                          tuple(docs))

    def record_printed(self, batch: PaperBatch) -> SubmissionResult:
        """Mark the claims of a printed batch submitted on paper, with the print job."""
        user = self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            claims = _chosen(s, PAPER, [i for i, _ in batch.claims])
            if any(c.version != v for c, (_, v) in zip(claims, batch.claims, strict=True)):
                raise UserError("A claim changed while it was printing. Print the batch again.")
            docs = list(batch.documents) or [document(s, c) for c in claims]
            sub = Submission(method=PAPER, print_mode=batch.mode, claims=len(claims),
                             total_charge=batch.total, created_by=user.username)
            s.add(sub)
            s.flush()
            _submitted(s, user, claims, docs, sub, f"Printed on paper (batch {sub.id}, "
                       f"{'form' if batch.mode == 'form' else 'data only'}).")
            append_event(s, user, "claims.print", entity="submission", entity_id=sub.id,
                         details={"claims": len(claims), "mode": batch.mode})
            return SubmissionResult(sub.id, len(claims), batch.total, None)

    def print_to_file(self, out: Path, claim_ids: Sequence[int] | None, mode: str,
                      printing: cd.Printing = NO_OFFSET) -> SubmissionResult:
        """Write the print job to a PDF file and record it as printed (the CLI's print)."""
        batch = self.paper_batch(claim_ids, mode, printing)
        with _staged(Path(out), batch.pdf) as commit:
            result = self.record_printed(batch)
            commit()
        return SubmissionResult(result.submission_id, result.claims, result.total, Path(out))

    # electronic
    def export_837(self, out: Path, claim_ids: Sequence[int] | None = None
                   ) -> SubmissionResult:
        """Write the chosen ready electronic claims (all of them when None) as one 837P file,
        after pyx12 finds it clean; record the batch, its file and a snapshot of each claim."""
        user = self._ctx.require(Permission.MANAGE_CLAIMS)
        out = Path(out)
        staged = None
        try:
            with self._db.session() as s:
                result, data = self._export(s, user, out, claim_ids)
                staged = _stage(out, data)  # written beside the target before the commit
            os.replace(staged, out)  # the batch is recorded: now the file is in place
            return result
        finally:
            if staged is not None and staged.exists():
                staged.unlink()

    def _export(self, s: Session, user: CurrentUser, out: Path,
                claim_ids: Sequence[int] | None) -> tuple[SubmissionResult, bytes]:
        claims = _chosen(s, ELECTRONIC, claim_ids)
        edi = read_edi(s)
        if missing := edi.missing:
            raise UserError("Enter the clearinghouse details first (Admin → Settings): "
                            + ", ".join(missing) + ".")
        docs = [document(s, c) for c in claims]
        env = _envelope(s, edi)
        data = _checked_837p(docs, submitter_for(s, edi), env)
        total = sum((d.total_charge for d in docs), Decimal("0.00"))
        control = f"{env.interchange_control:09d}"
        f = X12File(kind="837", direction="out", filename=out.name[:200],
                    sha256=hashlib.sha256(data).hexdigest(), control_number=control,
                    transactions=1, content=data, created_by=user.username)
        s.add(f)
        s.flush()
        sub = Submission(method=ELECTRONIC, x12_file_id=f.id, interchange_control=control,
                         group_control=str(env.group_control), claims=len(claims),
                         total_charge=total, created_by=user.username)
        s.add(sub)
        s.flush()
        _submitted(s, user, claims, docs, sub, f"Sent in 837P batch {sub.id} "
                   f"(interchange {control}).")
        append_event(s, user, "claims.export_837", entity="submission", entity_id=sub.id,
                     details={"claims": len(claims), "control": control})
        return SubmissionResult(sub.id, len(claims), total, out, control), data

    def submissions(self, limit: int = 200) -> list[SubmissionRow]:
        """Print jobs and batches, newest first."""
        self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            rows = s.scalars(select(Submission).order_by(Submission.id.desc()).limit(limit))
            return [SubmissionRow(r.id, r.method, r.created_at, r.created_by, r.claims,
                                  r.total_charge, r.interchange_control, r.print_mode)
                    for r in rows]

    def batch_file(self, submission_id: int) -> bytes:
        """The 837P file exactly as written for a batch (audited)."""
        user = self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            sub = s.get(Submission, submission_id)
            if sub is None or sub.x12_file_id is None:
                raise UserError("That batch has no 837P file.")
            f = s.get(X12File, sub.x12_file_id)
            assert f is not None
            append_event(s, user, "claims.batch_file", entity="submission",
                         entity_id=sub.id)
            return f.content

    # acknowledgements
    def import_ack(self, path: Path) -> AckResult:
        """Read a 999 or a 277CA and set the claims it speaks of accepted or rejected.
        Rejected claims go to the rejection work queue with the reasons in words."""
        from app.services.acks import apply_ack, read_ack

        user = self._ctx.require(Permission.MANAGE_CLAIMS)
        path = Path(path)
        data = read_file_bytes(path)
        ack = read_ack(data, path.name)
        digest = hashlib.sha256(data).hexdigest()
        with self._db.session() as s:
            seen = s.scalar(select(X12File).where(X12File.kind == ack.kind[:4],
                                                  X12File.sha256 == digest))
            if seen is not None:
                raise UserError(f"{path.name} was already imported on "
                                f"{seen.created_at:%m/%d/%Y}. Nothing was changed.")
            result = apply_ack(s, user, ack)
            s.add(X12File(kind=ack.kind[:4], direction="in", filename=path.name[:200],
                          sha256=digest, control_number="", transactions=len(result.claims),
                          content=data, created_by=user.username))
            append_event(s, user, "claims.import_ack", details={
                "kind": ack.kind, "accepted": result.accepted, "rejected": result.rejected})
            return result


def _render(docs: Sequence[cd.ClaimDocument], mode: str, printing: cd.Printing) -> bytes:
    # reportlab is loaded only when something is printed (start-up stays quick)
    from app.formats.cms1500_pdf import render_claims

    return render_claims(docs, mode=mode, printing=printing, printed_on=date.today())


def _checked_837p(docs: Sequence[cd.ClaimDocument], submitter: cd.Submitter,
                  env: Envelope) -> bytes:
    """The batch as X12, refused with the claims and segments at fault unless pyx12 finds
    it clean. pyx12 loads its maps on first use, so it is imported here, not at start-up."""
    from app.formats.x12.validate import validate_837p
    from app.formats.x12.x837p import build_837p

    try:
        data = build_837p(docs, submitter, env)
    except ValueError as exc:
        raise UserError(f"The 837P could not be built: {exc}") from None
    if problems := validate_837p(data):
        raise UserError(_problems_message(problems))
    return data


def _mode(mode: str) -> None:
    if mode not in MODES:
        raise UserError("Choose the print mode: data (for the red form) or form (whole form).")


def reject(s: Session, user: CurrentUser, c: Claim, detail: str) -> None:
    """Mark `c` rejected with the reasons, and queue it for the clerk."""
    add_event(s, c, REJECTED, user.username, detail)
    append_event(s, user, "claim.ack", entity="claim", entity_id=c.id,
                 patient_id=c.patient_id, details={"accepted": False})
    s.add(WorkItem(patient_id=c.patient_id, coverage_id=c.coverage_id, claim_id=c.id,
                   source="claim", source_id=c.id, reason="claim_rejected", detail=detail,
                   created_by=user.username))


def accept(s: Session, user: CurrentUser, c: Claim, detail: str,
           payer_claim_number: str = "") -> None:
    if payer_claim_number:
        c.payer_claim_number = payer_claim_number
    if c.status in (SUBMITTED, ACCEPTED):
        add_event(s, c, ACCEPTED, user.username, detail)
        append_event(s, user, "claim.ack", entity="claim", entity_id=c.id,
                     patient_id=c.patient_id, details={"accepted": True})


