"""The list of follow-up queues on the Work queues page: each queue with its open items, the
denials opened out into their categories. Choosing one emits `chosen(queue, category)`."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from app.services.followup import DENIALS, QUEUES, CategoryCount

KEY = Qt.ItemDataRole.UserRole
COUNT_WIDTH = 56
FRAME_SLACK = 24  # the frame, the scroll bar's gap and the text margins


class QueueTree(QTreeWidget):
    chosen = Signal(str, str)  # queue key, denial category ("" for the whole queue)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Queue", "Open"])
        self.setMinimumWidth(240)
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(0, self.header().ResizeMode.Stretch)
        self.header().resizeSection(1, COUNT_WIDTH)
        self._by_key: dict[tuple[str, str], QTreeWidgetItem] = {}
        self.currentItemChanged.connect(lambda item, _old: self._emit(item))

    def _emit(self, item: QTreeWidgetItem | None) -> None:
        if item is not None:
            self.chosen.emit(*item.data(0, KEY))

    def fill(self, counts: dict[str, int], categories: list[CategoryCount],
             current: tuple[str, str]) -> tuple[str, str]:
        """Every queue with its count; `current` stays chosen (its queue when the category is
        gone), without a `chosen` signal. Returns what is chosen."""
        self.blockSignals(True)
        self.clear()
        self._by_key = {}
        for key, queue in QUEUES.items():
            item = self._add(None, queue.label, counts.get(key, 0), (key, ""),
                             queue.description)
            if key == DENIALS:
                for c in categories:
                    self._add(item, c.label, c.count, (DENIALS, c.key), c.next_step)
        self.expandAll()
        self._fit()
        chosen = next(k for k in (current, (current[0], ""), (next(iter(QUEUES)), ""))
                      if k in self._by_key)
        self.setCurrentItem(self._by_key[chosen])
        self.blockSignals(False)
        return chosen

    def _add(self, parent: QTreeWidgetItem | None, label: str, count: int,
             key: tuple[str, str], tip: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([label, f"{count:,}"])
        item.setData(0, KEY, key)
        item.setToolTip(0, tip)
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if parent is None:
            self.addTopLevelItem(item)
        else:
            parent.addChild(item)
        self._by_key[key] = item
        return item

    def _fit(self) -> None:
        """Wide enough for the longest category name ("Other insurance (coordination of
        benefits)") and the counts, so no name is cut short."""
        fm, step = self.fontMetrics(), self.indentation()
        widest = max((fm.horizontalAdvance(x.text(0)) + step * (2 if x.parent() else 1)
                      for x in self._by_key.values()), default=0)
        self.setMinimumWidth(widest + COUNT_WIDTH + FRAME_SLACK)

    def item_of(self, queue: str, category: str = "") -> QTreeWidgetItem | None:
        return self._by_key.get((queue, category))

    def count_of(self, queue: str, category: str = "") -> int:
        """The open count shown beside a queue (0 when it is not listed)."""
        item = self.item_of(queue, category)
        return int(item.text(1).replace(",", "")) if item is not None else 0
