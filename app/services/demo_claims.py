"""The demo clinic's claims, made through the same services a clerk uses so every state is
real: recent visits are coded, claims built and checked; some stay draft or ready, some go out
on paper and some in an 837P batch (validated by pyx12), the clearinghouse's 999 accepts the
batch and a 277CA accepts most claims and rejects one (it lands in the rejection queue), and
one accepted claim is replaced and another voided. The batch files and the acknowledgements are
written to a temporary folder and removed; the database keeps each 837P as sent."""

from __future__ import annotations

import random
import tempfile
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from app.models import Coverage, CoverageRank, Encounter, Payer
from app.models.claims import Claim, Submission
from app.services import Services
from app.services.claims import ClaimView
from app.services.coding import CodingDraft, LineDraft
from app.services.database import Database
from app.services.demo_coding import DEMO_DIAGNOSES
from app.services.settings import EdiSettings

VISITS = 48
# (code, pointers) choices for a demo visit; the demo ships HCPCS Level II only
LINES = ((("G0439", "A"), ("G0444", "B")), (("G0439", "A"), ("G2211", "A")),
         (("G0008", "A"),), (("G0402", "AB"), ("G0442", "B")), (("J3420", "A"),),
         (("G0447", "A"), ("G2211", "A")))
PAYER_ADDRESSES = {"DEMO-MCR": ("PO Box 1001", "Harrisburg", "PA", "171051001"),
                   "DEMO-MCD": ("PO Box 2002", "Albany", "NY", "122202002"),
                   "DEMO-BLU": ("PO Box 3003", "Columbus", "OH", "432163003"),
                   "DEMO-ACM": ("PO Box 4004", "Lansing", "MI", "489094004"),
                   "DEMO-SUN": ("PO Box 5005", "Trenton", "NJ", "086505005")}


def _payers(db: Database) -> None:
    with db.session() as s:
        for y in s.scalars(select(Payer)):
            a = PAYER_ADDRESSES.get(y.payer_id)
            if a:
                y.address1, y.city, y.state, y.zip = a


def _recent_visits(db: Database, today: date, n: int) -> list[int]:
    """The latest visits of the last 60 days whose patient has a primary coverage in force
    that day (the weeks a practice is still billing)."""
    with db.session() as s:
        q = (select(Encounter.id).join(CoverageRank, CoverageRank.patient_id ==
                                       Encounter.patient_id)
             .join(Coverage, Coverage.id == CoverageRank.coverage_id)
             .where(Encounter.date >= today - timedelta(days=60), Encounter.date < today,
                    Encounter.provider_id.is_not(None), CoverageRank.rank == 1,
                    CoverageRank.valid_from <= Encounter.date,
                    (CoverageRank.valid_to.is_(None)) | (CoverageRank.valid_to >= Encounter.date),
                    Coverage.effective_from <= Encounter.date,
                    (Coverage.effective_to.is_(None)) | (Coverage.effective_to >= Encounter.date))
             .order_by(Encounter.date.desc(), Encounter.id).limit(n))
        return list(dict.fromkeys(s.scalars(q)))


def _code(sv: Services, rng: random.Random, eid: int) -> None:
    lines = rng.choice(LINES)
    dx = tuple(rng.sample(DEMO_DIAGNOSES[:4] + DEMO_DIAGNOSES[6:], 2))
    draft = CodingDraft(dx, tuple(LineDraft(code, pointers=ptr) for code, ptr in lines))
    sv.coding.save(eid, sv.coding.open(eid).version, draft)


def _ack_999(group: str) -> str:
    body = [f"AK1*HC*{group}*005010X222A1", "AK2*837*0001*005010X222A1", "IK5*A",
            "AK9*A*1*1*1"]
    return _envelope("999", "005010X231A1", "FA", body)


