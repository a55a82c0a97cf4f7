"""Admin › Roles: the one role table of app.services.permissions, shown as it is (read-only)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QHeaderView,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.permissions import PERMISSION_LABELS, ROLE_LABELS, ROLE_PERMISSIONS, Permission
from app.ui.widgets.form import heading, note

CHECK = "✓"


class RolesPage(QWidget):
    """Permissions as rows, roles as columns, a check mark where the role may."""

    slug = "roles"
    title = "Roles"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.roles = list(ROLE_LABELS)
        self.permissions = list(Permission)
        self.table = QTableWidget(len(self.permissions), len(self.roles))
        self._fill()
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Roles"))
        layout.addWidget(note(
            "What each role may do. The programme enforces this table in every action; "
            "change a person's role on the Users page."))
        layout.addWidget(self.table)
        layout.addStretch(1)

    def _fill(self) -> None:
        t = self.table
        t.setHorizontalHeaderLabels([ROLE_LABELS[r] for r in self.roles])
        t.setVerticalHeaderLabels([PERMISSION_LABELS.get(p, p.value) for p in self.permissions])
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        t.horizontalHeader().setDefaultSectionSize(120)
        t.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        t.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        t.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        for r, permission in enumerate(self.permissions):
            for c, role in enumerate(self.roles):
                allowed = permission in ROLE_PERMISSIONS[role]
                item = QTableWidgetItem(CHECK if allowed else "")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setToolTip(f"{ROLE_LABELS[role]}: {'may' if allowed else 'may not'}")
                t.setItem(r, c, item)

    def reload(self) -> None:
        """The table is fixed in code; nothing to re-read."""

    def allowed(self, permission: Permission, role: str) -> bool:
        """What the page shows for one cell (for tests and screen readers)."""
        r = self.permissions.index(permission)
        c = [x.value for x in self.roles].index(role)
        item = self.table.item(r, c)
        return item is not None and item.text() == CHECK
