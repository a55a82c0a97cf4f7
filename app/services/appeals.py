"""Appeals (DESIGN.md §3): reconsideration and appeal letters for a claim the payer decided,
written from templates (app.formats.appeal_letter), kept exactly as printed and tracked as
work until the payer answers.

- Templates: the defaults of appeal_letter, which an admin may edit (checked with
  `check_template`) or add to; each edited or added one is a JSON {title, body} in the
  `setting` table under "appeal_template_<key>". Resetting removes the edit.
- `draft` fills a template with the claim: its open denials (codes in words, remark codes
  too), the services in dispute, the amounts (charge, paid, in dispute = the open denials'
  amount, or what the payer allowed below the contract), the clinic, the payer's address, and
  the signer (the signed-in user). The clerk may edit the text before `create` keeps it.
- `create` stores the letter, opens a work item (reason "appeal", due in 30 days), marks the
  claim's open denials appealed and closes their denial and underpayment items: from now on
  the appeals queue tracks the claim.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.errors import UserError, ValidationError
from app.formats import adjustment_codes as codes
from app.formats.appeal_letter import (
    DEFAULT_TEMPLATES,
    AppealLetterData,
    DenialReason,
    Letterhead,
    ServiceRow,
    Template,
    appeal_letter_pdf,
    check_template,
    dollars,
    fill,
)
from app.models import (
    AdjustmentCode,
    Appeal,
    Claim,
    ClaimPayment,
    ContractRate,
    Coverage,
    Denial,
    LinePayment,
    Patient,
    Payer,
    Practice,
    ProcedureCode,
    Provider,
    RemitAdjustment,
    ServiceLine,
    Setting,
    WorkItem,
)
from app.models.claims import DENIED, PAID
from app.services.audit import append_event
from app.services.claims import claim_lines, claim_number, split_modifiers
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.followup import APPEAL, close_items, local_day, payer_balances
from app.services.permissions import Permission
from app.services.settings import put

PREFIX = "appeal_template_"
KEY = re.compile(r"[a-z][a-z0-9_]{0,29}")  # Appeal.template holds 30 characters
TITLE_LIMIT = 60  # leaves room for ", claim <number>" in the letter's 100-character title
LETTER_TITLE_LIMIT = 100
DUE_DAYS = 30
NEXT_ACTION = "Wait for the payer's decision; call if no answer by the due date"
SIGNER_TITLE = "Billing Office"
APPEALABLE = (PAID, DENIED)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class TemplateRow:
    key: str
    title: str
    body: str
    has_default: bool  # one of the app's own templates (reset brings it back)
    edited: bool  # differs from the app's default, or added by the clinic


@dataclass(frozen=True)
class AppealRow:
    id: int
    claim_id: int
    claim_number: str
    template: str
    title: str
    text: str
    amount: Decimal
    work_item_id: int | None
    state: str  # the tracking work item's state
    due_on: date | None
    created_by: str
    created_at: datetime


# --- templates -------------------------------------------------------------------------------
def _stored(s: Session) -> dict[str, Template]:
    out: dict[str, Template] = {}
    for row in s.scalars(select(Setting).where(Setting.key.startswith(PREFIX))):
        key = row.key[len(PREFIX):]
        try:
            data = json.loads(row.value)
            out[key] = Template(key, str(data["title"]), str(data["body"]))
        except (ValueError, KeyError, TypeError):
            continue  # a hand-edited bad value: the default (if any) stands
    return out


def all_templates(s: Session) -> dict[str, Template]:
    """The app's templates with the clinic's edits, then the clinic's own, by key."""
    return {**DEFAULT_TEMPLATES, **_stored(s)}


def _template(s: Session, key: str) -> Template:
    found = all_templates(s).get(key)
    if found is None:
        raise UserError("Choose a letter template from the list.")
    return found


def _template_row(t: Template) -> TemplateRow:
    default = DEFAULT_TEMPLATES.get(t.key)
    return TemplateRow(t.key, t.title, t.body, default is not None, default != t)


def _template_problems(key: str, title: str, body: str) -> dict[str, str]:
    p: dict[str, str] = {}
    if not KEY.fullmatch(key):
        p["key"] = ("Use up to 30 lower-case letters, digits and _, starting with a letter "
                    "(e.g. records_request).")
    if not title.strip():
        p["title"] = "Give the template a title."
    elif len(title.strip()) > TITLE_LIMIT:
        p["title"] = f"Use at most {TITLE_LIMIT} characters."
    if problems := check_template(body):
        p["body"] = "\n".join(problems)
    return p


