"""The automatic lock's clock (HIPAA 164.312(a)(2)(iii); ONC 170.315(d)(5)).

One application-wide event filter restarts a single-shot timer on every keyboard, mouse,
wheel or touch event; when the timer runs out `idle` is emitted and the window locks.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

MINUTE_MS = 60_000

_INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonRelease, QEvent.Type.MouseMove, QEvent.Type.Wheel,
    QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.ShortcutOverride,
})


class IdleWatcher(QObject):
    """Emits `idle` after `interval_ms` without input anywhere in the application.

    An interval of 0 or less disables the clock (screenshots, headless runs)."""

    idle = Signal()

    def __init__(self, interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle)
        self._interval = interval_ms
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    @property
    def interval_ms(self) -> int:
        return self._interval

    def set_interval_ms(self, interval_ms: int) -> None:
        self._interval = interval_ms
        if self._timer.isActive():
            self.start()

    def start(self) -> None:
        """Start (or restart) counting from now."""
        if self._interval > 0:
            self._timer.start(self._interval)
        else:
            self._timer.stop()

    def stop(self) -> None:
        self._timer.stop()

    def is_running(self) -> bool:
        return self._timer.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS and self._timer.isActive():
            self._timer.start(self._interval)
        return False

    def detach(self) -> None:
        """Stop watching input (the window is closing)."""
        self.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
