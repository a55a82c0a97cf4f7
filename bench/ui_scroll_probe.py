"""Run by bench.ui_memory in a fresh interpreter: `python -m bench.ui_scroll_probe DB`.

It starts the real window path (`clinic-clerk --db DB`, passphrase from the environment,
offscreen), signs in (BENCH_USER, BENCH_PASSWORD), and once the MainWindow has painted, shows
the Patients tab and scrolls its patient table to the bottom again and again, as a clerk
dragging the scroll bar would, until the lazily loaded model has no more rows to fetch (or
BENCH_SCROLL_LIMIT_S runs out). It prints `BENCH {json}` lines with times, row counts and
memory (peak RSS from getrusage, current RSS from /proc); never patient data.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from typing import Any

from bench.ui_probe import emit, watch_application

WATCHDOG_MS = 600_000


def rss_mib() -> float:
    """Current resident set size, from /proc (Linux); 0 where there is none."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def scroll_all(qapp: Any, window: Any) -> None:
    from app.ui.tabs.history_tab import HistoryTab

    tabs = window.tab_widget
    tab = next(tabs.widget(i) for i in range(tabs.count())
               if isinstance(tabs.widget(i), HistoryTab))
    tabs.setCurrentWidget(tab)
    qapp.processEvents()
    model, view = tab.model, tab.table
    limit = float(os.environ.get("BENCH_SCROLL_LIMIT_S", "300"))
    emit("scroll_start", rows=model.rowCount(), total=model.total, rss_mib=rss_mib(),
         peak_mib=peak_mib())
    t0 = time.perf_counter()
    scrolls = direct = 0
    while model.canFetchMore() and time.perf_counter() - t0 < limit:
        before = model.rowCount()
        view.scrollToBottom()  # the view fetches more when its scroll bar reaches the end
        qapp.processEvents()
        scrolls += 1
        if model.rowCount() == before and model.canFetchMore():
            model.fetchMore()  # in case the view did not ask (e.g. no layout pass yet)
            direct += 1
    seconds = time.perf_counter() - t0
    view.scrollToBottom()
    qapp.processEvents()
    emit("scroll_done", rows=model.rowCount(), total=model.total, seconds=seconds,
         scrolls=scrolls, direct_fetches=direct, complete=not model.canFetchMore(),
         rss_mib=rss_mib(), peak_mib=peak_mib())


def main() -> int:
    db = sys.argv[1]
    emit("probe_started")
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QWidget

    import app.ui.app as ui_app
    from app.cli import main as cli_main

    class Watcher(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.signin_seen = self.main_seen = False

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint and isinstance(obj, QWidget):
                window = obj.window()
                kind = type(window).__name__
                if kind == "SignInDialog" and not self.signin_seen:
                    self.signin_seen = True
                    QTimer.singleShot(0, lambda: self.sign_in(window))
                elif kind == "MainWindow" and not self.main_seen:
                    self.main_seen = True
                    emit("main_painted", rss_mib=rss_mib(), peak_mib=peak_mib())
                    QTimer.singleShot(0, lambda: self.scroll(window))
            return False

        def sign_in(self, dialog: Any) -> None:
            dialog.username.setText(os.environ["BENCH_USER"])
            dialog.password.setText(os.environ["BENCH_PASSWORD"])
            dialog.try_sign_in()

        def scroll(self, window: Any) -> None:
            try:
                scroll_all(ui_app.application(), window)
            finally:
                window.close()

    watch_application(ui_app, Watcher(), WATCHDOG_MS)
    code = cli_main(["--db", db])
    emit("exited", code=code, peak_mib=peak_mib())
    return code


if __name__ == "__main__":
    sys.exit(main())
