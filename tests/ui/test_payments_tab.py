"""The Payments tab through its widgets on a real encrypted clinic: who sees which page, an
835 imported through the match plan and posted, a check that does not balance held back
(and posted by an admin with a reason), exceptions resolved, the aging chart and its
drill-down to a claim."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtWidgets import QInputDialog

from app.formats.x12.x835 import ServicePayment
from app.services import Services
from app.ui import main_window as mw
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.tabs.payments_tab import (
    AGING,
    CALLS,
    DAY_CLOSE,
    DESK,
    EOB,
    LEDGER,
    LETTERS,
    QUEUES,
    REMITTANCES,
    PaymentsTab,
)
from tests.unit.claim_fixtures import Clinic, clinic
from tests.unit.test_coding import sign_in_as
from tests.unit.test_remittances import clp, era, sent, svc


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


def make_tab(qtbot, sv: Services) -> PaymentsTab:
    tab = PaymentsTab(sv=PaymentsServices.of(sv))
    qtbot.addWidget(tab)
    tab.resize(1300, 850)
    tab.show()
    return tab


def test_pages_follow_the_role(qtbot, admin: Services) -> None:
    assert list(make_tab(qtbot, admin).pages) == [DESK, EOB, REMITTANCES, LEDGER, QUEUES, CALLS,
                                                  AGING, DAY_CLOSE, LETTERS]
    sign_in_as(admin, "biller")
    assert list(make_tab(qtbot, admin).pages) == [DESK, EOB, REMITTANCES, LEDGER, QUEUES, CALLS,
                                                  AGING, DAY_CLOSE]
    sign_in_as(admin, "front_desk")
    assert mw._can_use_payments(admin.ctx)
    assert list(make_tab(qtbot, admin).pages) == [DESK]
    sign_in_as(admin, "coder")  # coders read the ledger (as in the Coding tab), nothing else
    assert list(make_tab(qtbot, admin).pages) == [LEDGER]


def test_an_835_is_shown_matched_then_posted(qtbot, admin: Services, c: Clinic,
                                             tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    office, lab = v.lines
    stranger = ServicePayment(qualifier="HC", code="99499", charge=Decimal("5.00"),
                              paid=Decimal("5.00"), dos_from=office.dos)
    claim = clp(v, "1", "65.00", svc(office, "60.00", ("CO", "45", str(office.charge - 80)),
                                     ("PR", "2", "20.00")), svc(lab, str(lab.charge)), stranger)
    f = tmp_path / "acme.835"
    f.write_bytes(era(replace(claim, charge=v.total + 5,
                              paid=Decimal("60.00") + lab.charge + 5)))
    tab = make_tab(qtbot, admin)
    page = tab.page(REMITTANCES)
    page.import_file(f)
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible(), timeout=10000)
    dialog = page.dialog
    assert dialog.post_button.isEnabled() and dialog.anyway_button is None
    assert dialog.table.item(0, 5).text() == str(v.id)
    assert dialog.table.item(0, 7).text() == "High"
    assert dialog.table.item(0, 8).text() == "2 of 3"
    dialog.grab().save(str(tmp_path / "plan.png"))
    dialog.accept()
    qtbot.waitUntil(lambda: "Posted acme.835" in page.result.text(), timeout=10000)
    assert "1 exception(s)" in page.result.text()
    assert page.check_table.rowCount() == 1 and page.check_table.item(0, 3).text() == "CHK100"
    assert page.exception_table.rowCount() == 1
    assert "99499" in page.exception_table.item(0, 4).text()
    page.exception_table.selectRow(0)
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(
        lambda *a, **k: ("Posted by hand to the right visit.", True)))
    page.resolve()
    assert page.exception_table.rowCount() == 0
    assert admin.claims.get(v.id).status == "paid"
    tab.grab().save(str(tmp_path / "remittances.png"))


def test_an_unbalanced_check_waits_for_an_admins_reason(qtbot, admin: Services, c: Clinic,
                                                        tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    f = tmp_path / "short.835"
    f.write_bytes(era(clp(v, "1", str(office.charge), svc(office, str(office.charge))),
                      total="1.00"))
    tab = make_tab(qtbot, admin)
    page = tab.page(REMITTANCES)
    page.import_file(f)
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible(), timeout=10000)
    dialog = page.dialog
    assert not dialog.post_button.isEnabled() and "does not balance" in dialog.problems.text()
    assert dialog.anyway_button is not None
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(
        lambda *a, **k: ("Bank deposit matches the claims; BPR typo.", True)))
    dialog.anyway_button.click()
    qtbot.waitUntil(lambda: "Posted short.835" in page.result.text(), timeout=10000)
    assert admin.claims.get(v.id).status == "paid"


def test_aging_shows_payers_and_opens_a_bucket(qtbot, admin: Services, c: Clinic,
                                               tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    tab = make_tab(qtbot, admin)
    opened: list[int] = []
    tab.openClaimRequested.connect(opened.append)
    page = tab.page(AGING)
    page.reload()  # worked out in the background
    qtbot.waitUntil(lambda: page.report is not None and not page.loading, timeout=10000)
    assert page.payer_table.item(0, 0).text() == "Acme Health"
    assert page.payer_table.item(0, 1).text() == f"{v.total:,.2f}"  # 10 days: 0–30
    assert page.payer_table.item(1, 0).text() == "All payers"
    page.open_bucket(0, 1)
    assert page.claim_table.rowCount() == 1
    page.claim_table.selectRow(0)
    page._open_claim()
    assert opened == [v.id]
    tab.grab().save(str(tmp_path / "aging.png"))


def test_follow_up_settings_on_the_admin_tab(qtbot, messages, admin: Services) -> None:
    from app.ui.tabs.admin_tab import AdminTab

    tab = AdminTab(ctx=admin.ctx, users=admin.users, audit=admin.audit,
                   directory=admin.directory, settings=admin.settings, backup=admin.backup)
    qtbot.addWidget(tab)
    page = tab.show_page("settings")
    form = page.billing_form
    assert form.editors["underpayment_tolerance"].text() == "1.00"
    form.editors["underpayment_tolerance"].setText("")
    form.editors["unpaid_after_days"].setValue(45)
    page.billing_save_button.click()
    assert "$0.00" in form.problem("underpayment_tolerance")
    assert admin.settings.billing().unpaid_after_days == 30  # nothing saved
    form.editors["underpayment_tolerance"].setText("2.50")
    page.billing_save_button.click()
    saved = admin.settings.billing()
    assert (saved.underpayment_tolerance, saved.unpaid_after_days) == (Decimal("2.50"), 45)
    assert page.billing_saved_label.text().startswith("Saved") and messages == []


def test_code_lists_are_imported_from_the_remittances_page(qtbot, admin: Services,
                                                          tmp_path: Path) -> None:
    tab = make_tab(qtbot, admin)
    page = tab.page(REMITTANCES)
    page.reload()
    assert page.code_lists.text() == "Code lists imported: CARC 0, RARC 0"
    bad = tmp_path / "carc.csv"
    bad.write_text("Code,Description\nN130,A remark code in a CARC list\n")
    page.import_code_list(bad, "carc")
    assert "N130" in page.result.text() and admin.adjustment_codes.counts()["carc"] == 0
    good = tmp_path / "rarc.csv"
    good.write_text("Code,Description\nN130,Consult plan benefit documents.\n")
    page.import_code_list(good, "rarc")
    assert page.code_lists.text() == "Code lists imported: CARC 0, RARC 1"


def test_a_claims_calls_show_in_its_editor(qtbot, admin: Services, c: Clinic,
                                           tmp_path: Path) -> None:
    from app.services.payer_calls import CallData
    from app.services.printers import PrinterCalibration
    from app.ui.tabs.claims_tab import ClaimsTab

    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    admin.payer_calls.log_call(CallData(c.payer_id, (v.id,), "Claim on file, in review.",
                                        "paid_soon", representative="Rae", reference="R-77",
                                        promised_action="Pay next run",
                                        promised_on=v.lines[0].dos.replace(year=2099)))
    tab = ClaimsTab(ctx=admin.ctx, claims=admin.claims, submissions=admin.submissions,
                    directory=admin.directory, settings=admin.settings, patients=admin.patients,
                    coverage=admin.coverage, calls=admin.payer_calls,
                    calibration=PrinterCalibration(tmp_path / "cfg"))
    qtbot.addWidget(tab)
    tab.open_claim(v.id)
    editor = tab.page("Claims").editor
    assert editor is not None and editor.calls is not None
    assert editor.tabs.tabText(3) == "Payer calls (1)"
    assert editor.calls.table.item(0, 2).text() == "R-77"
    assert "Pay next run" in editor.calls.table.item(0, 5).text()
