"""The Coding tab: its pages side by side in a QTabWidget. "Encounters" (the work queue and
coding an encounter) comes first; other pages are one line each in `PAGES`: a title, a
factory that gets the tab's services, and who may see the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from app.services.code_sets import CodeSetService
from app.services.coding import CodingService
from app.services.context import UserContext
from app.services.directory import DirectoryService
from app.services.favorites import FavoriteService
from app.services.fees import FeeService
from app.services.ledger import LedgerService
from app.services.ncci import NcciService
from app.services.permissions import Permission
from app.services.procedure_codes import ProcedureCodeService
from app.ui.tabs.coding import coding_panel
from app.ui.widgets.paged_tab import PagedTab, PageSpec


@dataclass(frozen=True)
class CodingServices(coding_panel.PanelServices):
    """Every service a Coding page may use; a page takes what it needs from here."""

    fees: FeeService
    ncci: NcciService


def _encounters(sv: CodingServices) -> QWidget:
    from app.ui.tabs.coding.encounter_page import EncounterPage

    return EncounterPage(sv)


def _can_see_patients(ctx: UserContext) -> bool:
    return ctx.can(Permission.VIEW_PATIENTS)


def _lookup(sv: CodingServices) -> QWidget:
    from app.ui.tabs.coding.lookup_page import LookupPage

    return LookupPage(code_sets=sv.code_sets, procedure_codes=sv.procedure_codes)


def _code_sets(sv: CodingServices) -> QWidget:
    from app.ui.tabs.coding.code_sets_page import CodeSetsPage

    return CodeSetsPage(ctx=sv.ctx, code_sets=sv.code_sets, procedure_codes=sv.procedure_codes)


def _fees(sv: CodingServices) -> QWidget:
    from app.ui.tabs.coding.fees_page import FeesPage

    return FeesPage(ctx=sv.ctx, fees=sv.fees, ncci=sv.ncci, directory=sv.directory)


def _quick_picks(sv: CodingServices) -> QWidget:
    from app.ui.tabs.coding.favorites_page import FavoritesPage

    return FavoritesPage(ctx=sv.ctx, favorites=sv.favorites, directory=sv.directory,
                         code_sets=sv.code_sets, procedure_codes=sv.procedure_codes)


def _signed_in(ctx: UserContext) -> bool:
    return ctx.user is not None


PAGES: tuple[PageSpec, ...] = (
    PageSpec("Encounters", _encounters, _can_see_patients),
    PageSpec("Code look-up", _lookup, _signed_in),
    PageSpec("Code sets", _code_sets, _signed_in),
    PageSpec("Fees", _fees, _signed_in),
    PageSpec("Quick picks", _quick_picks, _signed_in),
)


class CodingTab(PagedTab):
    slug = "coding"
    title = "Coding"

    def __init__(self, *, ctx: UserContext, coding: CodingService, code_sets: CodeSetService,
                 procedure_codes: ProcedureCodeService, favorites: FavoriteService,
                 ledger: LedgerService, directory: DirectoryService, fees: FeeService,
                 ncci: NcciService, pages: tuple[PageSpec, ...] = PAGES,
                 parent: QWidget | None = None) -> None:
        sv = CodingServices(ctx, coding, code_sets, procedure_codes, favorites, ledger,
                            directory, fees, ncci)
        super().__init__(sv, ctx, pages, parent)
