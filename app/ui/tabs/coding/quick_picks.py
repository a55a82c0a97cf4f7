"""The encounter provider's quick picks (the superbill, `FavoriteService.list`): one click
adds the diagnosis or the procedure."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.favorites import DIAGNOSES, FavoriteRow, list_of

LIST_HEIGHT = 76  # 3–4 picks in view; more scroll
# A pick lights up under the mouse: one click adds it.
PICK_STYLE = ("QListWidget::item { padding: 1px 4px; } "
              "QListWidget::item:hover { background: #e3f2fd; }")


def pick_text(row: FavoriteRow) -> str:
    return f"{row.display_code}  {row.text}".strip()


def _list() -> QListWidget:
    w = QListWidget()
    w.setFixedHeight(LIST_HEIGHT)
    w.setTextElideMode(Qt.TextElideMode.ElideRight)
    w.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    w.setSelectionMode(QListWidget.SelectionMode.NoSelection)
    w.setCursor(Qt.CursorShape.PointingHandCursor)
    w.setStyleSheet(PICK_STYLE)
    return w


class QuickPicks(QWidget):
    """`picked` fires with the FavoriteRow clicked."""

    picked = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.diagnoses = _list()
        self.procedures = _list()
        for w in (self.diagnoses, self.procedures):
            w.itemClicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for title, w in (("Diagnoses", self.diagnoses), ("Procedures", self.procedures)):
            layout.addWidget(QLabel(title))
            layout.addWidget(w)
        self.rows: list[FavoriteRow] = []

    def set_rows(self, rows: list[FavoriteRow]) -> None:
        self.rows = list(rows)
        self.diagnoses.clear()
        self.procedures.clear()
        for row in self.rows:
            item = QListWidgetItem(pick_text(row))
            item.setToolTip(f"{row.display_code} – {row.description}"
                            + (f" ({row.label})" if row.label else "") + ": click to add.")
            item.setData(Qt.ItemDataRole.UserRole, row)
            target = self.diagnoses if list_of(row.system) == DIAGNOSES else self.procedures
            target.addItem(item)

    def _clicked(self, item: QListWidgetItem) -> None:
        self.picked.emit(item.data(Qt.ItemDataRole.UserRole))
