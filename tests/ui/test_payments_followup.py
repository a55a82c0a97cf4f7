"""The follow-up pages of the Payments tab through their widgets on a real encrypted clinic: a
denial from an 835 in its queue and category, a queue worked from the keyboard (Down,
Ctrl+D, Enter), the next action and the assignment saved, a call logged with a promise that
comes back after a refresh, a call's field problems, an appeal drafted, edited and kept as a
PDF, a letter template that cannot be saved with an unknown placeholder, and who gets these
pages. The last test grabs every page and dialog to PNG with realistic data."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFileDialog, QLineEdit, QPlainTextEdit, QWidget

from app.formats.appeal_letter import DEFAULT_TEMPLATES
from app.services import Services
from app.services.claims import ClaimView
from app.services.payer_calls import CallData
from app.ui.tabs.payments.appeal_dialog import AppealDialog
from app.ui.tabs.payments.call_dialog import CallDialog
from app.ui.tabs.payments.calls_page import CallsPage, can_log_calls
from app.ui.tabs.payments.letters_page import LettersPage, can_edit_letters
from app.ui.tabs.payments.queues_page import QueuesPage, can_work_queues
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.form import FormDialog
from tests.conftest import add_user
from tests.unit.claim_fixtures import Clinic, clinic
from tests.unit.test_coding import sign_in_as
from tests.unit.test_followup import deny, submitted_on
from tests.unit.test_remittances import sent

SIZE = (1300, 850)
TODAY = date.today()


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


def shown(qtbot, widget: QWidget) -> QWidget:
    qtbot.addWidget(widget)
    widget.resize(*SIZE)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    return widget


def queues(qtbot, sv: Services) -> QueuesPage:
    page = shown(qtbot, QueuesPage(PaymentsServices.of(sv)))
    assert isinstance(page, QueuesPage)
    return page


def denied(sv: Services, c: Clinic, n: int, tmp: Path, carc: str = "50") -> ClaimView:
    v = sent(sv, c, n, "99213", tmp=tmp)
    deny(sv, v, carc)
    return v


def edit(dialog: FormDialog, attr: str, value: str) -> None:
    w = dialog.form.editors[attr]
    if isinstance(w, QComboBox):
        w.setCurrentIndex(w.findData(value))
    elif isinstance(w, QPlainTextEdit):
        w.setPlainText(value)
    else:
        assert isinstance(w, QLineEdit)
        w.setText(value)


def key(qtbot, widget: QWidget, k: Qt.Key, ctrl: bool = False) -> None:
    """A key pressed; a button's shortcut clicks it after its press animation (~100 ms)."""
    mod = Qt.KeyboardModifier.ControlModifier if ctrl else Qt.KeyboardModifier.NoModifier
    widget.window().activateWindow()  # a dialog closed does not give it back offscreen
    qtbot.waitUntil(widget.window().isActiveWindow)
    qtbot.keyClick(widget, k, mod)
    if ctrl:
        qtbot.wait(250)