def _ack_277(numbers: list[str], rejected: str) -> str:
    body = ["BHT*0085*08*DEMO*20260101*0900*TH", "HL*1**20*1",
            "NM1*AY*2*DEMO CLEARINGHOUSE*****46*CLEARDEMO", "TRN*1*DEMO1",
            "DTP*050*D8*20260101", "DTP*009*D8*20260101", "HL*2*1*21*1",
            "NM1*41*2*MAPLE GROVE*****46*MAPLEDEMO", "TRN*2*DEMO1",
            "STC*A1:19:PR*20260101*WQ*0", "HL*3*2*19*1",
            "NM1*85*2*MAPLE GROVE*****XX*1234567893", "TRN*1*DEMO1"]
    for n, number in enumerate(numbers, start=4):
        stc = "A7:33:IL*20260101*U" if number == rejected else "A2:20*20260101*WQ"
        body += [f"HL*{n}*3*PT", f"TRN*2*{number}", f"STC*{stc}*0"]
        if number != rejected:
            body.append(f"REF*1K*DEMO{number}")
    return _envelope("277", "005010X214", "HN", body)


def _envelope(code: str, version: str, fid: str, body: list[str]) -> str:
    isa = ("ISA*00*          *00*          *ZZ*CLEARDEMO      *ZZ*MAPLEDEMO      *260101*0900*^*"
           "00501*000000901*0*T*:")
    segs = [isa, f"GS*{fid}*CLEARDEMO*MAPLEDEMO*20260101*0900*901*X*{version}",
            f"ST*{code}*0001*{version}", *body, f"SE*{len(body) + 2}*0001", "GE*1*901",
            "IEA*1*000000901"]
    return "~\n".join(segs) + "~\n"


def add_claims(db: Database, passphrase: str, admin: str, password: str, *, seed: int,
               today: date) -> dict[str, int]:
    """Claims in every state for the demo; returns how many claims end in each status."""
    _payers(db)
    sv = Services(db, passphrase)
    sv.users.sign_in(admin, password)
    sv.settings.set_edi(EdiSettings(submitter_id="MAPLEDEMO", contact_name="Billing Office",
                                    receiver_id="CLEARDEMO",
                                    receiver_name="Demo Clearinghouse", usage="T"))
    rng = random.Random(seed + 606)
    claims = []
    for eid in _recent_visits(db, today, VISITS):
        _code(sv, rng, eid)
        claims.append(sv.claims.create_primary(eid))
    ready = []
    for i, v in enumerate(claims):
        if i % 8 == 7:
            continue  # stays a draft
        if i % 3 == 0:
            v = sv.claims.update(v.id, v.version, replace(v.header, method="paper"))
        if not any(x.blocking for x in sv.claims.scrub(v.id)):
            ready.append(sv.claims.mark_ready(v.id, v.version))
    with tempfile.TemporaryDirectory() as folder:
        _send(sv, Path(folder), ready)
    with db.session() as s:
        counts: dict[str, int] = {}
        for st in s.scalars(select(Claim.status)):
            counts[st] = counts.get(st, 0) + 1
    sv.users.sign_out()
    return counts


def _send(sv: Services, folder: Path, ready: list[ClaimView]) -> None:
    paper = [v.id for v in ready if v.header.method == "paper"][:-2]  # two stay ready
    electronic = [v.id for v in ready if v.header.method == "electronic"][:-3]
    if paper:
        sv.submissions.print_to_file(folder / "paper.pdf", paper, "data")
    if not electronic:
        return
    sv.submissions.export_837(folder / "batch.837", electronic)
    with sv.db.session() as s:
        sub = s.scalars(select(Submission).order_by(Submission.id.desc())).first()
        assert sub is not None
        group = sub.group_control
    numbers = [str(i) for i in electronic]
    (folder / "a.999").write_text(_ack_999(group))
    sv.submissions.import_ack(folder / "a.999")
    answered = numbers[:-2]  # two wait for the payer's 277CA
    if len(answered) < 2:
        return
    (folder / "a.277").write_text(_ack_277(answered, answered[0]))
    sv.submissions.import_ack(folder / "a.277")
    accepted = sv.claims.get(int(answered[1]))
    new = sv.claims.new_version(accepted.id, "7")
    fixed = sv.claims.update(new.id, new.version, replace(new.header, note="Corrected units"))
    ready_new = sv.claims.mark_ready(fixed.id, fixed.version)
    corrections = [ready_new.id]
    if len(answered) > 2:  # a visit billed by mistake: voided
        void = sv.claims.new_version(int(answered[2]), "8")
        corrections.append(sv.claims.mark_ready(void.id, void.version).id)
    sv.submissions.export_837(folder / "corrections.837", corrections)
