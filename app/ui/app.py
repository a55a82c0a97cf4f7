"""Starting the window: set up or open the clinic, sign in, show the main window.

Order (DESIGN.md §1): Qt → the clinic (first-run setup, or the passphrase from the
environment, the keyring or a dialog) → sign-in (and a forced password change) → window.
Cancelling anywhere exits cleanly with 0.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QMessageLogContext, Qt, QThreadPool, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow

from app import APP_NAME
from app.errors import Cancelled, UserError, WrongPassphrase
from app.services import Services, secrets
from app.services.backup import scheduled_backups
from app.services.clinic import open_clinic
from app.services.database import Database
from app.ui.background import run_in_background
from app.ui.dialogs.change_password_dialog import ask_new_password
from app.ui.dialogs.passphrase_dialog import PassphraseDialog
from app.ui.dialogs.setup_dialog import SetupDialog
from app.ui.dialogs.sign_in_dialog import SignInDialog
from app.ui.errors import install_excepthook, show_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenedClinic:
    db: Database
    passphrase: str
    remember: bool = False
    username: str = ""


def application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    qInstallMessageHandler(_qt_message)
    app = QApplication(sys.argv)
    app.setApplicationName(APP_NAME)
    return app


def _qt_message(mode: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    """Qt's own warnings go to the log file, not the clerk's terminal."""
    level = logging.WARNING if mode in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg) else (
        logging.DEBUG)
    log.log(level, "Qt: %s", message)


def run_window(db_path: Path) -> int:
    """Run the desktop application on `db_path`; the process exit status."""
    app = application()
    install_excepthook()
    try:
        opened = open_or_create(Path(db_path))
    except Cancelled:
        return 0
    except UserError as exc:
        show_error(None, exc)
        return 1
    return _run_signed_in(app, Path(db_path), opened)


def _run_signed_in(app: QApplication, db_path: Path, opened: OpenedClinic) -> int:
    from app.ui.main_window import MainWindow  # after the dialogs: the sign-in shows sooner

    services = Services(opened.db, opened.passphrase)
    try:
        sign_in(services, opened.username, db_path.name)
        if opened.remember and services.settings.get().allow_remember_passphrase:
            secrets.remember(db_path, opened.passphrase)
        window = MainWindow(services)
        window.show()
        _start_scheduled_backup(window, opened)
        _start_code_set_load(window, opened)
        return app.exec()
    except Cancelled:
        return 0
    finally:
        QThreadPool.globalInstance().waitForDone()
        if services.ctx.user is not None:
            services.users.sign_out("quit")
        services.db.close()


def _start_scheduled_backup(window: QMainWindow, opened: OpenedClinic) -> None:
    """The day's backup runs once the window is up, so a large clinic does not wait for it
    before signing in; the backup API copies a consistent snapshot while the clerk works."""
    run_in_background(
        lambda: scheduled_backups(opened.db, opened.passphrase, date.today()),
        on_done=lambda written: window.statusBar().showMessage(
            "Today's backup is done." if written else "", 8000),
        on_error=lambda exc: show_error(window, exc),
    )


def _start_code_set_load(window: QMainWindow, opened: OpenedClinic) -> None:
    """On a clinic's first start, the ICD-10-CM code set that ships with the app is loaded
    (a few seconds) while the clerk already works; only code look-ups wait for it."""
    from app.services.code_sets import ensure_bundled_icd10cm, has_icd10cm

    if has_icd10cm(opened.db):
        return
    window.statusBar().showMessage("Loading the ICD-10-CM code set (first start)…")
    run_in_background(
        lambda: ensure_bundled_icd10cm(opened.db),
        on_done=lambda loaded: window.statusBar().showMessage(
            "The ICD-10-CM code set is loaded." if loaded else "", 8000),
        on_error=lambda exc: show_error(window, exc),
    )


def open_or_create(db_path: Path) -> OpenedClinic:
    """The open clinic; raises `Cancelled` when the clerk cancels a dialog."""
    if not db_path.exists():
        setup = SetupDialog(db_path)
        if setup.exec() != QDialog.DialogCode.Accepted or setup.db is None:
            raise Cancelled
        return OpenedClinic(setup.db, setup.passphrase, username=setup.admin_username)
    message = ""
    known = secrets.from_environment() or secrets.remembered(db_path)
    if known:
        try:
            return OpenedClinic(_open_waiting(db_path, known), known)
        except WrongPassphrase as exc:
            message = str(exc)  # a remembered passphrase that no longer works: ask
    return _ask_passphrase(db_path, message)


def _open_waiting(db_path: Path, passphrase: str) -> Database:
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        return open_for_window(db_path, passphrase)
    finally:
        QGuiApplication.restoreOverrideCursor()


def open_for_window(db_path: Path, passphrase: str) -> Database:
    """Open the clinic; the day's backup waits until the window is up."""
    return open_clinic(db_path, passphrase, scheduled_backup=False)


def _ask_passphrase(db_path: Path, message: str) -> OpenedClinic:
    dialog = PassphraseDialog(db_path, message=message, opener=open_for_window)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.db is None:
        raise Cancelled
    return OpenedClinic(dialog.db, dialog.passphrase, remember=dialog.remember.isChecked())


def sign_in(services: Services, username: str, clinic_label: str) -> None:
    """Sign in through the dialog, then make a temporary password be changed."""
    dialog = SignInDialog(services.users, clinic_label=clinic_label, username=username)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        raise Cancelled
    if services.users.must_change_password() and not ask_new_password(
            None, services.users, forced=True):
        services.users.sign_out("password not changed")
        raise Cancelled
