"""The Admin tab: practice and directories, users and roles, audit log, settings.

Each page is its own widget in `app.ui.tabs.admin`; this tab only assembles them, shows the
pages the signed-in role may use, and re-reads a page when it is shown after a change of user.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from app.services.audit import AuditService
from app.services.backup import BackupService
from app.services.context import UserContext
from app.services.directory import DirectoryService
from app.services.permissions import Permission
from app.services.settings import SettingsService
from app.services.users import UserService
from app.ui.errors import show_error
from app.ui.tabs.admin.audit_page import AuditPage
from app.ui.tabs.admin.directory_specs import RECORD_SPECS
from app.ui.tabs.admin.practice_page import PracticePage
from app.ui.tabs.admin.records_page import RecordPage
from app.ui.tabs.admin.roles_page import RolesPage
from app.ui.tabs.admin.settings_page import SettingsPage
from app.ui.tabs.admin.users_page import UsersPage

# Which permission makes a page available; None: every signed-in user.
PAGE_NEEDS: dict[str, tuple[Permission, ...] | None] = {
    "practice": (Permission.VIEW_DIRECTORY,),
    "providers": (Permission.VIEW_DIRECTORY,),
    "facilities": (Permission.VIEW_DIRECTORY,),
    "payers": (Permission.VIEW_DIRECTORY,),
    "users": (Permission.MANAGE_USERS,),
    "roles": None,
    "audit": (Permission.VIEW_AUDIT,),
    "settings": (Permission.MANAGE_SETTINGS, Permission.BACKUP),
}


class AdminTab(QWidget):
    slug = "admin"
    title = "Admin"
    idleMinutesChanged = Signal(int)

    def __init__(self, *, ctx: UserContext, users: UserService, audit: AuditService,
                 directory: DirectoryService, settings: SettingsService, backup: BackupService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        settings_page = SettingsPage(ctx=ctx, settings=settings, backup=backup)
        settings_page.idleMinutesChanged.connect(self.idleMinutesChanged)
        # Every page has `slug`, `title` and `reload()`.
        pages: list[Any] = [
            PracticePage(ctx=ctx, directory=directory),
            *(RecordPage(spec, ctx=ctx, directory=directory) for spec in RECORD_SPECS),
            UsersPage(users=users), RolesPage(), AuditPage(ctx=ctx, audit=audit),
            settings_page,
        ]
        self.pages: dict[str, Any] = {p.slug: p for p in pages}
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for page in pages:
            self.tabs.addTab(page, page.title)
        self._stale = set(self.pages)
        self.tabs.currentChanged.connect(self._shown)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.reload()

    def is_available(self, slug: str) -> bool:
        needs = PAGE_NEEDS[slug]
        if self._ctx.user is None:
            return False
        return needs is None or any(self._ctx.can(p) for p in needs)

    def reload(self) -> None:
        """Re-read everything: show the pages this user may use, refresh the one in view
        now and the others when they are next shown."""
        for i, slug in enumerate(self.pages):
            self.tabs.setTabVisible(i, self.is_available(slug))
        self._stale = set(self.pages)
        if not self.is_available(self._current_slug()):
            first = next((i for i, s in enumerate(self.pages) if self.is_available(s)), 0)
            self.tabs.setCurrentIndex(first)
        self._shown(self.tabs.currentIndex())

    def show_page(self, slug: str) -> Any:
        """Bring a page to the front (re-read if needed) and return it."""
        self.tabs.setCurrentIndex(list(self.pages).index(slug))
        self._shown(self.tabs.currentIndex())
        return self.pages[slug]

    def _current_slug(self) -> str:
        return list(self.pages)[max(self.tabs.currentIndex(), 0)]

    def _shown(self, index: int) -> None:
        slug = list(self.pages)[index] if index >= 0 else ""
        if slug not in self._stale or not self.is_available(slug):
            return
        self._stale.discard(slug)
        try:
            self.pages[slug].reload()
        except Exception as exc:  # noqa: BLE001 - the one presenter decides how to show it
            show_error(self, exc)
