"""The Payments tab: money in (835 remittances, paper EOBs, payments at the desk), the
patient ledger, and the chase for the money that did not come (work queues, payer calls,
appeals, A/R aging), and closing the day. Its pages are one line each in `PAGES`
(app.ui.widgets.paged_tab); a page the role may not use is not built."""

from __future__ import annotations

from PySide6.QtCore import QMetaMethod, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.services.context import UserContext
from app.services.permissions import Permission
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.paged_tab import PagedTab, PageSpec

DESK, EOB, REMITTANCES, LEDGER = "Desk payment", "Post EOB", "Remittances", "Ledger"
QUEUES, CALLS, AGING, DAY_CLOSE, LETTERS = ("Work queues", "Calls", "Aging", "Day close",
                                            "Appeal letters")


def _remittances(sv: PaymentsServices) -> QWidget:
    from app.ui.tabs.payments.remittances_page import RemittancesPage

    return RemittancesPage(sv)


def _aging(sv: PaymentsServices) -> QWidget:
    from app.ui.tabs.payments.aging_page import AgingPage

    return AgingPage(sv)


def _desk(sv: PaymentsServices) -> QWidget:
    from app.ui.tabs.payments.desk_page import DeskPage

    return DeskPage(sv)


def _eob(sv: PaymentsServices) -> QWidget:
    from app.ui.tabs.payments.eob_page import EobPage

    return EobPage(sv)


def _ledger(sv: PaymentsServices) -> QWidget:
    from app.ui.tabs.payments.ledger_page import LedgerPage

    return LedgerPage(sv)


def _day(sv: PaymentsServices) -> QWidget:
    from app.ui.tabs.payments.day_page import DayPage

    return DayPage(sv)


def _queues(sv: PaymentsServices) -> QWidget:
    from app.ui.tabs.payments.queues_page import QueuesPage

    return QueuesPage(sv)


def _calls(sv: PaymentsServices) -> QWidget:
    from app.ui.tabs.payments.calls_page import CallsPage

    return CallsPage(sv)


def _letters(sv: PaymentsServices) -> QWidget:
    from app.ui.tabs.payments.letters_page import LettersPage

    return LettersPage(sv)


def _can_edit_letters(ctx: UserContext) -> bool:
    return ctx.can(Permission.MANAGE_SETTINGS) and ctx.can(Permission.WORK_FOLLOW_UP)


def _can_post(ctx: UserContext) -> bool:
    return ctx.can(Permission.POST_PAYMENTS)


def _can_take(ctx: UserContext) -> bool:
    return ctx.can(Permission.TAKE_PAYMENTS)


def _can_see_ledger(ctx: UserContext) -> bool:
    return ctx.can(Permission.VIEW_LEDGER)


def _can_close(ctx: UserContext) -> bool:
    return ctx.can(Permission.CLOSE_DAY)


def _can_follow_up(ctx: UserContext) -> bool:
    return ctx.can(Permission.WORK_FOLLOW_UP)


PAGES: tuple[PageSpec, ...] = (
    PageSpec(DESK, _desk, _can_take),
    PageSpec(EOB, _eob, _can_post),
    PageSpec(REMITTANCES, _remittances, _can_post),
    PageSpec(LEDGER, _ledger, _can_see_ledger),
    PageSpec(QUEUES, _queues, _can_follow_up),
    PageSpec(CALLS, _calls, _can_follow_up),
    PageSpec(AGING, _aging, _can_follow_up),
    PageSpec(DAY_CLOSE, _day, _can_close),
    PageSpec(LETTERS, _letters, _can_edit_letters),
)


def can_open(ctx: UserContext) -> bool:
    """Whether the signed-in role has any page of this tab."""
    return any(spec.allowed(ctx) for spec in PAGES)


class PaymentsTab(PagedTab):
    slug = "payments"
    title = "Payments"
    # A claim to look at (from a drill-down or a queue): the window opens it in Claims.
    openClaimRequested = Signal(int)

    def __init__(self, *, sv: PaymentsServices, pages: tuple[PageSpec, ...] = PAGES,
                 parent: QWidget | None = None) -> None:
        super().__init__(sv, sv.ctx, pages, parent)
        for page in self.pages.values():
            signal = getattr(page, "openClaim", None)
            if signal is not None:
                signal.connect(self.open_claim)

    def open_claim(self, claim_id: int) -> None:
        """Ask the window for the claim in the Claims tab; alone, say where to go."""
        signal = QMetaMethod.fromSignal(self.openClaimRequested)
        if self.isSignalConnected(signal):
            self.openClaimRequested.emit(claim_id)
            return
        QMessageBox.information(self, "Claims", f"Open claim {claim_id} in the Claims tab.")
