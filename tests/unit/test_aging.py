"""A/R aging (app.services.aging): buckets on exact day boundaries, by payer and by patient,
by date of service or of submission, drill-down to claims, CSV and the `report aging`
command."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app.errors import PermissionDenied
from app.models import LedgerEntry
from app.services import Services
from app.services.aging import BUCKETS, bucket_of, day_total_problems
from app.services.coding import LineDraft
from tests.unit.claim_fixtures import Clinic, clinic, coded_visit, cover, patient

TODAY = date.today()
AGES = (0, 30, 31, 60, 61, 90, 91, 120, 121, 400)
EXPECTED_BUCKET = (0, 0, 1, 1, 2, 2, 3, 3, 4, 4)


@pytest.mark.parametrize(("age", "bucket"), list(zip(AGES, EXPECTED_BUCKET, strict=True)))
def test_bucket_boundaries(age: int, bucket: int) -> None:
    assert bucket_of(age) == bucket


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


def visit(sv: Services, c: Clinic, n: int, age: int, *, insured: bool = True) -> int:
    pid = patient(sv, n, last=f"Aging{chr(64 + n)}")
    if insured:
        cover(sv, pid, c.payer_id)
    coded_visit(sv, pid, c, LineDraft("99213", pointers="A"),
                on=TODAY - timedelta(days=age))
    return pid


def test_balances_fall_in_their_buckets_by_payer_and_patient(admin: Services,
                                                             c: Clinic) -> None:
    for n, age in enumerate(AGES, start=1):
        visit(admin, c, n, age)
    self_pay = visit(admin, c, 20, 45, insured=False)
    report = admin.aging.report(as_of=TODAY)
    (acme,) = report.payers
    charge = acme.total / len(AGES)
    counts = [EXPECTED_BUCKET.count(i) for i in range(len(BUCKETS))]
    assert acme.id == c.payer_id
    assert acme.buckets == tuple(charge * n for n in counts)
    (who,) = report.patients
    assert (who.id, who.buckets) == (self_pay, (Decimal(0), charge, Decimal(0), Decimal(0),
                                                Decimal(0)))
    # as of 31 days ago, today's visits did not exist yet and the others are younger
    earlier = admin.aging.report(as_of=TODAY - timedelta(days=31))
    assert earlier.payers == ()  # every entry was posted today, after that day


def test_by_submission_date_and_drill_down(admin: Services, c: Clinic, tmp_path: Path) -> None:
    visit(admin, c, 1, 100)
    visit(admin, c, 2, 10)
    oldest = admin.claims.billable_encounters()[0][0]  # the visit 100 days ago
    first = admin.claims.create_primary(oldest)
    first = admin.claims.mark_ready(first.id, first.version)
    admin.submissions.export_837(tmp_path / "b.837", [first.id])
    report = admin.aging.report(as_of=TODAY, basis="submission")
    (acme,) = report.payers
    assert acme.buckets[0] == first.total  # submitted today
    assert report.unsubmitted > 0  # the other visit has no claim sent yet
    by_service = admin.aging.report(as_of=TODAY)
    assert first.lines[0].dos == TODAY - timedelta(days=100)
    rows = admin.aging.claims(c.payer_id, 3, as_of=TODAY)
    assert [r.claim_id for r in rows] == [first.id]
    assert rows[0].balance == first.total
    assert sum(by_service.payers[0].buckets) == acme.total + report.unsubmitted


def test_csv_has_a_row_per_payer_and_patient(admin: Services, c: Clinic) -> None:
    visit(admin, c, 1, 5)
    visit(admin, c, 2, 70, insured=False)
    rows = list(csv.reader(io.StringIO(admin.aging.export_csv(admin.aging.report(as_of=TODAY)))))
    assert rows[0] == ["section", "id", "name", *BUCKETS, "total"]
    assert [r[0] for r in rows[1:]] == ["payer", "patient"]
    assert rows[2][5] == rows[2][-1]  # the self-pay visit is 70 days old: 61–90


def test_front_desk_cannot_read_aging(admin: Services) -> None:
    from tests.unit.test_coding import sign_in_as

    sign_in_as(admin, "front_desk")
    with pytest.raises(PermissionDenied):
        admin.aging.report()


def test_report_aging_command_writes_csv(admin: Services, c: Clinic, cli_env: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main
    from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE

    visit(admin, c, 1, 95)
    db = str(admin.db.path)
    admin.db.close()
    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", PASSPHRASE)
    cli_env.setenv("CLINIC_CLERK_PASSWORD", ADMIN_PASSWORD)
    assert main(["--db", db, "--user", ADMIN, "report", "aging", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[1][:3] == ["payer", str(c.payer_id), "Acme Health"]
    assert Decimal(rows[1][6]) > 0 and rows[1][6] == rows[1][-1]  # 95 days: 91–120
    assert main(["--db", db, "--user", ADMIN, "report", "aging", "--as-of", "soon"]) == 1


def test_day_totals_are_the_ledger_summed_and_a_tampered_table_is_found(
        admin: Services, c: Clinic) -> None:
    """The aging reads `ledger_day_total` (kept by trigger): it must be the entries' sums,
    and the check must notice when it is not."""
    for n, age in enumerate((3, 40, 200), start=1):
        visit(admin, c, n, age)
    visit(admin, c, 9, 70, insured=False)
    with admin.db.session() as s:
        assert day_total_problems(s) == []
        entries = list(s.execute(select(LedgerEntry.payer_id, LedgerEntry.service_date,
                                        LedgerEntry.amount)))
    want: dict[int | None, list[Decimal]] = {}
    for payer, dos, amount in entries:
        want.setdefault(payer, [Decimal(0)] * len(BUCKETS))[
            bucket_of((TODAY - dos).days)] += amount
    report = admin.aging.report(as_of=TODAY)
    assert {r.id: list(r.buckets) for r in report.payers} == {
        k: v for k, v in want.items() if k is not None}
    assert list(report.patient_total) == want[None]
    with admin.db.session() as s:
        s.execute(text("UPDATE ledger_day_total SET amount = amount + 1 "
                       "WHERE payer_key = :p"), {"p": c.payer_id})
    with admin.db.session() as s:
        found = day_total_problems(s)
    assert len(found) == 3 and all(f.startswith(f"payer {c.payer_id},") for f in found)
