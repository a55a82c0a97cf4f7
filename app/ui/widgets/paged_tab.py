"""A main-window tab made of pages side by side (the Coding and Benefits tabs): each page is
one `PageSpec` line — a title, a factory that gets the tab's services, and who may see it.
A page the signed-in role may not see is not built."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from app.services.context import UserContext


@dataclass(frozen=True)
class PageSpec:
    title: str
    factory: Callable[[Any], QWidget]
    allowed: Callable[[UserContext], bool]


class PagedTab(QWidget):
    def __init__(self, services: Any, ctx: UserContext, pages: Sequence[PageSpec],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.pages: dict[str, Any] = {}
        for spec in pages:
            if spec.allowed(ctx):
                page = spec.factory(services)
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
