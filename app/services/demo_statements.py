"""The demo clinic's patient statements: a few accounts chased since four months back (a
statement a month, the last a final notice five weeks ago), some of them handed to a
collection agency, two accounts on hold, then one standard statement run on the demo's day,
after its remittances moved coinsurance and deductibles to the patients. The clerk left the
remaining final-notice accounts out of today's run, so they are collections candidates. The
statement history, its PDFs, the accounts left out (credits, small balances, holds) and the
Collections page all have something to show."""

from __future__ import annotations

from datetime import date, timedelta

from app.errors import UserError
from app.services import Services
from app.services.database import Database
from app.services.statements import StatementService


def add_demo_statements(db: Database, passphrase: str, admin: str, password: str, *,
                        today: date) -> int:
    """Signed in as the demo's admin: a standard statement run dated `today`; returns how
    many statements it printed (none when no account owes enough)."""
    sv = Services(db, passphrase)
    sv.users.sign_in(admin, password)
    st = sv.statements  # with the plans: an account on a plan is no dunning candidate
    try:
        waiting = _chase(st, today)
        return st.run(today, exclude=waiting).accounts
    except UserError:
        return 0  # a demo too small to owe anything still opens
    finally:
        sv.users.sign_out()


CHASED = 12  # accounts sent a statement a month since four months back
SENT = 4  # of them, handed to the agency
AGENCY = "Brookhaven Recovery Services"


def _chase(st: StatementService, today: date) -> list[int]:
    """Four monthly statements to a few accounts (the last a final notice 35 days ago); some
    sent to collections, two other accounts put on hold. Returns the chased accounts still
    waiting for the clerk's decision (left out of today's run)."""
    first = today - timedelta(days=125)
    owing = [a for a in st.preview(first).accounts if not a.on_plan]
    chased = [a.patient_id for a in owing[:CHASED]]
    if len(chased) < CHASED:
        return []
    for k in range(4):
        st.run(first + timedelta(days=30 * k), patient_ids=chased)
    candidates = [c.patient_id for c in st.collections_candidates(today)]
    st.send_to_collections(candidates[:SENT], AGENCY)
    others = [a.patient_id for a in owing[CHASED:CHASED + 2]]
    if len(others) == 2:
        st.hold(others[0], "Disputes the charge for the lab work; the office is checking.",
                until=today + timedelta(days=21))
        st.hold(others[1], "Hardship review.")
    return candidates[SENT:]
