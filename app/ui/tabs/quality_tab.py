"""The Quality tab (issue 9): the clinic's quality measures evaluated over a period, with their
patient lists, trend and runs ("Measures"), and clinical registries kept from the coded
problems and by hand ("Registries"). Its pages are one line each in `PAGES`
(app.ui.widgets.paged_tab); a page the role may not use is not built."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.services.context import UserContext
from app.services.permissions import Permission
from app.ui.tabs.quality.services import QualityServices
from app.ui.widgets.paged_tab import PagedTab, PageSpec

MEASURES, REGISTRIES = "Measures", "Registries"


def _measures(sv: QualityServices) -> QWidget:
    from app.ui.tabs.quality.measures_page import MeasuresPage

    return MeasuresPage(sv)


def _registries(sv: QualityServices) -> QWidget:
    from app.ui.tabs.quality.registries_page import RegistriesPage

    return RegistriesPage(sv)


def _can_see_quality(ctx: UserContext) -> bool:
    return ctx.can(Permission.VIEW_QUALITY)


PAGES: tuple[PageSpec, ...] = (
    PageSpec(MEASURES, _measures, _can_see_quality),
    PageSpec(REGISTRIES, _registries, _can_see_quality),
)


def can_open(ctx: UserContext) -> bool:
    """Whether the signed-in role has any page of this tab."""
    return any(spec.allowed(ctx) for spec in PAGES)


class QualityTab(PagedTab):
    slug = "quality"
    title = "Quality"

    def __init__(self, *, sv: QualityServices, pages: tuple[PageSpec, ...] = PAGES,
                 parent: QWidget | None = None) -> None:
        super().__init__(sv, sv.ctx, pages, parent)