# --- what a letter says ----------------------------------------------------------------------
def _phone(digits: str) -> str:
    if len(digits) == 10 and digits.isdigit():
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return digits


def _city_line(city: str, state: str, zip_: str) -> str:
    z = f"{zip_[:5]}-{zip_[5:]}" if len(zip_) == 9 else zip_
    return f"{city}, {state} {z}".strip(", ") if city or state or zip_ else ""


def _address(line1: str, line2: str, city: str, state: str, zip_: str) -> tuple[str, ...]:
    return tuple(x for x in (line1, line2, _city_line(city, state, zip_)) if x)


def _practice(s: Session) -> Practice:
    pr = s.scalars(select(Practice)).first()
    if pr is None:
        raise UserError("Enter the practice's details (Admin, Practice) before writing letters.")
    return pr


def letterhead(pr: Practice) -> Letterhead:
    return Letterhead(pr.name, _address(pr.address1, pr.address2, pr.city, pr.state, pr.zip),
                      _phone(pr.phone))


def _person(p: Patient) -> str:
    middle = f" {p.middle_name[:1]}." if p.middle_name else ""
    return f"{p.first_name}{middle} {p.last_name}"


def _imported(s: Session, kind: str) -> dict[str, str]:
    q = select(AdjustmentCode.code, AdjustmentCode.description).where(
        AdjustmentCode.kind == kind)
    return {code: text for code, text in s.execute(q)}


def _open_denials(s: Session, c: Claim) -> list[Denial]:
    return list(s.scalars(select(Denial).where(Denial.claim_id == c.id, Denial.outcome == "")
                          .order_by(Denial.id)))


def _underpaid(s: Session, c: Claim) -> list[WorkItem]:
    return list(s.scalars(select(WorkItem).where(
        WorkItem.claim_id == c.id, WorkItem.reason == "underpaid",
        WorkItem.source == "service_line", WorkItem.state != "done").order_by(WorkItem.id)))


def _latest_line_payment(s: Session, sl_id: int) -> LinePayment | None:
    return s.scalars(select(LinePayment).join(
        ClaimPayment, ClaimPayment.id == LinePayment.claim_payment_id)
        .where(LinePayment.service_line_id == sl_id, ClaimPayment.reversed.is_(False),
               ClaimPayment.status_code != "22")
        .order_by(LinePayment.id.desc())).first()


def _contract(s: Session, payer_id: int, sl: ServiceLine) -> Decimal | None:
    """The line's expected allowed amount by contract (as remit_posting judges it)."""
    rates = s.scalars(select(ContractRate).where(
        ContractRate.payer_id == payer_id, ContractRate.code == sl.code,
        ContractRate.effective_from <= sl.dos)).all()
    by_mod = {r.modifier: r.allowed for r in rates
              if r.effective_to is None or r.effective_to >= sl.dos}
    rate = next((by_mod[m] for m in split_modifiers(sl.modifiers) if m in by_mod),
                by_mod.get(""))
    return None if rate is None else (rate * sl.units).quantize(CENT, ROUND_HALF_UP)


def _shortfall(s: Session, c: Claim, sl: ServiceLine) -> Decimal:
    """What the payer allowed below the contract on `sl` (0 when no longer so)."""
    lp, expected = _latest_line_payment(s, sl.id), _contract(s, c.payer_id, sl)
    if lp is None or expected is None:
        return ZERO
    allowed = lp.allowed
    if allowed is None:
        pr = s.scalar(select(func.sum(RemitAdjustment.amount)).where(
            RemitAdjustment.line_payment_id == lp.id, RemitAdjustment.group_code == "PR"))
        allowed = lp.paid + (pr or ZERO)
    return max(expected - allowed, ZERO)


@dataclass(frozen=True)
class _Dispute:
    denials: tuple[Denial, ...]
    underpaid: tuple[WorkItem, ...]
    line_ids: frozenset[int]
    amount: Decimal


