"""The application shell against real services: idle lock, lock screen, switching user,
first-run setup, sign-in, passphrase, DEMO badge, crash report, screenshots."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QLineEdit, QMessageBox, QVBoxLayout, QWidget

from app.services import Services
from app.services.audit import AuditFilter
from app.services.clinic import open_clinic
from app.services.demo import DEMO_PASSPHRASE, DEMO_PASSWORD, create_demo
from app.services.permissions import Permission
from app.services.users import BAD_SIGN_IN
from app.ui import app as ui_app
from app.ui import errors as ui_errors
from app.ui import main_window as mw
from app.ui.dialogs.change_password_dialog import ChangePasswordDialog
from app.ui.dialogs.passphrase_dialog import PassphraseDialog
from app.ui.dialogs.setup_dialog import SetupDialog
from app.ui.dialogs.sign_in_dialog import SignInDialog
from app.ui.screenshot import save_screenshots
from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE, add_user

IDLE_MS = 250


class StandInTab(QWidget):
    """A test-only tab with one text field, to see typed text survive a lock."""

    slug = "admin"
    title = "Admin"
    idleMinutesChanged = Signal(int)

    def __init__(self, *, ctx: object, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = QLineEdit()
        QVBoxLayout(self).addWidget(self.note)

    def reload(self) -> None:
        self.note.clear()


STAND_IN = mw.TabSpec("admin", "Admin", lambda sv, parent: StandInTab(ctx=sv.ctx, parent=parent),
                      lambda ctx: ctx.can(Permission.MANAGE_USERS))


@pytest.fixture
def window(qtbot, admin: Services) -> mw.MainWindow:
    w = mw.MainWindow(admin, tabs=[STAND_IN], idle_ms=IDLE_MS)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def _tab(w: mw.MainWindow) -> StandInTab:
    tab = w.tabs_by_slug["admin"]
    assert isinstance(tab, StandInTab)
    return tab


def _actions(sv: Services, n: int = 6) -> list[tuple[str, str]]:
    return [(r.username, r.action) for r in sv.audit.page(AuditFilter(), 0, n)]


def _unlock(qtbot, w: mw.MainWindow, password: str) -> None:
    w.lock_screen.password.setText(password)
    qtbot.mouseClick(w.lock_screen.submit_button, Qt.MouseButton.LeftButton)


# --- idle lock and the lock screen ------------------------------------------------------------
def test_idle_lock_keeps_typed_text(qtbot, window: mw.MainWindow, admin: Services) -> None:
    tab = _tab(window)
    qtbot.keyClicks(tab.note, "half-typed note")
    qtbot.waitUntil(window.is_locked, timeout=5000)
    assert window.stack.currentWidget() is window.lock_screen
    assert not tab.isVisible()
    assert "half-typed note" not in window.lock_screen.who.text()
    assert (ADMIN, "session.locked") in _actions(admin)
    _unlock(qtbot, window, ADMIN_PASSWORD)
    assert not window.is_locked()
    assert window.tabs_by_slug["admin"] is tab
    assert tab.note.text() == "half-typed note"
    assert tab.isVisible()


def test_input_postpones_idle_lock(qtbot, window: mw.MainWindow) -> None:
    note = _tab(window).note
    for _ in range(6):
        qtbot.keyClicks(note, "x")
        qtbot.wait(IDLE_MS // 3)
    assert not window.is_locked()
    qtbot.waitUntil(window.is_locked, timeout=5000)


def test_wrong_password_keeps_it_locked(qtbot, window: mw.MainWindow, admin: Services) -> None:
    window.lock()
    _unlock(qtbot, window, "not the password")
    assert window.is_locked()
    assert window.lock_screen.message.isVisible()
    assert window.lock_screen.message.text() == "The password is not right. Try again."
    assert window.lock_screen.password.text() == ""
    assert admin.ctx.user is not None and admin.ctx.user.username == ADMIN
    assert (ADMIN, "session.unlock_failed") in _actions(admin)


def test_switch_user_on_lock_screen(qtbot, monkeypatch, window: mw.MainWindow,
                                    admin: Services) -> None:
    pw = add_user(admin, "fran", "front_desk")
    asked: list[bool] = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(True) or QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(mw, "ask_new_password", lambda *a, **k: True)
    qtbot.keyClicks(_tab(window).note, "admin's unsaved words")
    window.lock()
    qtbot.mouseClick(window.lock_screen.switch_button, Qt.MouseButton.LeftButton)
    assert asked == [True]
    assert admin.ctx.user is None
    assert window.tab_widget.count() == 0
    window.lock_screen.username.setText("fran")
    _unlock(qtbot, window, pw)
    assert admin.ctx.user is not None and admin.ctx.user.username == "fran"
    assert not window.is_locked()
    assert "admin" not in window.tabs_by_slug  # a front desk role gets no admin tab
    assert "Fran" in window.user_label.text() and "Front desk" in window.user_label.text()
    other = Services(admin.db, PASSPHRASE)
    other.users.sign_in(ADMIN, ADMIN_PASSWORD)
    trail = _actions(other, 8)
    assert trail.index(("fran", "sign_in")) < trail.index((ADMIN, "sign_out"))


def test_switch_user_declined_keeps_session(qtbot, monkeypatch, window: mw.MainWindow,
                                            admin: Services) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    qtbot.keyClicks(_tab(window).note, "keep me")
    window.lock()
    qtbot.mouseClick(window.lock_screen.switch_button, Qt.MouseButton.LeftButton)
    assert admin.ctx.user is not None
    _unlock(qtbot, window, ADMIN_PASSWORD)
    assert _tab(window).note.text() == "keep me"


def test_sign_out_menu_discards_tabs(qtbot, monkeypatch, window: mw.MainWindow,
                                     admin: Services) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.sign_out_action.trigger()
    assert admin.ctx.user is None
    assert window.tab_widget.count() == 0 and window.tabs_by_slug == {}
    assert window.is_locked() and window.lock_screen.is_signed_out_mode
    assert window.user_label.text() == "Nobody signed in"
    window.lock_screen.username.setText(ADMIN)
    _unlock(qtbot, window, ADMIN_PASSWORD)
    assert _tab(window).note.text() == ""
    assert [a for _u, a in _actions(admin, 2)] == ["sign_in", "sign_out"]


def test_status_bar_and_roles(qtbot, window: mw.MainWindow) -> None:
    assert "Alex Admin" in window.user_label.text()
    assert "Administrator" in window.user_label.text()
    assert window.clinic_label.text() == "Clinic: Test Family Practice"
    assert not window.demo_badge.isVisible()
    assert window.tab_widget.tabText(0) == "Admin"


def test_idle_minutes_signal_changes_the_clock(qtbot, admin: Services) -> None:
    w = mw.MainWindow(admin, tabs=[STAND_IN])
    qtbot.addWidget(w)
    assert w.idle.interval_ms == 10 * 60_000
    _tab(w).idleMinutesChanged.emit(3)
    assert w.idle.interval_ms == 3 * 60_000


def test_demo_badge_on_demo_clinic(qtbot, monkeypatch, tmp_path: Path) -> None:
    for var in ("CLINIC_CLERK_PASSPHRASE", "CLINIC_CLERK_USER", "CLINIC_CLERK_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "demo.ccdb"
    create_demo(path, patients=20)
    sv = Services(open_clinic(path, DEMO_PASSPHRASE), DEMO_PASSPHRASE)
    try:
        sv.users.sign_in("admin", DEMO_PASSWORD)
        w = mw.MainWindow(sv, tabs=[STAND_IN], idle_ms=0)
        qtbot.addWidget(w)
        w.show()
        assert w.demo_badge.isVisible() and w.demo_badge.text() == "DEMO"
        assert "DEMO" in w.windowTitle()
        w.close()
    finally:
        sv.db.close()


# --- dialogs ---------------------------------------------------------------------------------
GOOD_SETUP = {
    "passphrase": "a brand new clinic passphrase", "passphrase_again": "a brand new clinic "
    "passphrase", "practice name": "Riverside Clinic", "practice npi": "1234567893",
    "practice ein": "12-3456789", "practice taxonomy": "207Q00000X",
    "practice address1": "5 River Rd", "practice city": "Springfield", "practice state": "IL",
    "practice zip": "62701-1234", "practice phone": "217-555-0100", "admin_username": "boss",
    "admin_full_name": "Bea Boss", "admin_password": "a long admin pw", "admin_password_again":
    "a long admin pw",
}


def test_setup_dialog_bad_npi_then_good(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "new" / "clinic.ccdb"
    dlg = SetupDialog(path)
    qtbot.addWidget(dlg)
    dlg.show()
    assert not dlg.remember.isEnabled()  # the null keyring is not usable
    for key, value in {**GOOD_SETUP, "practice npi": "1234567890"}.items():
        dlg.set_text(key, value)
    qtbot.mouseClick(dlg.create_button, Qt.MouseButton.LeftButton)
    assert not path.exists()
    npi = dlg.fields["practice npi"]
    assert npi.problem.isVisible() and "check digit" in npi.problem.text()
    assert npi.edit.text() == "1234567890"
    assert dlg.text("practice name") == "Riverside Clinic"
    assert not dlg.fields["practice name"].problem.isVisible()
    assert dlg.result() != QDialog.DialogCode.Accepted
    dlg.set_text("practice npi", "1234567893")
    qtbot.mouseClick(dlg.create_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == QDialog.DialogCode.Accepted and dlg.db is not None
    dlg.db.close()
    sv = Services(open_clinic(path, GOOD_SETUP["passphrase"]), GOOD_SETUP["passphrase"])
    try:
        assert sv.users.sign_in("boss", "a long admin pw").full_name == "Bea Boss"
        assert sv.directory.practice().name == "Riverside Clinic"
    finally:
        sv.db.close()


def test_setup_dialog_passphrases_must_match(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "clinic.ccdb"
    dlg = SetupDialog(path)
    qtbot.addWidget(dlg)
    dlg.show()
    for key, value in {**GOOD_SETUP, "passphrase_again": "something else entirely"}.items():
        dlg.set_text(key, value)
    qtbot.mouseClick(dlg.create_button, Qt.MouseButton.LeftButton)
    assert not path.exists()
    assert dlg.fields["passphrase_again"].problem.isVisible()
    assert dlg.banner.isVisible()


def test_sign_in_dialog_wrong_then_right(qtbot, services: Services) -> None:
    dlg = SignInDialog(services.users, clinic_label="clinic.ccdb")
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.username.setText(ADMIN)
    dlg.password.setText("wrong password")
    qtbot.mouseClick(dlg.sign_in_button, Qt.MouseButton.LeftButton)
    assert dlg.message.isVisible() and dlg.message.text() == BAD_SIGN_IN
    assert services.ctx.user is None and dlg.username.text() == ADMIN
    dlg.password.setText(ADMIN_PASSWORD)
    qtbot.mouseClick(dlg.sign_in_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert services.ctx.user is not None and services.ctx.user.username == ADMIN


def test_passphrase_dialog_wrong_then_right(qtbot, services: Services, db_path: Path) -> None:
    before = db_path.read_bytes()[:4096]
    dlg = PassphraseDialog(db_path)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.passphrase_edit.setText("not the clinic passphrase")
    qtbot.mouseClick(dlg.open_button, Qt.MouseButton.LeftButton)
    assert dlg.message.isVisible() and "passphrase does not open" in dlg.message.text()
    assert dlg.passphrase_edit.text() == "" and dlg.db is None
    assert db_path.read_bytes()[:4096] == before
    dlg.passphrase_edit.setText(PASSPHRASE)
    qtbot.mouseClick(dlg.open_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == QDialog.DialogCode.Accepted and dlg.db is not None
    dlg.db.close()


def test_forced_password_change(qtbot, admin: Services) -> None:
    pw = add_user(admin, "cody", "coder")
    admin.users.sign_out()
    admin.users.sign_in("cody", pw)
    assert admin.users.must_change_password()
    dlg = ChangePasswordDialog(admin.users, forced=True)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.current.setText("wrong current pw")
    dlg.new.setText("my own new password")
    dlg.repeat.setText("my own new password")
    qtbot.mouseClick(dlg.change_button, Qt.MouseButton.LeftButton)
    assert dlg.message.isVisible() and "current password" in dlg.message.text()
    for edit, text in ((dlg.current, pw), (dlg.new, "my own new password"),
                       (dlg.repeat, "my own new password")):
        edit.setText(text)
    qtbot.mouseClick(dlg.change_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert not admin.users.must_change_password()


# --- start-up --------------------------------------------------------------------------------
def test_run_window_cancel_setup_exits_zero(qtbot, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(SetupDialog, "exec", lambda self: QDialog.DialogCode.Rejected)
    path = tmp_path / "nothing.ccdb"
    assert ui_app.run_window(path) == 0
    assert not path.exists()


def test_run_window_cancel_passphrase_exits_zero(qtbot, monkeypatch, services: Services,
                                                 db_path: Path) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.delenv("CLINIC_CLERK_PASSPHRASE", raising=False)
    monkeypatch.setattr(PassphraseDialog, "exec", lambda self: QDialog.DialogCode.Rejected)
    assert ui_app.run_window(db_path) == 0


def test_wrong_passphrase_in_environment_asks(qtbot, monkeypatch, services: Services,
                                              db_path: Path) -> None:
    monkeypatch.setenv("CLINIC_CLERK_PASSPHRASE", "a stale wrong passphrase")
    shown: list[str] = []

    def fake_exec(self: PassphraseDialog) -> QDialog.DialogCode:
        shown.append(self.message.text())
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(PassphraseDialog, "exec", fake_exec)
    with pytest.raises(ui_app.Cancelled):
        ui_app.open_or_create(db_path)
    assert len(shown) == 1 and "passphrase does not open" in shown[0]


# --- crash path and screenshots --------------------------------------------------------------
def test_crash_dialog_report_has_type_not_message(qtbot, monkeypatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(ui_errors.CrashDialog, "exec",
                        lambda self: seen.append(self.report.toPlainText()) or 0)
    try:
        raise KeyError("Patient Jane Quill, DOB 1970-01-01")
    except KeyError as exc:
        ui_errors.show_error(None, exc)
    assert len(seen) == 1
    assert "KeyError" in seen[0] and "test_shell.py" in seen[0]
    assert "Jane" not in seen[0] and "1970" not in seen[0]


def test_save_screenshots(qtbot, admin: Services, tmp_path: Path) -> None:
    paths = save_screenshots(admin, tmp_path / "shots", tabs=[STAND_IN])
    assert [p.name for p in paths] == ["admin.png", "sign-in.png"]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert admin.ctx.user is not None  # still signed in for the caller


def test_real_registry_shows_admin_tab_by_role(qtbot, monkeypatch, admin: Services) -> None:
    pytest.importorskip("app.ui.tabs.admin_tab")
    pw = add_user(admin, "cody", "coder")
    w = mw.MainWindow(admin, idle_ms=0)
    qtbot.addWidget(w)
    assert list(w.tabs_by_slug) == ["history", "benefits", "coding", "claims",
                                     "payments", "plans", "quality", "admin"]
    assert w.stack.currentWidget() is w.tab_widget
    admin.users.sign_out()
    admin.users.sign_in("cody", pw)
    monkeypatch.setattr(mw, "ask_new_password", lambda *a, **k: True)
    coder = mw.MainWindow(admin, idle_ms=0)
    qtbot.addWidget(coder)
    assert list(coder.tabs_by_slug) == ["history", "benefits", "coding", "payments",
                                         "quality", "admin"]
    tab = coder.tabs_by_slug["admin"]
    assert tab.is_available("payers") and tab.is_available("roles")
    assert not tab.is_available("users") and not tab.is_available("audit")


def test_forced_change_refused_in_window_signs_out(qtbot, monkeypatch, admin: Services) -> None:
    pw = add_user(admin, "cody", "coder")
    admin.users.sign_out()
    admin.users.sign_in("cody", pw)
    monkeypatch.setattr(mw, "ask_new_password", lambda *a, **k: False)
    w = mw.MainWindow(admin, tabs=[STAND_IN], idle_ms=0)
    qtbot.addWidget(w)
    assert admin.ctx.user is None
    assert w.is_locked() and w.lock_screen.is_signed_out_mode
    assert not w.lock_action.isEnabled()


def test_run_window_happy_path(qtbot, monkeypatch, services: Services, db_path: Path) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setenv("CLINIC_CLERK_PASSPHRASE", PASSPHRASE)
    seen: dict[str, object] = {}

    def sign_in_exec(self: SignInDialog) -> QDialog.DialogCode:
        self.username.setText(ADMIN)
        self.password.setText(ADMIN_PASSWORD)
        self.try_sign_in()
        return QDialog.DialogCode(self.result())

    def app_exec(*_a: object) -> int:
        window = ui_app.QApplication.activeWindow() or next(
            w for w in ui_app.QApplication.topLevelWidgets() if isinstance(w, mw.MainWindow))
        seen["title"] = window.windowTitle()
        window.close()
        return 0

    monkeypatch.setattr(SignInDialog, "exec", sign_in_exec)
    monkeypatch.setattr(ui_app.QApplication, "exec", app_exec)
    monkeypatch.setattr(mw, "TABS", (STAND_IN,))
    assert ui_app.run_window(db_path) == 0
    assert seen["title"] == "ClinicClerk — Test Family Practice"
    services.users.sign_in(ADMIN, ADMIN_PASSWORD)
    trail = [a for _u, a in _actions(services, 5)]
    # The day's backup and, on a clinic's first start, the load of the bundled ICD-10-CM run
    # in the background once the window is up, so they may land on either side of the
    # sign-out that closing the window makes.
    assert "backup.scheduled" in trail and "code_set.load" in trail
    background = ("backup.scheduled", "code_set.load")
    assert [a for a in trail if a not in background] == ["sign_in", "sign_out", "sign_in"]
    assert list((db_path.parent / f"{db_path.stem}-backups").glob("daily-*.ccdb"))
