"""The Coding tab: its pages side by side in a QTabWidget. "Encounters" (the work queue and
coding an encounter) comes first; other pages are one line each in `PAGES`: a title, a
factory that gets the tab's services, and who may see the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

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


@dataclass(frozen=True)
class CodingServices(coding_panel.PanelServices):
    """Every service a Coding page may use; a page takes what it needs from here."""

    fees: FeeService
    ncci: NcciService


@dataclass(frozen=True)
class PageSpec:
    title: str
    factory: Callable[[CodingServices], QWidget]
    allowed: Callable[[UserContext], bool]


def _encounters(sv: CodingServices) -> QWidget:
    from app.ui.tabs.coding.encounter_page import EncounterPage

    return EncounterPage(sv)


def _can_see_patients(ctx: UserContext) -> bool:
    return ctx.can(Permission.VIEW_PATIENTS)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("Encounters", _encounters, _can_see_patients),
)


class CodingTab(QWidget):
    slug = "coding"
    title = "Coding"

    def __init__(self, *, ctx: UserContext, coding: CodingService, code_sets: CodeSetService,
                 procedure_codes: ProcedureCodeService, favorites: FavoriteService,
                 ledger: LedgerService, directory: DirectoryService, fees: FeeService,
                 ncci: NcciService, pages: tuple[PageSpec, ...] = PAGES,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        sv = CodingServices(ctx, coding, code_sets, procedure_codes, favorites, ledger,
                            directory, fees, ncci)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.pages: dict[str, Any] = {}
        for spec in pages:
            if spec.allowed(ctx):
                page = spec.factory(sv)
                self.pages[spec.title] = page
                self.tabs.addTab(page, spec.title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def page(self, title: str) -> Any:
        """A page by its title, brought to the front."""
        page = self.pages[title]
        self.tabs.setCurrentWidget(page)
        return page

    def prepare_screenshot(self) -> None:
        page = self.tabs.currentWidget()
        prepare = getattr(page, "prepare_screenshot", None)
        if prepare is not None:
            prepare()
