"""The main window: it only assembles tabs (DESIGN.md §2.9), shows who is signed in, and
locks itself after the clinic's idle minutes.

Tabs come from `TABS`, one line each: (slug, title, factory, who may see it). A factory gets
the `Services` and builds the tab with exactly the services it needs as keyword arguments.
A tab the signed-in role cannot use is simply not added.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from app.errors import PermissionDenied
from app.services import Services
from app.services.context import UserContext
from app.services.permissions import Permission
from app.ui.dialogs.change_password_dialog import ask_new_password
from app.ui.errors import show_error
from app.ui.idle import MINUTE_MS, IdleWatcher
from app.ui.widgets.lock_screen import LockScreen, confirm_discard

TabFactory = Callable[[Services, QWidget], QWidget]


@dataclass(frozen=True)
class TabSpec:
    slug: str
    title: str
    factory: TabFactory
    allowed: Callable[[UserContext], bool]


def _admin_tab(sv: Services, parent: QWidget) -> QWidget:
    from app.ui.tabs.admin_tab import AdminTab  # imported when first shown: faster start

    return AdminTab(ctx=sv.ctx, users=sv.users, audit=sv.audit, directory=sv.directory,
                    settings=sv.settings, backup=sv.backup, parent=parent)


def _history_tab(sv: Services, parent: QWidget) -> QWidget:
    from app.ui.tabs.history_tab import HistoryTab

    return HistoryTab(ctx=sv.ctx, patients=sv.patients, history=sv.history,
                      documents=sv.documents, summary=sv.summary,
                      patient_import=sv.patient_import, coverage=sv.coverage, fhir=sv.fhir,
                      parent=parent)


def _coding_tab(sv: Services, parent: QWidget) -> QWidget:
    from app.ui.tabs.coding_tab import CodingTab

    return CodingTab(ctx=sv.ctx, coding=sv.coding, code_sets=sv.code_sets,
                     procedure_codes=sv.procedure_codes, favorites=sv.favorites,
                     ledger=sv.ledger, directory=sv.directory, fees=sv.fees, ncci=sv.ncci,
                     parent=parent)


def _benefits_tab(sv: Services, parent: QWidget) -> QWidget:
    from app.ui.tabs.benefits_tab import BenefitsTab

    return BenefitsTab(ctx=sv.ctx, patients=sv.patients, coverage=sv.coverage,
                       eligibility=sv.eligibility, directory=sv.directory,
                       estimates=sv.estimates, eligibility_files=sv.eligibility_files,
                       parent=parent)


def _claims_tab(sv: Services, parent: QWidget) -> QWidget:
    from app.ui.tabs.claims_tab import ClaimsTab

    return ClaimsTab(ctx=sv.ctx, claims=sv.claims, submissions=sv.submissions,
                     directory=sv.directory, settings=sv.settings, patients=sv.patients,
                     coverage=sv.coverage, calls=sv.payer_calls, parent=parent)


def _payments_tab(sv: Services, parent: QWidget) -> QWidget:
    from app.ui.tabs.payments.services import PaymentsServices
    from app.ui.tabs.payments_tab import PaymentsTab

    return PaymentsTab(sv=PaymentsServices.of(sv), parent=parent)


def _can_use_payments(ctx: UserContext) -> bool:
    from app.ui.tabs.payments_tab import can_open

    return can_open(ctx)


def _plans_tab(sv: Services, parent: QWidget) -> QWidget:
    from app.ui.tabs.plans.services import PlansServices
    from app.ui.tabs.plans_tab import PlansTab

    return PlansTab(sv=PlansServices.of(sv), parent=parent)


def _can_use_plans(ctx: UserContext) -> bool:
    from app.ui.tabs.plans_tab import can_open

    return can_open(ctx)


def _quality_tab(sv: Services, parent: QWidget) -> QWidget:
    from app.ui.tabs.quality.services import QualityServices
    from app.ui.tabs.quality_tab import QualityTab

    return QualityTab(sv=QualityServices.of(sv), parent=parent)


def _can_use_quality(ctx: UserContext) -> bool:
    from app.ui.tabs.quality_tab import can_open

    return can_open(ctx)


def _can_manage_claims(ctx: UserContext) -> bool:
    return ctx.can(Permission.MANAGE_CLAIMS)


def _can_see_patients(ctx: UserContext) -> bool:
    return ctx.can(Permission.VIEW_PATIENTS)


def _can_admin(ctx: UserContext) -> bool:
    # Every role may read the directory and the role table; the tab hides the rest.
    return ctx.can(Permission.VIEW_DIRECTORY)


TABS: tuple[TabSpec, ...] = (
    TabSpec("history", "Patients", _history_tab, _can_see_patients),
    TabSpec("benefits", "Benefits", _benefits_tab, _can_see_patients),
    TabSpec("coding", "Coding", _coding_tab, _can_see_patients),
    TabSpec("claims", "Claims", _claims_tab, _can_manage_claims),
    TabSpec("payments", "Payments", _payments_tab, _can_use_payments),
    TabSpec("plans", "Payment plans", _plans_tab, _can_use_plans),
    TabSpec("quality", "Quality", _quality_tab, _can_use_quality),
    TabSpec("admin", "Admin", _admin_tab, _can_admin),
)

DEMO_STYLE = ("QLabel#demoBadge { background: #c62828; color: white; font-weight: bold; "
              "padding: 1px 8px; border-radius: 3px; }")


class MainWindow(QMainWindow):
    """`services` has a user signed in. `tabs` replaces the registry (tests); `idle_ms`
    replaces the clinic's idle minutes (tests; 0 turns the lock clock off)."""

    def __init__(self, services: Services, *, tabs: Sequence[TabSpec] | None = None,
                 idle_ms: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = services
        self._specs = tuple(TABS if tabs is None else tabs)
        self._idle_fixed = idle_ms is not None
        self._focus_before_lock: QWidget | None = None
        self._is_demo = False
        self._practice = ""
        self.tabs_by_slug: dict[str, QWidget] = {}
        self.idle = IdleWatcher(idle_ms or 0, self)
        self.idle.idle.connect(self.lock)
        self._build_pages()
        self._build_actions()
        self._build_status_bar()
        self.resize(1280, 800)
        self.start_session()

    # --- construction ------------------------------------------------------------------------
    def _build_pages(self) -> None:
        self.tab_widget = QTabWidget()
        self.tab_widget.setDocumentMode(True)
        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.lock_screen = LockScreen(users=self._sv.users, ctx=self._sv.ctx)
        self.lock_screen.unlocked.connect(self._unlocked)
        self.lock_screen.signedOut.connect(self._clear_session)
        self.lock_screen.switched.connect(self.start_session)
        self.stack = QStackedWidget()
        for page in (self.tab_widget, self.empty, self.lock_screen):
            self.stack.addWidget(page)
        self.setCentralWidget(self.stack)

    def _action(self, text: str, shortcut: QKeySequence | str, slot: Callable[[], None]
                ) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.lock_action = self._action("&Lock now", "Ctrl+L", self.lock)
        self.sign_out_action = self._action("&Sign out / switch user…", "Ctrl+Shift+L",
                                            self.sign_out)
        self.password_action = self._action("&Change my password…", "", self.change_password)
        self.quit_action = self._action("&Quit", QKeySequence.StandardKey.Quit, self.close)
        menu = self.menuBar().addMenu("&Session")
        for a in (self.lock_action, self.sign_out_action, self.password_action):
            menu.addAction(a)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        bar = self.addToolBar("Session")
        bar.setObjectName("sessionToolBar")
        bar.setMovable(False)
        bar.addAction(self.lock_action)
        bar.addAction(self.sign_out_action)

    def _build_status_bar(self) -> None:
        self.user_label = QLabel()
        self.clinic_label = QLabel()
        self.demo_badge = QLabel("DEMO")
        self.demo_badge.setObjectName("demoBadge")
        self.demo_badge.setStyleSheet(DEMO_STYLE)
        self.demo_badge.setToolTip("Synthetic demo data: no real patients.")
        for w in (self.user_label, self.clinic_label, self.demo_badge):
            w.setContentsMargins(8, 0, 8, 0)
            self.statusBar().addPermanentWidget(w)

    # --- the session -------------------------------------------------------------------------
    def start_session(self) -> None:
        """Build the tabs for whoever is signed in now (after start-up or a switch)."""
        self._clear_tabs()
        if self._sv.ctx.user is None:
            self._show_signed_out()
            return
        if self._sv.users.must_change_password() and not ask_new_password(
                self, self._sv.users, forced=True):
            self._sv.users.sign_out("password not changed")
            self._show_signed_out()
            return
        settings = self._sv.settings.get()
        if not self._idle_fixed:
            self.idle.set_interval_ms(settings.idle_lock_minutes * MINUTE_MS)
        self._is_demo = settings.is_demo
        self._refresh_status()
        self._add_tabs()
        self._show_content()
        self.idle.start()

    def _add_tabs(self) -> None:
        for spec in self._specs:
            if not spec.allowed(self._sv.ctx):
                continue
            tab = spec.factory(self._sv, self.tab_widget)
            self.tabs_by_slug[spec.slug] = tab
            self.tab_widget.addTab(tab, spec.title)
            signal = getattr(tab, "idleMinutesChanged", None)
            if signal is not None:
                signal.connect(self.set_idle_minutes)
            request = getattr(tab, "openEncounterRequested", None)
            if request is not None:
                request.connect(self.open_encounter)
            claim_request = getattr(tab, "openClaimRequested", None)
            if claim_request is not None:
                claim_request.connect(self.open_claim)

    def _clear_tabs(self) -> None:
        """Drop every tab (and whatever it held) — only when its user is gone."""
        while self.tab_widget.count():
            page = self.tab_widget.widget(0)
            self.tab_widget.removeTab(0)
            page.deleteLater()
        self.tabs_by_slug.clear()

    def _clear_session(self) -> None:
        self._clear_tabs()
        self._refresh_status()

    def _refresh_status(self) -> None:
        user = self._sv.ctx.user
        self.user_label.setText(f"Signed in: {user.full_name} ({user.role_label})" if user
                                else "Nobody signed in")
        if user is not None:
            self._practice = self._practice_name()
        practice = self._practice
        self.clinic_label.setText(f"Clinic: {practice}" if practice else "")
        self.demo_badge.setVisible(self._is_demo)
        self.setWindowTitle("ClinicClerk" + (f" — {practice}" if practice else "")
                            + (" (DEMO)" if self._is_demo else ""))

    def _practice_name(self) -> str:
        try:
            practice = self._sv.directory.practice()
        except PermissionDenied:
            return ""
        return practice.name if practice else ""

    def _show_content(self) -> None:
        self._set_session_actions(True)
        if self.tab_widget.count():
            self.stack.setCurrentWidget(self.tab_widget)
            return
        role = self._sv.ctx.user.role_label if self._sv.ctx.user else ""
        self.empty.setText(f"Your role ({role}) has no screens here. Ask an administrator.")
        self.stack.setCurrentWidget(self.empty)

    def _show_signed_out(self) -> None:
        self.idle.stop()
        self._refresh_status()
        self.lock_screen.show_signed_out()
        self.stack.setCurrentWidget(self.lock_screen)
        self._set_session_actions(False)

    def _set_session_actions(self, enabled: bool) -> None:
        for a in (self.lock_action, self.sign_out_action, self.password_action):
            a.setEnabled(enabled)

    # --- locking -------------------------------------------------------------------------------
    def is_locked(self) -> bool:
        return self.stack.currentWidget() is self.lock_screen

    def lock(self) -> None:
        """Cover the tabs (kept as they are) and ask for the same user's password."""
        if self.is_locked() or self._sv.ctx.user is None:
            return
        self._focus_before_lock = QApplication.focusWidget()
        self.idle.stop()
        self.lock_screen.show_locked()
        self.stack.setCurrentWidget(self.lock_screen)
        self._set_session_actions(False)
        try:
            self._sv.users.record_lock()
        except Exception as exc:  # noqa: BLE001 - stay locked; the presenter explains
            show_error(self, exc)

    def _unlocked(self) -> None:
        self._refresh_status()
        self._show_content()
        if self._focus_before_lock is not None and self.isAncestorOf(self._focus_before_lock):
            self._focus_before_lock.setFocus()
        self._focus_before_lock = None
        self.idle.start()

    def set_idle_minutes(self, minutes: int) -> None:
        """The Admin tab changed the setting: use it from now on."""
        if not self._idle_fixed:
            self.idle.set_interval_ms(minutes * MINUTE_MS)

    def open_encounter(self, encounter_id: int) -> None:
        """A tab asked for a visit's coding: bring the Coding tab up on it."""
        coding = self.tabs_by_slug.get("coding")
        if coding is None or "Encounters" not in getattr(coding, "pages", {}):
            QMessageBox.information(self, "Coding", "Ask a coder to code visit "
                                    f"{encounter_id} in the Coding tab.")
            return
        self.tab_widget.setCurrentWidget(coding)
        coding.page("Encounters").open_encounter(encounter_id)

    def open_claim(self, claim_id: int) -> None:
        """A tab asked for a claim: bring the Claims tab up with it open."""
        claims = self.tabs_by_slug.get("claims")
        if claims is None or "Claims" not in getattr(claims, "pages", {}):
            QMessageBox.information(self, "Claims", f"Ask a biller to open claim {claim_id}.")
            return
        self.tab_widget.setCurrentWidget(claims)
        claims.open_claim(claim_id)  # type: ignore[attr-defined]

    # --- menu actions --------------------------------------------------------------------------
    def sign_out(self) -> None:
        user = self._sv.ctx.user
        if user is None or not confirm_discard(self, user.full_name):
            return
        self._sv.users.sign_out("sign out")
        self._clear_tabs()
        self._show_signed_out()

    def change_password(self) -> None:
        if ask_new_password(self, self._sv.users, forced=False):
            self.statusBar().showMessage("Your password was changed.", 5000)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.idle.detach()
        if self._sv.ctx.user is not None:
            self._sv.users.sign_out("quit")
        super().closeEvent(event)
