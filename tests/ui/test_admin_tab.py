"""The Admin tab driven through its real widgets on a real encrypted clinic."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QFileDialog, QInputDialog

from app.services import Services
from app.services.audit import AuditFilter, append_event
from app.services.permissions import PERMISSION_LABELS, ROLE_PERMISSIONS, Permission
from app.ui.table_models.audit_table_model import PAGE_SIZE, AuditTableModel
from app.ui.tabs.admin_tab import AdminTab
from tests.conftest import ADMIN, PRACTICE, add_user


def make_tab(qtbot, sv: Services) -> AdminTab:
    tab = AdminTab(ctx=sv.ctx, users=sv.users, audit=sv.audit, directory=sv.directory,
                   settings=sv.settings, backup=sv.backup)
    qtbot.addWidget(tab)
    return tab


def add_events(sv: Services, n: int, username: str = "robot",
               patient_id: int | None = None) -> None:
    with sv.db.session() as s:
        for i in range(n):
            append_event(s, None, "test.event", entity="thing", entity_id=i, username=username,
                         patient_id=patient_id)


# --- practice ---------------------------------------------------------------------------------
def test_bad_npi_shows_the_problem_and_saves_nothing(qtbot, admin: Services, messages) -> None:
    tab = make_tab(qtbot, admin)
    page = tab.show_page("practice")
    page.form.editors["npi"].setText("1234567890")  # wrong check digit
    page.form.editors["city"].setText("Shelbyville")
    page.save()
    assert "check digit" in page.form.problem("npi")
    assert page.form.problem("city") == ""
    assert page.form.editors["npi"].text() == "1234567890"  # what was typed is kept
    stored = admin.directory.practice()
    assert stored is not None and (stored.npi, stored.city) == (PRACTICE.npi, PRACTICE.city)
    assert messages == []


def test_valid_practice_edit_is_saved(qtbot, admin: Services) -> None:
    tab = make_tab(qtbot, admin)
    page = tab.show_page("practice")
    page.form.editors["city"].setText("Shelbyville")
    page.form.editors["phone"].setText("(217) 555-0199")
    page.save()
    stored = admin.directory.practice()
    assert stored is not None and (stored.city, stored.phone) == ("Shelbyville", "2175550199")
    assert page.status.text().startswith("Saved")
    assert page.form.editors["phone"].text() == "(217) 555-0199"


def test_practice_conflict_is_shown_and_form_reloaded(qtbot, admin: Services, messages) -> None:
    tab = make_tab(qtbot, admin)
    page = tab.show_page("practice")
    current = admin.directory.practice()
    assert current is not None
    admin.directory.save_practice(replace(current, city="Capital City"))
    page.form.editors["city"].setText("Shelbyville")
    page.save()
    assert messages and "Someone else changed" in messages[0][1]
    assert page.form.editors["city"].text() == "Capital City"
    assert admin.directory.practice().city == "Capital City"


# --- generic directory pages -----------------------------------------------------------------
def fill_payer(dialog, payer_id: str) -> None:
    ed = dialog.form.editors
    ed["name"].setText("Prairie Health")
    ed["payer_id"].setText(payer_id)
    ed["claim_filing_indicator"].setCurrentIndex(ed["claim_filing_indicator"].findData("CI"))
    ed["timely_filing_days"].setValue(90)
    ed["phone"].setText("800-555-0123")


def test_adding_a_payer_through_the_generic_page(qtbot, admin: Services) -> None:
    tab = make_tab(qtbot, admin)
    page = tab.show_page("payers")
    page.add()
    fill_payer(page.dialog, payer_id="")
    page.dialog.submit()
    assert "Payer ID is required." in page.dialog.form.problem("payer_id")
    assert admin.directory.payers() == []
    page.dialog.form.editors["payer_id"].setText("prh01")
    page.dialog.submit()
    [payer] = admin.directory.payers()
    assert (payer.name, payer.payer_id, payer.claim_filing_indicator) == (
        "Prairie Health", "PRH01", "CI")
    assert (payer.timely_filing_days, payer.phone, payer.active) == (90, "8005550123", True)
    assert page.table.rowCount() == 1 and page.table.item(0, 1).text() == "PRH01"


def test_editing_a_facility_keeps_its_id_and_can_deactivate(qtbot, admin: Services) -> None:
    tab = make_tab(qtbot, admin)
    page = tab.show_page("facilities")
    page.add()
    ed = page.dialog.form.editors
    for attr, text in (("name", "Main office"), ("address1", "1 Main St"), ("city", "Springfield"),
                       ("zip", "62701")):
        ed[attr].setText(text)
    ed["pos"].setCurrentIndex(ed["pos"].findData("11"))
    ed["state"].setCurrentIndex(ed["state"].findData("IL"))
    page.dialog.submit()
    [created] = admin.directory.facilities()
    page.table.selectRow(0)
    page.edit()
    page.dialog.form.editors["active"].setChecked(False)
    page.dialog.submit()
    [edited] = admin.directory.facilities()
    assert (edited.id, edited.active, edited.pos) == (created.id, False, "11")
    assert page.table.item(0, 6).text() == "No"


# --- users and roles ---------------------------------------------------------------------------
def test_creating_a_user_and_changing_the_role(qtbot, admin: Services, monkeypatch) -> None:
    tab = make_tab(qtbot, admin)
    page = tab.show_page("users")
    page.add_user()
    ed = page.dialog.form.editors
    ed["username"].setText("jsmith")
    ed["full_name"].setText("Jo Smith")
    ed["role"].setCurrentIndex(ed["role"].findData("biller"))
    ed["password"].setText("temporary pass 1")
    page.dialog.submit()
    new = next(u for u in admin.users.list_users() if u.username == "jsmith")
    assert (new.full_name, new.role, new.must_change_password) == ("Jo Smith", "biller", True)
    assert page.selected() == new
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: ("Coder", True)))
    page.change_role()
    assert next(u for u in admin.users.list_users() if u.username == "jsmith").role == "coder"


def test_user_page_shows_service_refusals(qtbot, admin: Services, messages) -> None:
    tab = make_tab(qtbot, admin)
    page = tab.show_page("users")
    page.table.selectRow([u.username for u in page.rows].index(ADMIN))
    page.toggle_active()
    assert messages and "cannot disable your own account" in messages[0][1]
    assert all(u.active for u in admin.users.list_users())


def test_roles_page_shows_every_permission(qtbot, admin: Services) -> None:
    tab = make_tab(qtbot, admin)
    page = tab.show_page("roles")
    labels = [page.table.verticalHeaderItem(r).text() for r in range(page.table.rowCount())]
    assert labels == [PERMISSION_LABELS[p] for p in Permission]
    for role, allowed in ROLE_PERMISSIONS.items():
        for p in Permission:
            assert page.allowed(p, role.value) == (p in allowed)


# --- audit log ---------------------------------------------------------------------------------
def test_audit_model_counts_all_and_fetches_lazily(admin: Services) -> None:
    add_events(admin, PAGE_SIZE * 2 + 50)
    model = AuditTableModel(admin.audit)
    model.refresh()
    assert model.total == admin.audit.count()
    assert model.rowCount() == PAGE_SIZE and model.canFetchMore()
    add_events(admin, 7, username="late")  # new events shift the offsets while scrolling
    while model.canFetchMore():
        model.fetchMore()
    seqs = [model.row(i).seq for i in range(model.rowCount())]
    assert seqs == sorted(set(seqs), reverse=True)
    assert model.rowCount() == model.total
    assert model.index(0, 2).data() in {"sign_in", "test.event"}


def test_filtering_by_user_narrows_rows(qtbot, admin: Services) -> None:
    add_events(admin, 30, username="robot")
    tab = make_tab(qtbot, admin)
    page = tab.show_page("audit")
    everyone = page.model.rowCount()
    page.user_combo.setCurrentIndex(page.user_combo.findData("robot"))
    assert page.model.rowCount() == 30 < everyone
    assert {page.model.row(i).username for i in range(30)} == {"robot"}
    assert page.count_label.text() == "30 events"
    page.action_combo.setCurrentIndex(page.action_combo.findData("sign_in"))
    assert page.model.rowCount() == 0
    page.clear_filters()
    assert page.model.rowCount() == everyone


def test_filtering_by_patient_and_date(qtbot, admin: Services) -> None:
    add_events(admin, 3, patient_id=42)
    tab = make_tab(qtbot, admin)
    page = tab.show_page("audit")
    page.patient_edit.setText("42")
    page.patient_edit.editingFinished.emit()
    assert page.model.rowCount() == 3
    assert page.model.index(0, 4).data() == "42"
    assert page.model.index(0, 3).data() == "thing #2"
    page.date_from.setDate(QDate.currentDate().addDays(1))
    assert page.model.rowCount() == 0 and page.count_label.text() == "0 events"
    page.date_from.setDate(QDate.currentDate())
    assert page.model.rowCount() == 3


def test_csv_export_writes_the_rows_and_is_audited(qtbot, admin: Services, tmp_path: Path,
                                                   messages, monkeypatch) -> None:
    out = tmp_path / "audit.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(out), "CSV files (*.csv)")))
    tab = make_tab(qtbot, admin)
    page = tab.show_page("audit")
    expected = admin.audit.count()
    page.export_button.click()
    qtbot.waitUntil(lambda: bool(messages), timeout=10_000)
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) - 1 == expected
    assert f"Wrote {expected} events" in messages[0][1]
    assert admin.audit.count(AuditFilter(action="audit.export")) == 1
    assert page.model.total == expected + 1  # the list shows the export event


def test_verify_reports_an_intact_chain(qtbot, admin: Services, messages) -> None:
    tab = make_tab(qtbot, admin)
    page = tab.show_page("audit")
    page.verify_button.click()
    qtbot.waitUntil(lambda: bool(messages), timeout=10_000)
    n = admin.audit.count()
    assert messages[0] == ("information", f"Intact: {n} events.")
    assert page.verify_label.text() == f"Chain intact: {n} events."


# --- settings ----------------------------------------------------------------------------------
def test_saving_idle_minutes_emits_the_signal(qtbot, admin: Services) -> None:
    tab = make_tab(qtbot, admin)
    page = tab.show_page("settings")
    assert page.verify_spin.value() == 30
    page.idle_spin.setValue(15)
    page.remember_check.setChecked(False)
    page.verify_spin.setValue(14)
    with qtbot.waitSignal(tab.idleMinutesChanged, timeout=1000) as signal:
        page.save_button.click()
    assert signal.args == [15]
    stored = admin.settings.get()
    assert (stored.idle_lock_minutes, stored.allow_remember_passphrase,
            stored.verify_within_days) == (15, False, 14)


def test_back_up_now_writes_a_backup(qtbot, admin: Services, tmp_path: Path, messages,
                                     monkeypatch) -> None:
    out = tmp_path / "copy.ccdb"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(out), "")))
    tab = make_tab(qtbot, admin)
    page = tab.show_page("settings")
    page.backup_button.click()
    qtbot.waitUntil(lambda: bool(messages), timeout=20_000)
    assert messages[0][0] == "information" and str(out) in messages[0][1]
    assert out.stat().st_size > 0
    assert admin.audit.count(AuditFilter(action="backup")) == 1


# --- roles see what they may use -----------------------------------------------------------------
def test_front_desk_cannot_reach_users_or_audit(qtbot, admin: Services) -> None:
    add_user(admin, "fdesk", "front_desk", "front desk pass 1")
    admin.users.sign_in("fdesk", "front desk pass 1")
    tab = make_tab(qtbot, admin)
    slugs = list(tab.pages)
    for slug in ("users", "audit", "settings"):
        assert not tab.is_available(slug)
        assert not tab.tabs.isTabVisible(slugs.index(slug))
    assert tab.tabs.isTabVisible(slugs.index("practice"))
    practice = tab.show_page("practice")
    assert not practice.save_button.isEnabled()
    assert practice.form.editors["name"].text() == PRACTICE.name
    assert not tab.show_page("payers").add_button.isEnabled()


def test_reload_after_user_change_updates_pages(qtbot, admin: Services) -> None:
    tab = make_tab(qtbot, admin)
    tab.show_page("audit")
    add_user(admin, "coder1", "coder", "coder pass 12")
    admin.users.sign_in("coder1", "coder pass 12")
    tab.reload()
    assert not tab.tabs.isTabVisible(list(tab.pages).index("audit"))
    assert tab.is_available(list(tab.pages)[tab.tabs.currentIndex()])