def dispute(s: Session, c: Claim) -> _Dispute:
    """What an appeal of `c` disputes: its open denials and underpaid lines, and how much;
    with neither, the claim's balance still with the payer."""
    denials = _open_denials(s, c)
    under = _underpaid(s, c)
    lines = {sl.id: sl for sl in claim_lines(s, c.id)}
    short = sum((_shortfall(s, c, lines[w.source_id]) for w in under
                 if w.source_id in lines), ZERO)
    amount = sum((d.amount for d in denials), ZERO) + short
    if amount == 0:
        amount = max(payer_balances(s, [c.id]).get(c.id, ZERO), ZERO)
    ids = {d.service_line_id for d in denials if d.service_line_id} | {
        w.source_id for w in under if w.source_id}
    return _Dispute(tuple(denials), tuple(under), frozenset(ids), amount)


def _adjustment_reasons(s: Session, adjustments: Sequence[tuple[str, str]],
                        remarks: Sequence[str]) -> list[DenialReason]:
    carc, rarc = _imported(s, "carc"), _imported(s, "rarc")
    out: dict[str, str] = {}
    for group, reason in adjustments:
        if group != "PR":
            out.setdefault(f"{group}-{reason}", codes.describe_adjustment("", reason, carc))
    for r in remarks:
        if r.strip():
            out.setdefault(r.strip(), codes.describe_remark(r, rarc))
    return [DenialReason(k, v) for k, v in out.items()]


def _reasons(s: Session, c: Claim, d: _Dispute) -> tuple[DenialReason, ...]:
    """The payer's reasons in words: the open denials' codes and remarks; for an
    underpayment, the lines' adjustments and what was found short; else the last remit's."""
    if d.denials:
        return tuple(_adjustment_reasons(
            s, [(x.group_code, x.reason_code) for x in d.denials],
            [r for x in d.denials for r in x.remarks.split(",")]))
    lps = [lp for w in d.underpaid if w.source_id
           and (lp := _latest_line_payment(s, w.source_id)) is not None]
    if lps:
        adj = [(g, r) for g, r in s.execute(
            select(RemitAdjustment.group_code, RemitAdjustment.reason_code).where(
                RemitAdjustment.line_payment_id.in_([lp.id for lp in lps])))]
        found = _adjustment_reasons(s, adj, [r for lp in lps for r in lp.remarks.split(",")])
        return tuple(found + [DenialReason("Underpaid", w.detail) for w in d.underpaid])
    return tuple(_last_remit_reasons(s, c))


def _last_remit_reasons(s: Session, c: Claim) -> list[DenialReason]:
    cp = s.scalars(select(ClaimPayment).where(ClaimPayment.claim_id == c.id,
                                              ClaimPayment.reversed.is_(False))
                   .order_by(ClaimPayment.id.desc())).first()
    if cp is None:
        return []
    adj = [(g, r) for g, r in s.execute(
        select(RemitAdjustment.group_code, RemitAdjustment.reason_code)
        .where(RemitAdjustment.claim_payment_id == cp.id).order_by(RemitAdjustment.id))]
    return _adjustment_reasons(s, adj, cp.remarks.split(","))


def _services(s: Session, c: Claim, line_ids: frozenset[int]) -> tuple[ServiceRow, ...]:
    lines = [sl for sl in claim_lines(s, c.id) if not line_ids or sl.id in line_ids]
    names = {code: text for code, text in s.execute(
        select(ProcedureCode.code, ProcedureCode.short_description)
        .where(ProcedureCode.code.in_([sl.code for sl in lines])))}
    return tuple(ServiceRow("-".join((sl.code, *split_modifiers(sl.modifiers))), sl.dos,
                            sl.charge, names.get(sl.code, "")) for sl in lines)


def _provider(s: Session, c: Claim, pr: Practice) -> tuple[str, str]:
    v = s.get(Provider, c.rendering_provider_id) if c.rendering_provider_id else None
    if v is None:
        return pr.name, pr.npi
    credential = f", {v.credential}" if v.credential else ""
    return f"{v.first_name} {v.last_name}{credential}", v.npi


