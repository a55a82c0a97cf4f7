"""A small grouped bar chart drawn with QPainter: a few categories, one to three series, a
legend and a value axis. Written here rather than with QtCharts because the installer leaves
QtCharts out (a large binary for the few charts the app draws)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

PALETTE = ("#1565c0", "#ef6c00", "#2e7d32")


def _nice_top(value: float) -> float:
    """The axis top: 1, 2 or 5 times a power of ten at or above `value`."""
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    for m in (1, 2, 5, 10):
        if m * step >= value:
            return float(m * step)
    return float(10 * step)


class BarChart(QWidget):
    """`set_data(categories, {series name: values})`; values are numbers or Decimals. The
    axis runs to `top` when given (100 for a rate in percent), else to a round number above
    the largest value."""

    def __init__(self, label: Callable[[float], str] = lambda v: f"{v:,.0f}",
                 parent: QWidget | None = None, *, top: float | None = None) -> None:
        super().__init__(parent)
        self._label = label
        self._top = top  # a fixed axis top (100 for percentages), else from the data
        self.categories: list[str] = []
        self.series: dict[str, list[float]] = {}
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_data(self, categories: Sequence[str],
                 series: dict[str, Sequence[Decimal | float]]) -> None:
        self.categories = list(categories)
        self.series = {k: [float(v) for v in vals] for k, vals in series.items()}
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        if not self.categories or not self.series:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Nothing to show")
            return
        top = self._top or _nice_top(max((max(v) for v in self.series.values() if v),
                                          default=0.0))
        plot = QRectF(70, 28, max(10, self.width() - 90), max(10, self.height() - 60))
        self._axis(p, plot, top)
        self._bars(p, plot, top)
        self._legend(p)
        p.end()

    def _axis(self, p: QPainter, plot: QRectF, top: float) -> None:
        p.setPen(QColor("#9e9e9e"))
        for i in range(5):
            y = plot.bottom() - plot.height() * i / 4
            p.drawLine(int(plot.left()), int(y), int(plot.right()), int(y))
            p.drawText(QRectF(0, y - 8, plot.left() - 6, 16),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       self._label(top * i / 4))

    def _bars(self, p: QPainter, plot: QRectF, top: float) -> None:
        slot = plot.width() / len(self.categories)
        width = slot * 0.7 / len(self.series)
        for c, name in enumerate(self.categories):
            x0 = plot.left() + c * slot + slot * 0.15
            for k, values in enumerate(self.series.values()):
                h = plot.height() * (values[c] / top if c < len(values) else 0)
                p.fillRect(QRectF(x0 + k * width, plot.bottom() - h, width - 2, h),
                           QColor(PALETTE[k % len(PALETTE)]))
            p.setPen(self.palette().text().color())
            p.drawText(QRectF(plot.left() + c * slot, plot.bottom() + 4, slot, 18),
                       Qt.AlignmentFlag.AlignHCenter, name)

    def _legend(self, p: QPainter) -> None:
        x = 70.0
        for k, name in enumerate(self.series):
            p.fillRect(QRectF(x, 8, 12, 12), QColor(PALETTE[k % len(PALETTE)]))
            p.setPen(self.palette().text().color())
            p.drawText(QRectF(x + 16, 4, 200, 20), Qt.AlignmentFlag.AlignVCenter, name)
            x += 30 + p.fontMetrics().horizontalAdvance(name)