# --- the queues ---------------------------------------------------------------------------------
def test_a_denial_from_an_835_is_in_the_denials_queue_under_its_category(
        qtbot, admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = denied(admin, c, 1, tmp_path, "50")
    other = denied(admin, c, 2, tmp_path, "16")
    page = queues(qtbot, admin)
    assert page.tree.count_of("denials") == 2
    assert page.tree.count_of("denials", "medical_necessity") == 1
    assert page.tree.count_of("denials", "missing_information") == 1
    page.choose_queue("denials", "medical_necessity")
    assert page.table.rowCount() == 1
    assert page.table.item(0, 0).text() == v.number
    assert page.table.item(0, 1).text() == "DoeA, Jane"
    assert page.table.item(0, 3).text() == f"{v.lines[0].charge:,.2f}"
    assert "Medical necessity" in page.queue_label.text()
    assert "CO-50" in page.detail.toPlainText()
    page.choose_queue("denials")
    assert {page.table.item(i, 0).text() for i in range(2)} == {v.number, other.number}


def test_a_queue_is_worked_from_the_keyboard(qtbot, admin: Services, c: Clinic,
                                            tmp_path: Path) -> None:
    claims = [denied(admin, c, n, tmp_path) for n in (1, 2, 3)]
    page = queues(qtbot, admin)
    page.choose_queue("denials")
    first, second, third = page.rows
    assert [r.claim_id for r in page.rows] == [v.id for v in claims]
    page.table.setFocus()
    assert page.current() == first
    key(qtbot, page.table, Qt.Key.Key_Down)
    assert page.current() == second
    assert "Ctrl+D" in page.buttons["mark_done"].text()
    key(qtbot, page.table, Qt.Key.Key_D, ctrl=True)
    assert [r.id for r in admin.work_queue.items("denials", state="done")] == [second.id]
    assert page.current() is not None and page.current().id == third.id  # moved on
    assert page.tree.count_of("denials") == 2
    key(qtbot, page.table, Qt.Key.Key_W, ctrl=True)
    assert [r.id for r in admin.work_queue.items("denials", state="waiting")] == [third.id]
    assert page.current() is not None and page.current().id == first.id  # the last row left
    opened: list[int] = []
    page.openClaim.connect(opened.append)
    key(qtbot, page.table, Qt.Key.Key_Return)
    assert opened == [first.claim_id]


def test_the_next_action_and_the_assignment_are_saved(qtbot, admin: Services, c: Clinic,
                                                      tmp_path: Path) -> None:
    for n in (1, 2, 3):
        denied(admin, c, n, tmp_path)
    add_user(admin, "bella", "biller")
    add_user(admin, "fran", "front_desk")
    page = queues(qtbot, admin)
    assert page.people == {"admin": "Alex Admin", "bella": "Bella"}  # who may work queues
    page.choose_queue("denials")
    first, second, third = page.rows
    page.table.setFocus()
    key(qtbot, page.table, Qt.Key.Key_N, ctrl=True)
    dialog = page.dialog
    assert isinstance(dialog, FormDialog) and dialog.isVisible()
    edit(dialog, "next_action", "Send the visit notes")
    edit(dialog, "due_on", f"{TODAY - timedelta(days=3):%m/%d/%Y}")
    dialog.submit()
    assert "before the item was raised" in dialog.form.problem("due_on")
    assert dialog.isVisible()
    due = TODAY + timedelta(days=5)
    edit(dialog, "due_on", f"{due:%m/%d/%Y}")
    dialog.submit()
    assert not dialog.isVisible()
    saved = next(r for r in admin.work_queue.items("denials") if r.id == first.id)
    assert (saved.next_action, saved.due_on) == ("Send the visit notes", due)
    assert page.rows[0].id == first.id  # due first now, so the first row
    assert page.current() is not None and page.current().id == second.id
    key(qtbot, page.table, Qt.Key.Key_G, ctrl=True)
    dialog = page.dialog
    assert "Bella" in [dialog.form.editors["assignee"].itemText(i)
                       for i in range(dialog.form.editors["assignee"].count())]
    edit(dialog, "assignee", "bella")
    dialog.submit()
    assert {r.id for r in admin.work_queue.items("denials", assignee="bella")} == {second.id}
    assert page.current() is not None and page.current().id == third.id
    assert page.table.item(1, 7).text() == "Bella"
    page.assignee_combo.setCurrentIndex(page.assignee_combo.findData("unassigned"))
    assert {r.id for r in page.rows} == {first.id, third.id}


def test_a_call_with_a_past_promise_comes_back_in_the_promises_queue(
        qtbot, admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    calls = shown(qtbot, CallsPage(PaymentsServices.of(admin)))
    assert isinstance(calls, CallsPage)
    calls.log_call((v.id,))
    dialog = calls.dialog
    assert isinstance(dialog, CallDialog)
    assert dialog.payer_combo.currentData() == str(c.payer_id)  # from the claim
    assert dialog.form.editors["phone"].text() == "(800) 555-0101"  # from the payer
    for attr, value in (("representative", "Dana"), ("reference", "REF-7781"),
                        ("outcome", "will_reprocess"),
                        ("summary", "Claim in process; they will reprocess it."),
                        ("called_at", f"{TODAY - timedelta(days=6):%m/%d/%Y}"),
                        ("promised_action", "Reprocess the claim"),
                        ("promised_on", f"{TODAY - timedelta(days=2):%m/%d/%Y}")):
        edit(dialog, attr, value)
    dialog.submit()
    assert not dialog.isVisible()
    assert calls.table.rowCount() == 1 and calls.table.item(0, 2).text() == "Dana"
    assert "(overdue)" in calls.table.item(0, 5).text()
    assert "REF-7781" in calls.detail.toPlainText()
    page = queues(qtbot, admin)
    assert page.tree.count_of("promises") == 0
    page.refresh_queues()
    qtbot.waitUntil(lambda: "Queues refreshed" in page.result.text(), timeout=10000)
    assert "1 missed promise(s)" in page.result.text()
    assert page.tree.count_of("promises") == 1
    page.choose_queue("promises")
    assert page.table.rowCount() == 1 and page.table.item(0, 0).text() == v.number
    qtbot.waitUntil(lambda: "spoke to Dana" in page.detail.toPlainText())
    calls.reload()
    assert calls.kept_button.isEnabled()
    calls.kept_button.click()
    assert "(kept)" in calls.table.item(0, 5).text() and not calls.kept_button.isEnabled()
    page.reload()
    assert page.tree.count_of("promises") == 0


def test_a_bad_call_shows_its_problems_under_the_fields(qtbot, admin: Services, c: Clinic,
                                                        tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    calls = shown(qtbot, CallsPage(PaymentsServices.of(admin)))
    assert isinstance(calls, CallsPage)
    calls.log_call()
    dialog = calls.dialog
    edit(dialog, "claim_ids", f"{v.id}, x12")
    dialog.submit()
    assert "“x12” is not a claim number" in dialog.form.problem("claim_ids")
    edit(dialog, "claim_ids", f"{v.id}")
    dialog.claims_edit.editingFinished.emit()
    assert dialog.payer_combo.currentData() == str(c.payer_id)
    edit(dialog, "outcome", "paid_soon")
    edit(dialog, "phone", "555-01")
    dialog.submit()
    assert dialog.isVisible()
    assert "person you spoke to" in dialog.form.problem("representative")
    assert "what the payer said" in dialog.form.problem("summary")
    assert "would pay or reprocess by" in dialog.form.problem("promised_on")
    assert "10-digit" in dialog.form.problem("phone")
    assert dialog.form.problem("claim_ids") == ""
    assert dialog.form.editors["phone"].text() == "555-01"  # what was typed is kept
    assert admin.payer_calls.calls() == []


# --- appeals -------------------------------------------------------------------------------------
def test_an_appeal_is_drafted_edited_and_kept_as_a_pdf(qtbot, admin: Services, c: Clinic,
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    v = denied(admin, c, 1, tmp_path)
    page = queues(qtbot, admin)
    page.choose_queue("denials")
    page.table.setFocus()
    key(qtbot, page.table, Qt.Key.Key_P, ctrl=True)
    dialog = page.dialog
    assert isinstance(dialog, AppealDialog) and dialog.isVisible()
    assert f"our claim number {v.number}" in dialog.text.toPlainText()
    assert dialog.title_edit.text() == f"Request for reconsideration, claim {v.number}"
    dialog.template_combo.setCurrentIndex(dialog.template_combo.findData("appeal"))
    assert dialog.title_edit.text() == f"Formal written appeal, claim {v.number}"
    text = dialog.text.toPlainText().replace("We formally appeal",
                                             "We formally and respectfully appeal")
    dialog.text.setPlainText(text)
    target = tmp_path / "appeal.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    dialog.save_button.click()
    assert dialog.saved_to == target and dialog.appeal is not None
    words = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(target.read_bytes())).pages)
    assert v.number in words and "respectfully appeal" in words
    (item,) = admin.work_queue.items("appeals")
    assert item.claim_id == v.id and item.id == dialog.appeal.work_item_id
    assert page.tree.count_of("denials") == 0 and page.tree.count_of("appeals") == 1
    assert dialog.text.isReadOnly() and dialog.show_button.isVisible()
    dialog.grab().save(str(tmp_path / "appeal_saved.png"))
    dialog.show_letter()
    assert dialog.preview.page_count() >= 1
    qtbot.wait(1500)  # Qt PDF renders the pages in the background
    dialog.preview.grab().save(str(tmp_path / "appeal_letter.png"))


def test_a_template_with_an_unknown_placeholder_is_not_saved(qtbot, admin: Services,
                                                             messages) -> None:
    page = shown(qtbot, LettersPage(PaymentsServices.of(admin)))
    assert isinstance(page, LettersPage)
    assert page.key == "reconsideration" and page.save_button.isEnabled()
    page.body.setPlainText("Dear {payer_nme},\n\nPlease pay claim {claim_number}.\n")
    assert "{payer_nme} on line 1 (did you mean {payer_name}?)" in page.problems.text()
    assert page.problems.isVisible() and not page.save_button.isEnabled()
    page.save()  # refused by the service too, and said so
    assert "Not saved" in page.problems.text() and "{payer_nme}" in page.problems.text()
    assert admin.appeals.templates()[0].body == DEFAULT_TEMPLATES["reconsideration"].body
    page.body.setPlainText("Dear {payer_name},\n\nPlease pay claim {claim_number}.\n")
    assert page.problems.isHidden() and page.save_button.isEnabled()
    page.save()
    assert admin.appeals.templates()[0].body.startswith("Dear {payer_name}")
    assert page.list.item(0).text().endswith("(edited)") and page.reset_button.isEnabled()
    page.reset()
    assert admin.appeals.templates()[0].body == DEFAULT_TEMPLATES["reconsideration"].body
    assert page.body.toPlainText() == DEFAULT_TEMPLATES["reconsideration"].body


def test_the_front_desk_does_not_get_the_follow_up_pages(admin: Services) -> None:
    assert can_work_queues(admin.ctx) and can_log_calls(admin.ctx)
    assert can_edit_letters(admin.ctx)
    sign_in_as(admin, "biller")
    assert can_work_queues(admin.ctx) and can_log_calls(admin.ctx)
    assert not can_edit_letters(admin.ctx)
    sign_in_as(admin, "front_desk")
    assert not can_work_queues(admin.ctx) and not can_log_calls(admin.ctx)
    assert not can_edit_letters(admin.ctx)


# --- what the clerk sees -----------------------------------------------------------------------
def busy_clinic(sv: Services, c: Clinic, tmp: Path) -> list[ClaimView]:
    """Denials of several kinds, unpaid claims, calls with and without promises (one missed)."""
    out = [denied(sv, c, n, tmp, carc) for n, carc in
           ((1, "50"), (2, "16"), (3, "50"), (4, "197"), (5, "18"))]
    for n in (6, 7, 8):
        v = sent(sv, c, n, tmp=tmp)
        submitted_on(sv, v.id, TODAY - timedelta(days=40 + n))
        out.append(v)
    # (claim, representative, outcome, days ago, promise: days from today)
    for v, rep, outcome, ago, promise in ((out[0], "Dana", "need_appeal", 1, None),
                                          (out[5], "Marcus", "will_reprocess", 0, 3),
                                          (out[6], "Priya", "paid_soon", 5, -2)):
        sv.payer_calls.log_call(CallData(
            payer_id=c.payer_id, claim_ids=(v.id,), outcome=outcome, representative=rep,
            reference=f"REF-{v.id:04d}", summary="The claim was received and reviewed; the "
            "representative read the notes back and said what the payer needs next.",
            called_at=datetime.now() - timedelta(days=ago),
            promised_action="Reprocess the claim" if promise is not None else "",
            promised_on=TODAY + timedelta(days=promise) if promise is not None else None))
    sv.work_queue.refresh()
    return out


def test_every_page_and_dialog_grabbed_to_png(qtbot, admin: Services, c: Clinic,
                                              tmp_path: Path) -> None:
    claims = busy_clinic(admin, c, tmp_path)
    add_user(admin, "bella", "biller")
    out = tmp_path / "png"
    out.mkdir()
    sv = PaymentsServices.of(admin)
    first = admin.work_queue.items("denials")[0]
    admin.work_queue.update(first.id, assignee="bella", note="Asked Dr. Smith for the notes.")
    admin.work_queue.update(first.id, note="Notes received; appeal next.")
    page = queues(qtbot, admin)
    page.choose_queue("denials")
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: "spoke to Dana" in page.detail.toPlainText())
    assert page.tree.minimumWidth() >= page.tree.fontMetrics().horizontalAdvance(
        "Missing or wrong claim information")
    page.grab().save(str(out / "queues_denials.png"))
    page.choose_queue("denials", "medical_necessity")
    page.grab().save(str(out / "queues_category.png"))
    page.choose_queue("unpaid")
    page.grab().save(str(out / "queues_unpaid.png"))
    calls = shown(qtbot, CallsPage(sv))
    calls.grab().save(str(out / "calls.png"))
    dialogs: list[tuple[str, QWidget]] = [
        ("call_dialog", CallDialog(sv, (claims[0].id,), c.payer_id)),
        ("appeal_dialog", AppealDialog(sv, claims[0].id, claims[0].number)),
    ]
    page.choose_queue("denials")
    page.next_action()
    dialogs.append(("next_action_dialog", page.dialog))
    page.assign()
    dialogs.append(("assign_dialog", page.dialog))
    page.add_note()
    dialogs.append(("note_dialog", page.dialog))
    for name, dialog in dialogs:
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.grab().save(str(out / f"{name}.png"))
    bad = dialogs[0][1]
    assert isinstance(bad, CallDialog)
    edit(bad, "promised_on", f"{TODAY - timedelta(days=400):%m/%d/%Y}")
    edit(bad, "claim_ids", "")
    bad.submit()
    bad.grab().save(str(out / "call_dialog_problems.png"))
    letters = shown(qtbot, LettersPage(sv))
    letters.body.setPlainText(letters.body.toPlainText() + "\nSee {payer_nme}.\n")
    letters.grab().save(str(out / "letters.png"))
    assert len(list(out.glob("*.png"))) == 11
