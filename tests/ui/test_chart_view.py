"""The chart view driven through its real widgets on a real encrypted clinic: the audited open,
adding a problem through its dialog, vitals with BMI, the SSN reveal by role, documents in the
viewer (and a damaged one refused), timeline filters, deleting, and printing the summary."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QFileDialog
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select, update

from app.formats import observations as obs
from app.formats.fhir_export import read_bundle
from app.models import AuditEvent, DocumentBlob
from app.services import Services
from app.services.history import EncounterData, ObservationData, ProblemData
from app.services.patients import PatientData
from app.ui.dialogs.document_viewer import DocumentViewerDialog
from app.ui.tabs.history.chart_view import ChartView
from tests.conftest import add_user

TODAY = date.today()


def events(sv: Services, action: str) -> list[AuditEvent]:
    with sv.db.session() as s:
        q = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        return list(s.scalars(q))


def register(sv: Services, last: str = "Chart", first: str = "Carla", **kw: object) -> int:
    values: dict[str, object] = dict(sex="F", city="Springfield", state="IL", zip="62701",
                                     address1="1 Oak St", phone="2175550100")
    values.update(kw)
    data = PatientData(last_name=last, first_name=first, dob=date(1970, 1, 2),
                       **values)  # type: ignore[arg-type]
    return sv.patients.register(data, allow_duplicates=True).id


@pytest.fixture
def pid(admin: Services) -> int:
    pid = register(admin, ssn="123456789", preferred_name="Carly")
    admin.history.save(ProblemData(pid, "I10", "Essential hypertension",
                                   onset=date(2020, 5, 1)))
    admin.history.save(EncounterData(pid, TODAY - timedelta(days=10), reason="Follow-up"))
    admin.history.save(ObservationData(pid, obs.HBA1C.code, obs.HBA1C.name,
                                       TODAY - timedelta(days=10), value=Decimal("7.1"),
                                       unit="%"))
    return pid


def make_view(qtbot, sv: Services) -> ChartView:
    view = ChartView(ctx=sv.ctx, patients=sv.patients, history=sv.history,
                     documents=sv.documents, summary=sv.summary)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    return view


def pdf_bytes() -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf)
    for page in (1, 2):
        c.drawString(72, 720, f"Referral page {page}")
        c.showPage()
    c.save()
    return buf.getvalue()


def png_bytes() -> bytes:
    img = QImage(300, 200, QImage.Format.Format_RGB32)
    img.fill(QColor("white"))
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    return bytes(data.data())


def test_show_patient_fills_header_and_lists_and_audits_one_chart_open(
        qtbot, admin: Services, pid: int) -> None:
    view = make_view(qtbot, admin)
    assert view.current_patient_id is None and view.stack.currentIndex() == 0
    view.show_patient(pid)
    assert view.current_patient_id == pid and view.stack.currentIndex() == 1
    assert view.header.name.text() == "Chart, Carla “Carly”"
    age = TODAY.year - 1970 - ((TODAY.month, TODAY.day) < (1, 2))
    assert view.header.values["dob"].text() == f"01/02/1970 (age {age})"
    assert view.header.values["ssn"].text() == "***-**-6789"
    assert view.header.values["guarantor"].text() == "Self"
    assert view.lists["problems"].texts()[0][:2] == ("I10", "Essential hypertension")
    assert view.lists["encounters"].texts()[0][4] == "Follow-up"
    assert [e.patient_id for e in events(admin, "chart.open")] == [pid]
    view.clear()
    assert view.current_patient_id is None and view.header.name.text() == ""


def test_adding_a_problem_through_its_dialog_shows_in_list_and_timeline(
        qtbot, admin: Services, pid: int) -> None:
    view = make_view(qtbot, admin)
    view.show_patient(pid)
    view.lists["problems"].add_button.click()
    dialog = view.dialog
    dialog.form.editors["code"].setText("e11.9")
    dialog.form.editors["onset"].setText("03/04/2021")
    dialog.submit()  # no description: refused, what was typed stays
    assert "Description is required." in dialog.form.problem("description")
    assert dialog.form.editors["code"].text() == "e11.9"
    dialog.form.editors["description"].setText("Type 2 diabetes mellitus")
    dialog.submit()
    assert ("E11.9", "Type 2 diabetes mellitus", "03/04/2021", "", "Active") in \
        view.lists["problems"].texts()
    assert "03/04/2021 | Problem | E11.9 Type 2 diabetes mellitus | active" in \
        view.timeline.lines()
    assert len(events(admin, "problem.create")) == 2
    assert len(events(admin, "chart.open")) == 1  # kept current without reopening


def test_record_vitals_shows_the_bmi_it_derives_and_records_it(
        qtbot, admin: Services, pid: int) -> None:
    view = make_view(qtbot, admin)
    view.show_patient(pid)
    view.vitals_button.click()
    dialog = view.dialog
    dialog.form.editors["systolic"].setText("400")
    dialog.form.editors["weight_lb"].setText("182.4")
    dialog.form.editors["height_in"].setText("64.5")
    assert "30.8 kg/m²" in dialog.bmi_label.text()
    dialog.submit()
    assert "looks mistyped" in dialog.form.problem("systolic")
    assert dialog.form.editors["weight_lb"].text() == "182.4"
    dialog.form.editors["systolic"].setText("128")
    dialog.submit()
    rows = view.lists["observations"].texts()
    assert (f"{TODAY:%m/%d/%Y}", "Body mass index", "30.8 kg/m2", obs.BMI.code) in rows
    assert any(r[1] == "Systolic blood pressure" and r[2] == "128 mmHg" for r in rows)


def test_ssn_show_for_admin_is_audited_and_masked_again_on_the_next_chart(
        qtbot, admin: Services, pid: int) -> None:
    other = register(admin, "Other", "Olive", ssn="987654321")
    view = make_view(qtbot, admin)
    view.show_patient(pid)
    assert view.header.show_ssn_button.isVisible()
    view.header.show_ssn_button.click()
    assert view.header.values["ssn"].text() == "123-45-6789"
    assert [e.patient_id for e in events(admin, "patient.ssn_revealed")] == [pid]
    view.show_patient(other)
    assert view.header.values["ssn"].text() == "***-**-4321"
    assert view.header.show_ssn_button.isVisible()


def test_front_desk_has_no_ssn_button_but_may_edit_history(
        qtbot, admin: Services, pid: int) -> None:
    admin.users.sign_in("desk", add_user(admin, "desk", "front_desk"))
    view = make_view(qtbot, admin)
    view.show_patient(pid)
    assert view.header.show_ssn_button.isHidden()
    assert view.header.values["ssn"].text() == "***-**-6789"
    assert not view.lists["problems"].add_button.isHidden()
    assert not view.print_button.isHidden()


def test_biller_sees_lists_without_edit_buttons(qtbot, admin: Services, pid: int) -> None:
    admin.users.sign_in("bill", add_user(admin, "bill", "biller"))
    view = make_view(qtbot, admin)
    view.show_patient(pid)
    assert view.lists["problems"].add_button.isHidden()
    assert view.vitals_button.isHidden() and view.edit_patient_button.isHidden()
    assert not view.lists["documents"].edit_button.isHidden()  # Open is for everyone


def test_documents_added_and_opened_show_in_the_viewer(
        qtbot, admin: Services, pid: int, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    view = make_view(qtbot, admin)
    view.show_patient(pid)
    docs = view.lists["documents"]
    for name, content in (("scan.png", png_bytes()), ("referral.pdf", pdf_bytes())):
        path = tmp_path / name
        path.write_bytes(content)
        monkeypatch.setattr(QFileDialog, "getOpenFileName",
                            staticmethod(lambda *a, _p=path, **k: (str(_p), "")))
        docs.add_button.click()
    assert [r[0] for r in docs.texts()] == ["referral", "scan"]
    assert docs.texts()[0][2] == "PDF"
    docs.select(0)
    docs.edit_button.click()
    viewer = view.dialog
    assert isinstance(viewer, DocumentViewerDialog)
    assert viewer.kind == "pdf" and viewer.page_count() == 2
    viewer.close()
    docs.select(1)
    docs.edit_button.click()
    assert view.dialog.kind == "image" and view.dialog.image_label is not None
    view.dialog.zoom_in()
    assert view.dialog.zoom > 1
    assert len(events(admin, "document.open")) == 2


def test_a_damaged_document_shows_the_message_and_no_viewer(
        qtbot, admin: Services, pid: int, messages: list[tuple[str, str]]) -> None:
    row = admin.documents.add(pid, "scan.png", png_bytes(), title="Card")
    with admin.db.session() as s:
        s.execute(update(DocumentBlob).where(DocumentBlob.document_id == row.id)
                  .values(content=png_bytes() + b"tampered"))
    view = make_view(qtbot, admin)
    view.show_patient(pid)
    view.lists["documents"].select(0)
    view.lists["documents"].edit_button.click()
    assert len(messages) == 1 and messages[0][0] == "warning"
    assert "does not match the digest" in messages[0][1]
    assert not isinstance(view.dialog, DocumentViewerDialog)


def test_timeline_filters_narrow_the_entries(qtbot, admin: Services, pid: int) -> None:
    view = make_view(qtbot, admin)
    view.show_patient(pid)
    timeline = view.timeline
    assert len(timeline.entries) == 3
    assert timeline.lines()[-1] == "05/01/2020 | Problem | I10 Essential hypertension | active"
    timeline.kind_boxes["observation"].setChecked(False)
    assert {e.kind for e in timeline.entries} == {"encounter", "problem"}
    timeline.date_from.setText(f"{TODAY - timedelta(days=30):%m/%d/%Y}")
    assert [e.kind for e in timeline.entries] == ["encounter"]
    timeline.date_to.setText(f"{TODAY - timedelta(days=20):%m/%d/%Y}")
    assert timeline.entries == [] and timeline.count_label.text() == "0 of 3 entries"


def test_deleting_a_problem_asks_and_removes_it(
        qtbot, admin: Services, pid: int, messages: list[tuple[str, str]]) -> None:
    view = make_view(qtbot, admin)
    view.show_patient(pid)
    problems = view.lists["problems"]
    problems.select(0)
    problems.delete_button.click()
    assert messages[0][0] == "question"
    assert problems.texts() == [] and view.chart is not None and view.chart.problems == []
    assert [e.patient_id for e in events(admin, "problem.delete")] == [pid]


def test_print_summary_writes_the_pdf_and_says_where(
        qtbot, admin: Services, pid: int, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, messages: list[tuple[str, str]]) -> None:
    target = tmp_path / "summary"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    view = make_view(qtbot, admin)
    view.show_patient(pid)
    view.print_button.click()
    qtbot.waitUntil(lambda: bool(messages), timeout=10000)
    out = tmp_path / "summary.pdf"
    assert messages == [("information", f"The summary was saved as\n{out}")]
    assert out.read_bytes().startswith(b"%PDF")
    assert [e.patient_id for e in events(admin, "chart.print")] == [pid]


def test_export_fhir_writes_the_record_as_an_r4_bundle(
        qtbot, admin: Services, pid: int, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, messages: list[tuple[str, str]]) -> None:
    target = tmp_path / "record"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    view = ChartView(ctx=admin.ctx, patients=admin.patients, history=admin.history,
                     documents=admin.documents, summary=admin.summary, fhir=admin.fhir)
    qtbot.addWidget(view)
    plain = make_view(qtbot, admin)  # built without the export service: no button
    plain.show_patient(pid)
    assert not plain.fhir_button.isVisibleTo(plain)
    view.resize(1280, 800)
    view.show()
    view.show_patient(pid)
    assert view.grab().save(str(tmp_path / "chart_fhir.png"))
    view.fhir_button.click()
    out = tmp_path / "record.json"
    assert view.fhir_file == out and messages == [
        ("information", f"The record was saved as\n{out}")]
    bundle = read_bundle(out.read_bytes())
    kinds = sorted({e.resource.resource_type for e in bundle.entry})
    assert kinds[:2] == ["Condition", "Encounter"] and "Patient" in kinds
    assert [e.patient_id for e in events(admin, "fhir.export")] == [pid]


def test_edit_patient_button_asks_the_tab(qtbot, admin: Services, pid: int) -> None:
    view = make_view(qtbot, admin)
    view.show_patient(pid)
    with qtbot.waitSignal(view.editPatientRequested) as signal:
        view.edit_patient_button.click()
    assert signal.args == [pid]
