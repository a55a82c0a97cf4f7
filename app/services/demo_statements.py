"""The demo clinic's patient statements: one standard statement run on the demo's day, after
its remittances moved coinsurance and deductibles to the patients, so the statement history,
its PDF and the accounts it left out (credits, small balances) are there to look at."""

from __future__ import annotations

from datetime import date

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
    try:
        return StatementService(db, sv.ctx).run(today).accounts
    except UserError:
        return 0  # a demo too small to owe anything still opens
    finally:
        sv.users.sign_out()
