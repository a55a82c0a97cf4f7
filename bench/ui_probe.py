"""Run by bench.ui_timing in a fresh interpreter: `python -m bench.ui_probe MODE DB`.

It starts the real window path (`clinic-clerk --db DB`, passphrase from the environment,
offscreen) and prints one `BENCH {json}` line per moment of interest, stamped with
`time.time()` so the parent can measure from just before it spawned this process:

- `signin_painted`: the sign-in dialog's first paint. In MODE `signin` the dialog is then
  cancelled and the program exits.
- in MODE `main`: the user name and password (BENCH_USER, BENCH_PASSWORD) are typed and Sign in
  pressed (`signin_clicked`, then `signin_returned` when the service call has returned); then
  `main_painted` at the first paint of the MainWindow with its tabs, after which it closes.

`open_clinic_called` / `open_clinic_returned` bracket opening the clinic (key derivation,
schema check, the daily backup). Only the hooks below are added to the app; nothing of its
start-up order is changed. Output holds times and counts only.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

WATCHDOG_MS = 60_000


def emit(event: str, **extra: Any) -> None:
    print("BENCH " + json.dumps({"event": event, "t": time.time(), **extra}), flush=True)


def watch_application(ui_app: Any, watcher: Any, watchdog_ms: int) -> None:
    """Make `ui_app.application()` install `watcher` and a watchdog that ends a stuck run."""
    from PySide6.QtCore import QTimer

    original = ui_app.application

    def application() -> Any:
        qapp = original()
        if not getattr(qapp, "_bench_watched", False):
            qapp._bench_watched = True
            qapp.installEventFilter(watcher)
            watchdog = QTimer(qapp)
            watchdog.setSingleShot(True)
            watchdog.timeout.connect(lambda: (emit("watchdog"), os._exit(3)))
            watchdog.start(watchdog_ms)
        return qapp

    ui_app.application = application


def main() -> int:
    mode, db = sys.argv[1], sys.argv[2]
    emit("probe_started")
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QWidget

    import app.ui.app as ui_app
    from app.cli import main as cli_main

    class Watcher(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.signin_seen = False
            self.main_seen = False

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint and isinstance(obj, QWidget):
                window = obj.window()
                kind = type(window).__name__
                if kind == "SignInDialog" and not self.signin_seen:
                    self.signin_seen = True
                    emit("signin_painted")
                    QTimer.singleShot(0, lambda: self.after_sign_in_shown(window))
                elif kind == "MainWindow" and not self.main_seen:
                    self.main_seen = True
                    tabs = window.tab_widget.count()
                    emit("main_painted", tabs=tabs,
                         showing_tabs=window.stack.currentWidget() is window.tab_widget)
                    QTimer.singleShot(0, window.close)
            return False

        def after_sign_in_shown(self, dialog: Any) -> None:
            if mode == "signin":
                dialog.reject()
                return
            dialog.username.setText(os.environ["BENCH_USER"])
            dialog.password.setText(os.environ["BENCH_PASSWORD"])
            emit("signin_clicked")
            dialog.try_sign_in()
            emit("signin_returned", accepted=dialog.signed_in is not None)

    watch_application(ui_app, Watcher(), WATCHDOG_MS)
    opener = getattr(ui_app, "open_clinic", None)  # only for the breakdown; optional

    def open_clinic(*args: Any, **kwargs: Any) -> Any:
        emit("open_clinic_called")
        try:
            return opener(*args, **kwargs)  # type: ignore[misc]
        finally:
            emit("open_clinic_returned")

    if opener is not None:
        ui_app.open_clinic = open_clinic
    code = cli_main(["--db", db])
    emit("exited", code=code)
    return code


if __name__ == "__main__":
    sys.exit(main())