def letter_data(s: Session, c: Claim, user: CurrentUser, today: date) -> AppealLetterData:
    """Everything a letter about `c` may say, as of `today`, signed by `user`."""
    pr, y = _practice(s), s.get(Payer, c.payer_id)
    p, cov = s.get(Patient, c.patient_id), s.get(Coverage, c.coverage_id)
    assert y is not None and p is not None and cov is not None  # foreign keys
    d = dispute(s, c)
    paid = s.scalar(select(func.sum(ClaimPayment.paid)).where(ClaimPayment.claim_id == c.id))
    provider, provider_npi = _provider(s, c, pr)
    head = letterhead(pr)
    return AppealLetterData(
        clinic_name=pr.name, clinic_address=head.address_lines, clinic_phone=head.phone,
        clinic_npi=pr.npi, clinic_tax_id=f"{pr.ein[:2]}-{pr.ein[2:]}", payer_name=y.name,
        payer_address=_address(y.address1, y.address2, y.city, y.state, y.zip), today=today,
        patient_name=_person(p), patient_dob=p.dob, member_id=cov.member_id,
        claim_number=claim_number(c), payer_claim_number=c.payer_claim_number or "not given",
        total_charge=sum((sl.charge for sl in claim_lines(s, c.id)), ZERO),
        amount_paid=paid or ZERO, amount_in_dispute=d.amount,
        denial_reasons=_reasons(s, c, d), services=_services(s, c, d.line_ids),
        provider_name=provider, provider_npi=provider_npi,
        signer_name=user.full_name or user.username, signer_title=SIGNER_TITLE)


def _appealable(s: Session, claim_id: int) -> Claim:
    c = s.get(Claim, claim_id)
    if c is None:
        raise UserError("That claim no longer exists; refresh the list.")
    if c.status not in APPEALABLE:
        raise UserError(f"Claim {claim_number(c)} is {c.status}: only a claim the payer has "
                        "decided (paid or denied) can be appealed.")
    return c


def _appeal_rows(s: Session, *where: Any) -> list[AppealRow]:
    q = (select(Appeal, Claim, WorkItem).join(Claim, Claim.id == Appeal.claim_id)
         .outerjoin(WorkItem, WorkItem.id == Appeal.work_item_id).where(*where)
         .order_by(Appeal.created_at.desc(), Appeal.id.desc()))
    return [AppealRow(a.id, a.claim_id, claim_number(c), a.template, a.title, a.text, a.amount,
                      a.work_item_id, w.state if w is not None else "",
                      w.due_on if w is not None else None, a.created_by, a.created_at)
            for a, c, w in s.execute(q)]


def _create_problems(s: Session, template_key: str, text: str,
                     title: str) -> dict[str, str]:
    p: dict[str, str] = {}
    if template_key not in all_templates(s):
        p["template_key"] = "Choose a letter template from the list."
    if not text.strip():
        p["text"] = "The letter is empty: draft it from a template first."
    if not title.strip():
        p["title"] = "Give the letter a title."
    elif len(title.strip()) > LETTER_TITLE_LIMIT:
        p["title"] = f"Use at most {LETTER_TITLE_LIMIT} characters."
    return p


