"""Run a service call off the GUI thread (DESIGN.md §2.7).

`run_in_background(fn, on_done, on_error)` runs `fn()` in the global QThreadPool and calls
`on_done(result)` or `on_error(exc)` back on the GUI thread through queued signals. With
`progress` (a label) a cancellable QProgressDialog shows after 200 ms; cancelling only
stops waiting for the result, so use it where the work is safe to finish unseen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

_alive: set[_Job] = set()


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.signals = _Signals()
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread's presenter
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


def run_in_background(
    fn: Callable[[], Any], on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None], *, parent: QWidget | None = None,
    progress: str | None = None,
) -> None:
    job = _Job(fn)
    dialog: QProgressDialog | None = None
    if progress:
        dialog = QProgressDialog(progress, "Cancel", 0, 0, parent)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(200)
    cancelled = {"flag": False}
    if dialog:
        dialog.canceled.connect(lambda: cancelled.update(flag=True))

    def finish(callback: Callable[[Any], None], value: Any) -> None:
        _alive.discard(job)
        if dialog:
            dialog.reset()
        if not cancelled["flag"]:
            callback(value)

    job.signals.done.connect(lambda r: finish(on_done, r), Qt.ConnectionType.QueuedConnection)
    job.signals.failed.connect(lambda e: finish(on_error, e), Qt.ConnectionType.QueuedConnection)
    _alive.add(job)
    QThreadPool.globalInstance().start(job)
