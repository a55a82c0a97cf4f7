"""The statement settings dialog on a real encrypted clinic: it shows what is saved, saves
what the administrator edits (fields and dunning levels) and says so with `saved`, refuses a
bad value in red with nothing saved, adds and removes levels, refuses a biller in red, and
is grabbed to PNG."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.models.statements import REMAINDER, STANDARD
from app.services import Services
from app.services.statements import DEFAULT_DUNNING, DunningLevelData, StatementSettingsData
from app.ui.tabs.plans.statement_settings import StatementSettingsDialog, phone_digits
from app.ui.widgets.form import PROBLEM_STYLE
from tests.unit.test_coding import sign_in_as

D = Decimal
SAVED = StatementSettingsData(
    minimum_balance=D("12.50"), days_between=14, due_days=30, collections_after_days=45,
    default_kind=REMAINDER, billing_phone="5551234567",
    how_to_pay=("Online: pay.example.org", "By phone: call the billing office"),
    dunning=(DunningLevelData(0, ""), DunningLevelData(2, "Your account is past due."),
             DunningLevelData(4, "FINAL NOTICE: please pay the balance due now.")))


def open_dialog(qtbot, sv: Services) -> StatementSettingsDialog:
    dialog = StatementSettingsDialog(sv.statements)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    return dialog


def table_levels(dialog: StatementSettingsDialog) -> list[tuple[int, str]]:
    t = dialog.dunning
    return [(int(t.item(r, 0).data(Qt.ItemDataRole.EditRole)), t.item(r, 1).text())
            for r in range(t.rowCount())]


def row_labels(dialog: StatementSettingsDialog) -> list[str]:
    t = dialog.dunning
    return [t.verticalHeaderItem(r).text() for r in range(t.rowCount())]


def shown_problems(dialog: StatementSettingsDialog) -> dict[str, str]:
    return {k: label.text() for k, label in dialog.field_problems.items()
            if label.isVisible() and label.text()}


def test_the_dialog_shows_the_saved_settings(qtbot, admin: Services) -> None:
    admin.statements.save_settings(SAVED)
    dialog = open_dialog(qtbot, admin)

    assert dialog.minimum_balance.money_value() == D("12.50")
    assert dialog.minimum_balance.text() == "12.50"
    assert (dialog.days_between.value(), dialog.due_days.value(),
            dialog.collections_after_days.value()) == (14, 30, 45)
    assert dialog.default_kind.currentData() == REMAINDER
    assert dialog.billing_phone.text() == "(555) 123-4567"
    assert dialog.how_to_pay.toPlainText().splitlines() == list(SAVED.how_to_pay)
    assert table_levels(dialog) == [(x.threshold, x.message) for x in SAVED.dunning]
    assert row_labels(dialog) == ["Level 1", "Level 2", "Final notice"]
    assert dialog.ok_button.text() == "Save settings" and dialog.ok_button.isDefault()
    assert not dialog.problem.isVisible() and shown_problems(dialog) == {}
    assert dialog.settings_value() == SAVED  # reading the untouched form gives them back


def test_a_new_clinic_shows_the_defaults(qtbot, admin: Services) -> None:
    dialog = open_dialog(qtbot, admin)
    assert dialog.settings_value() == StatementSettingsData()
    assert dialog.billing_phone.text() == "" and dialog.default_kind.currentData() == STANDARD
    assert table_levels(dialog) == [(x.threshold, x.message) for x in DEFAULT_DUNNING]


def test_saving_stores_the_edits_and_emits_saved(qtbot, admin: Services) -> None:
    admin.statements.save_settings(SAVED)
    dialog = open_dialog(qtbot, admin)
    dialog.minimum_balance.setText("$1,000")
    dialog.days_between.setValue(0)
    dialog.due_days.setValue(10)
    dialog.collections_after_days.setValue(60)
    dialog.default_kind.setCurrentIndex(dialog.default_kind.findData(STANDARD))
    dialog.billing_phone.setText("(555) 987-6543")
    dialog.how_to_pay.setPlainText("  Online: pay.example.org \n\nIn person: front desk\n")
    dialog.dunning.item(1, 1).setText("  Second notice: please call us.  ")
    dialog.dunning.item(2, 0).setData(Qt.ItemDataRole.EditRole, 5)

    with qtbot.waitSignal(dialog.saved, timeout=2000) as signal:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    expected = StatementSettingsData(
        D("1000.00"), 0, 10, 60, STANDARD, "5559876543",
        ("Online: pay.example.org", "In person: front desk"),
        (DunningLevelData(0, ""), DunningLevelData(2, "Second notice: please call us."),
         DunningLevelData(5, "FINAL NOTICE: please pay the balance due now.")))
    assert admin.statements.settings() == expected
    assert signal.args == [expected]
    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()


def test_enter_in_a_field_saves(qtbot, admin: Services) -> None:
    dialog = open_dialog(qtbot, admin)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.minimum_balance.setFocus()
    dialog.minimum_balance.setText("9.99")
    with qtbot.waitSignal(dialog.saved, timeout=2000):
        qtbot.keyClick(dialog.minimum_balance, Qt.Key.Key_Return)
    assert admin.statements.settings().minimum_balance == D("9.99")


def edit_empty_final_message(dialog: StatementSettingsDialog) -> None:
    dialog.dunning.item(2, 1).setText("   ")


def edit_same_number_twice(dialog: StatementSettingsDialog) -> None:
    dialog.dunning.item(1, 0).setData(Qt.ItemDataRole.EditRole, 4)


def edit_unreadable_amount(dialog: StatementSettingsDialog) -> None:
    dialog.minimum_balance.setText("abc")


def edit_empty_amount(dialog: StatementSettingsDialog) -> None:
    dialog.minimum_balance.setText("")


def edit_short_phone(dialog: StatementSettingsDialog) -> None:
    dialog.billing_phone.setText("555-1234")


def edit_seven_ways_to_pay(dialog: StatementSettingsDialog) -> None:
    dialog.how_to_pay.setPlainText("\n".join(f"Way {n}" for n in range(7)))


@pytest.mark.parametrize(("edit", "field", "words"), [
    (edit_empty_final_message, "dunning", "final notice"),
    (edit_same_number_twice, "dunning", "its own number"),
    (edit_unreadable_amount, "minimum_balance", "not an amount"),
    (edit_empty_amount, "minimum_balance", "Enter an amount"),
    (edit_short_phone, "billing_phone", "10 digits"),
    (edit_seven_ways_to_pay, "how_to_pay", "at most 6"),
])
def test_a_bad_value_is_shown_in_red_and_nothing_is_saved(qtbot, admin: Services, edit,
                                                           field: str, words: str) -> None:
    admin.statements.save_settings(SAVED)
    dialog = open_dialog(qtbot, admin)
    edit(dialog)
    with qtbot.assertNotEmitted(dialog.saved):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    problems = shown_problems(dialog)
    assert list(problems) == [field] and words in problems[field]
    assert dialog.field_problems[field].styleSheet() == PROBLEM_STYLE
    assert dialog.problem.isVisible() and "Not saved" in dialog.problem.text()
    assert dialog.problem.styleSheet() == PROBLEM_STYLE
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert admin.statements.settings() == SAVED

    dialog.set_settings(SAVED)  # put right and saved again: the red goes away
    with qtbot.waitSignal(dialog.saved, timeout=2000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert shown_problems(dialog) == {} and not dialog.problem.isVisible()


def test_removing_and_adding_levels(qtbot, admin: Services) -> None:
    dialog = open_dialog(qtbot, admin)  # the four default levels
    dialog.dunning.selectRow(2)
    qtbot.mouseClick(dialog.remove_level_button, Qt.MouseButton.LeftButton)
    assert [t for t, _m in table_levels(dialog)] == [0, 1, 3]
    assert row_labels(dialog) == ["Level 1", "Level 2", "Final notice"]

    qtbot.mouseClick(dialog.add_level_button, Qt.MouseButton.LeftButton)
    assert table_levels(dialog)[-1] == (4, "")  # one after the highest, its message to type
    assert row_labels(dialog)[-2:] == ["Level 3", "Final notice"]
    assert dialog.dunning.currentRow() == 3
    dialog.dunning.item(3, 1).setText("Last call before collections.")

    with qtbot.waitSignal(dialog.saved, timeout=2000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert admin.statements.settings().dunning == (
        DEFAULT_DUNNING[0], DEFAULT_DUNNING[1], DEFAULT_DUNNING[3],
        DunningLevelData(4, "Last call before collections."))


def test_the_buttons_keep_one_to_ten_levels(qtbot, admin: Services) -> None:
    dialog = open_dialog(qtbot, admin)
    while dialog.remove_level_button.isEnabled():
        dialog.dunning.clearSelection()
        qtbot.mouseClick(dialog.remove_level_button, Qt.MouseButton.LeftButton)
    assert table_levels(dialog) == [(0, "")]  # the last one went each time
    while dialog.add_level_button.isEnabled():
        qtbot.mouseClick(dialog.add_level_button, Qt.MouseButton.LeftButton)
    assert [t for t, _m in table_levels(dialog)] == list(range(10))


def test_a_biller_may_look_but_not_save(qtbot, admin: Services) -> None:
    admin.statements.save_settings(SAVED)
    sign_in_as(admin, "biller")
    dialog = open_dialog(qtbot, admin)
    assert dialog.settings_value() == SAVED
    dialog.due_days.setValue(7)
    with qtbot.assertNotEmitted(dialog.saved):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.problem.isVisible() and dialog.problem.text()
    assert dialog.problem.styleSheet() == PROBLEM_STYLE
    assert shown_problems(dialog) == {} and dialog.isVisible()
    assert admin.statements.settings() == SAVED


def test_cancel_saves_nothing(qtbot, admin: Services) -> None:
    dialog = open_dialog(qtbot, admin)
    dialog.due_days.setValue(7)
    with qtbot.assertNotEmitted(dialog.saved):
        dialog.buttons.rejected.emit()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert admin.statements.settings() == StatementSettingsData()


def test_an_unexpected_error_goes_to_the_one_presenter(qtbot, admin: Services,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = open_dialog(qtbot, admin)
    shown: list[BaseException] = []
    monkeypatch.setattr("app.ui.tabs.plans.statement_settings.show_error",
                        lambda parent, exc: shown.append(exc))

    def broken(data: StatementSettingsData) -> StatementSettingsData:
        raise RuntimeError("disk gone")
    monkeypatch.setattr(admin.statements, "save_settings", broken)
    with qtbot.assertNotEmitted(dialog.saved):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert [type(x) for x in shown] == [RuntimeError] and dialog.isVisible()


@pytest.mark.parametrize(("typed", "kept"), [
    ("(555) 123-4567", "5551234567"), ("555.123.4567", "5551234567"),
    ("+1 555 123 4567", "5551234567"), ("", ""), ("555-1234 ext 2", "555-1234 ext 2")])
def test_the_phone_keeps_the_digits_only(typed: str, kept: str) -> None:
    assert phone_digits(typed) == kept


def test_the_dialog_grabs_to_png_with_nothing_cut_off(qtbot, admin: Services,
                                                      tmp_path: Path) -> None:
    admin.statements.save_settings(SAVED)
    dialog = open_dialog(qtbot, admin)
    dialog.minimum_balance.setText("abc")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.wait(10)
    # every part sits above the next one: the table ends before its buttons and the red line
    box = dialog.dunning.parentWidget()
    assert dialog.dunning.geometry().bottom() < dialog.add_level_button.geometry().top()
    assert box.geometry().bottom() < dialog.problem.geometry().top()
    assert dialog.problem.geometry().bottom() < dialog.buttons.geometry().top()
    assert dialog.buttons.geometry().bottom() <= dialog.height()
    path = tmp_path / "statement_settings.png"
    assert dialog.grab().save(str(path))
    assert path.stat().st_size > 10_000