# --- the service -----------------------------------------------------------------------------
class AppealService:
    """Letter templates, drafting, keeping and printing appeals, and their tracking."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    # templates
    def templates(self) -> list[TemplateRow]:
        """Every letter template: the app's (with the clinic's edits), then the clinic's."""
        self._ctx.require(Permission.WORK_FOLLOW_UP)
        with self._db.session() as s:
            return [_template_row(t) for t in all_templates(s).values()]

    def save_template(self, key: str, title: str, body: str) -> TemplateRow:
        """Save an edited or new template (admin); refused with every problem of its text
        (unknown placeholders, unclosed braces) named. Audited."""
        user = self._ctx.require(Permission.MANAGE_SETTINGS)
        key = key.strip()
        if problems := _template_problems(key, title, body):
            raise ValidationError(problems, "letter template")
        t = Template(key, title.strip(), body)
        with self._db.session() as s:
            put(s, PREFIX + key, json.dumps({"title": t.title, "body": t.body}))
            append_event(s, user, "appeal.template.save", details={"key": key})
        return _template_row(t)

    def reset_template(self, key: str) -> TemplateRow:
        """Put one of the app's templates back as it came (admin; audited)."""
        user = self._ctx.require(Permission.MANAGE_SETTINGS)
        if key not in DEFAULT_TEMPLATES:
            raise UserError("This template is the clinic's own: it has no original to go "
                            "back to. Delete it instead.")
        with self._db.session() as s:
            s.execute(delete(Setting).where(Setting.key == PREFIX + key))
            append_event(s, user, "appeal.template.reset", details={"key": key})
        return _template_row(DEFAULT_TEMPLATES[key])

    def delete_template(self, key: str) -> None:
        """Remove a template the clinic added (admin; audited). The app's own are reset."""
        user = self._ctx.require(Permission.MANAGE_SETTINGS)
        if key in DEFAULT_TEMPLATES:
            raise UserError("The app's own templates are not deleted; reset it instead.")
        with self._db.session() as s:
            if s.get(Setting, PREFIX + key) is None:
                raise UserError("That template no longer exists; refresh the list.")
            s.execute(delete(Setting).where(Setting.key == PREFIX + key))
            append_event(s, user, "appeal.template.delete", details={"key": key})

    # letters
    def draft(self, claim_id: int, template_key: str) -> tuple[str, str]:
        """(title, text) of a letter about the claim from a template, for the clerk to read
        and edit before keeping it (audited: it speaks of the patient)."""
        user = self._ctx.require(Permission.WORK_FOLLOW_UP)
        with self._db.session() as s:
            t = _template(s, template_key)
            c = _appealable(s, claim_id)
            text = fill(t.body, letter_data(s, c, user, date.today()).values())
            append_event(s, user, "appeal.draft", entity="claim", entity_id=c.id,
                         patient_id=c.patient_id, details={"template": t.key})
            return f"{t.title}, claim {claim_number(c)}"[:LETTER_TITLE_LIMIT], text

    def create(self, claim_id: int, template_key: str, text: str, title: str) -> AppealRow:
        """Keep the letter exactly as it will print, open its work item (due in 30 days),
        mark the claim's open denials appealed and close their denial and underpayment
        items (the appeals queue tracks the claim now). Audited."""
        user = self._ctx.require(Permission.WORK_FOLLOW_UP)
        with self._db.session() as s:
            if problems := _create_problems(s, template_key, text, title):
                raise ValidationError(problems, "appeal")
            c = _appealable(s, claim_id)
            d = dispute(s, c)
            a = Appeal(claim_id=c.id, template=template_key, title=title.strip(), text=text,
                       amount=d.amount, created_by=user.username)
            s.add(a)
            s.flush()
            a.work_item_id = self._track(s, user, c, a).id
            for denial in d.denials:
                denial.outcome = "appealed"
            close_items(s, user.username, "appealed; the appeals queue follows it now.",
                        WorkItem.claim_id == c.id, WorkItem.reason.in_(("denial", "underpaid")))
            append_event(s, user, "appeal.create", entity="appeal", entity_id=a.id,
                         patient_id=c.patient_id,
                         details={"claim": c.id, "template": template_key,
                                  "denials": len(d.denials)})
            s.flush()
            return _appeal_rows(s, Appeal.id == a.id)[0]

    @staticmethod
    def _track(s: Session, user: CurrentUser, c: Claim, a: Appeal) -> WorkItem:
        payer = s.get(Payer, c.payer_id)
        today = date.today()
        w = WorkItem(patient_id=c.patient_id, coverage_id=c.coverage_id, claim_id=c.id,
                     source=APPEAL, source_id=a.id, reason="appeal",
                     detail=(f"{a.title} sent to {payer.name if payer else 'the payer'} on "
                             f"{today:%m/%d/%Y}: {dollars(a.amount)} in dispute."),
                     due_on=today + timedelta(days=DUE_DAYS), next_action=NEXT_ACTION,
                     created_by=user.username)
        s.add(w)
        s.flush()
        return w

    def pdf(self, appeal_id: int) -> bytes:
        """The letter as it was kept, on the clinic's letterhead, dated the day it was
        written (audited as a print)."""
        user = self._ctx.require(Permission.WORK_FOLLOW_UP)
        with self._db.session() as s:
            a = s.get(Appeal, appeal_id)
            if a is None:
                raise UserError("That appeal no longer exists; refresh the list.")
            c = s.get(Claim, a.claim_id)
            data = appeal_letter_pdf(a.title, a.text, letterhead(_practice(s)),
                                     local_day(a.created_at))
            append_event(s, user, "appeal.print", entity="appeal", entity_id=a.id,
                         patient_id=c.patient_id if c is not None else None)
            return data

    def appeals(self, claim_id: int | None = None) -> list[AppealRow]:
        """Appeals written, newest first, for one claim or all (audited: the letters speak
        of patients)."""
        user = self._ctx.require(Permission.WORK_FOLLOW_UP)
        with self._db.session() as s:
            rows = _appeal_rows(s, *([Appeal.claim_id == claim_id] if claim_id else []))
            append_event(s, user, "appeal.list", entity="claim" if claim_id else "",
                         entity_id=claim_id or "", details={"appeals": len(rows)})
            return rows
