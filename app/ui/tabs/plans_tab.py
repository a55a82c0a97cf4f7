"""The Payment plans tab (issue 8): every plan and where it stands ("Plans"), setting up a
new one from a patient's visit balances ("New plan"), patient statement runs ("Statements")
and the collection-agency hand-off with account holds ("Collections"). Its pages are one
line each in `PAGES` (app.ui.widgets.paged_tab); a page the role may not use is not built."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.services.context import UserContext
from app.services.permissions import Permission
from app.ui.tabs.plans.services import PlansServices
from app.ui.widgets.paged_tab import PagedTab, PageSpec

PLANS, NEW_PLAN, STATEMENTS, COLLECTIONS = "Plans", "New plan", "Statements", "Collections"


def _plans(sv: PlansServices) -> QWidget:
    from app.ui.tabs.plans.list_page import PlansListPage

    return PlansListPage(sv)


def _new_plan(sv: PlansServices) -> QWidget:
    from app.ui.tabs.plans.new_page import NewPlanPage

    return NewPlanPage(sv)


def _statements(sv: PlansServices) -> QWidget:
    from app.ui.tabs.plans.statements_page import StatementsPage

    return StatementsPage(sv)


def _collections(sv: PlansServices) -> QWidget:
    from app.ui.tabs.plans.collections_page import CollectionsPage

    return CollectionsPage(sv)


def _can_manage_plans(ctx: UserContext) -> bool:
    return ctx.can(Permission.MANAGE_PLANS)


def _can_run_statements(ctx: UserContext) -> bool:
    return ctx.can(Permission.RUN_STATEMENTS)


PAGES: tuple[PageSpec, ...] = (
    PageSpec(PLANS, _plans, _can_manage_plans),
    PageSpec(NEW_PLAN, _new_plan, _can_manage_plans),
    PageSpec(STATEMENTS, _statements, _can_run_statements),
    PageSpec(COLLECTIONS, _collections, _can_run_statements),
)


def can_open(ctx: UserContext) -> bool:
    """Whether the signed-in role has any page of this tab."""
    return any(spec.allowed(ctx) for spec in PAGES)


class PlansTab(PagedTab):
    slug = "plans"
    title = "Payment plans"

    def __init__(self, *, sv: PlansServices, pages: tuple[PageSpec, ...] = PAGES,
                 parent: QWidget | None = None) -> None:
        super().__init__(sv, sv.ctx, pages, parent)
        new, plans = self.pages.get(NEW_PLAN), self.pages.get(PLANS)
        if new is not None and plans is not None:
            new.planSaved.connect(plans.reload)
