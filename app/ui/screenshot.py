"""`clinic-clerk screenshot OUTDIR`: a PNG of every tab the signed-in user sees, named by the
tab's slug (`admin.png`, ...), plus the sign-in dialog, for docs and visual checks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from app.services import Services
from app.ui.app import application
from app.ui.dialogs.sign_in_dialog import SignInDialog
from app.ui.main_window import MainWindow, TabSpec

SIZE = (1280, 800)


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def _save(widget: QWidget, path: Path) -> Path:
    _settle()
    if not widget.grab().save(str(path)):
        raise OSError(f"Could not write {path}")
    return path


def save_screenshots(services: Services, outdir: Path, *,
                     tabs: Sequence[TabSpec] | None = None) -> list[Path]:
    """`services` has a user signed in; returns the PNG paths written (the user stays
    signed in, and the idle lock is off while the pictures are taken)."""
    application()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    window = MainWindow(services, tabs=tabs, idle_ms=0)
    window.resize(*SIZE)
    window.show()
    paths: list[Path] = []
    try:
        for slug, tab in window.tabs_by_slug.items():
            window.tab_widget.setCurrentWidget(tab)
            prepare = getattr(tab, "prepare_screenshot", None)
            if prepare is not None:  # e.g. open a chart so the picture shows one
                prepare()
            paths.append(_save(window, outdir / f"{slug}.png"))
    finally:
        window.idle.detach()
        window.hide()
        window.deleteLater()
    paths.append(_sign_in_picture(services, outdir))
    return paths


def _sign_in_picture(services: Services, outdir: Path) -> Path:
    dialog = SignInDialog(services.users, clinic_label="the clinic")
    dialog.show()
    try:
        return _save(dialog, outdir / "sign-in.png")
    finally:
        dialog.hide()
        dialog.deleteLater()
