"""Coding › Look-up: find a code by a code prefix or by words in any order ("diab neuro type
2"), in ICD-10-CM, HCPCS, CPT or all of them, optionally billable codes only; the chosen code
is read on the right. An ICD-10-CM code shows where it sits in the tabular (chapter → block →
category → … → the code, and the codes under it, each a link) and its notes (includes,
excludes1, excludes2, code first, use additional, code also, and those of its ancestors); a
HCPCS or CPT code shows its long description and dates.

A search is a few ms (an index range scan, an FTS5 match or the procedure index in memory), so
it runs on the GUI thread 150 ms after typing stops, as the patient search does.
"""

from __future__ import annotations

from datetime import date
from html import escape

from PySide6.QtCore import QModelIndex, Qt, QTimer, QUrl
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.formats.icd10cm import BLOCK, CHAPTER
from app.services.code_sets import (
    CPT,
    HCPCS,
    ICD10CM,
    CodeSetService,
    DiagnosisDetail,
    DiagnosisHit,
)
from app.services.procedure_codes import ProcedureCodeService, ProcedureDetail
from app.ui.errors import show_error
from app.ui.table_models.reference_table_models import (
    LookupHit,
    LookupTableModel,
    day,
    make_view,
    procedure_status,
    stamp,
)

DEBOUNCE_MS = 150
LIMIT = 100
ALL = ""
SYSTEM_CHOICES = (("All code sets", ALL), ("ICD-10-CM", ICD10CM), ("HCPCS", HCPCS),
                  ("CPT", CPT))
# DiagnosisDetail.notes keys in the order a coder reads them, with what each means.
NOTE_LABELS = (
    ("includes", "Includes"),
    ("inclusion_terms", "Inclusion terms"),
    ("excludes1", "Excludes1 (never coded together with this code)"),
    ("excludes2", "Excludes2 (not part of this code; both may be coded)"),
    ("code_first", "Code first"),
    ("use_additional", "Use additional code"),
    ("code_also", "Code also"),
    ("notes", "Notes"),
    ("seven_chr_note", "7th character"),
)
HINT = "Type a code (E11.4, J1100) or words in any order (diab neuro type 2)."
LINK = "code:"


def entry_title(code: str, kind: str) -> str:
    return f"Chapter {code}" if kind == CHAPTER else code


def _diagnosis_hit(h: DiagnosisHit) -> LookupHit:
    status = "Yes" if h.billable else ("No – a heading" if h.kind in (CHAPTER, BLOCK)
                                       else "No – has codes under it")
    return LookupHit(ICD10CM, entry_title(h.code, h.kind), h.description, h.billable, status)


def _link(code: str, text: str) -> str:
    return f'<a href="{LINK}{escape(code)}">{escape(text)}</a>'


def notes_html(notes: dict[str, list[str]]) -> str:
    parts = []
    for key, label in NOTE_LABELS:
        lines = notes.get(key) or []
        if lines:
            items = "".join(f"<li>{escape(line)}</li>" for line in lines)
            parts.append(f"<p style='margin-bottom:0'><b>{escape(label)}</b></p>"
                         f"<ul style='margin-top:2px'>{items}</ul>")
    return "".join(parts)


def _condition(d: DiagnosisDetail) -> str:
    bits = {"M": ["male patients only"], "F": ["female patients only"]}.get(d.sex, [])
    if d.age_min is not None or d.age_max is not None:
        bits.append(f"ages {d.age_min if d.age_min is not None else 0}–"
                    f"{d.age_max if d.age_max is not None else '…'}")
    return f" For {', '.join(bits)}." if bits else ""


def diagnosis_html(d: DiagnosisDetail, ancestors: list[DiagnosisHit],
                   children: list[DiagnosisHit]) -> str:
    """The code, where it sits in the tabular, the codes under it and every note."""
    code = entry_title(d.code, d.kind)
    billable = ("<span style='color:#1b5e20'>Billable.</span>" if d.billable else
                "<span style='color:#b00020'>Not billable: choose a more specific code "
                "below.</span>")
    html = [f"<h3>{escape(code)} {escape(d.description)}</h3>",
            f"<p>{billable}{escape(_condition(d))} ICD-10-CM {escape(d.release)}.</p>",
            "<p style='margin-bottom:0'><b>Where it sits</b></p><div>"]
    for depth, a in enumerate(ancestors):
        html.append(f"<div style='margin-left:{depth * 14}px'>"
                    f"{_link(a.code, entry_title(a.code, a.kind))} {escape(a.description)}"
                    "</div>")
    html.append(f"<div style='margin-left:{len(ancestors) * 14}px'><b>{escape(code)} "
                f"{escape(d.description)}</b></div>")
    for c in children:
        mark = "" if c.billable else " (heading)"
        html.append(f"<div style='margin-left:{(len(ancestors) + 1) * 14}px'>"
                    f"{_link(c.code, entry_title(c.code, c.kind))} {escape(c.description)}"
                    f"{mark}</div>")
    html.append("</div>")
    own = notes_html(d.notes)
    html.append(f"<h4>Notes of {escape(code)}</h4>{own}" if own else "")
    kinds = {a.code: a.kind for a in ancestors}
    # nearest first: the category's notes matter more to a coder than the chapter's
    for where, notes in reversed(d.inherited_notes):
        text = notes_html(notes)
        if text and where != d.code:
            name = entry_title(where, kinds.get(where, ""))
            html.append(f"<h4>Notes of {escape(name)} (apply to the codes under it)</h4>"
                        f"{text}")
    return "".join(html)


def procedure_html(p: ProcedureDetail) -> str:
    system = {HCPCS: "HCPCS Level II", CPT: "CPT"}.get(p.system, p.system)
    rows = [("Code set", system + (f" {p.release_version}" if p.release_version else "")),
            ("Short description", p.short_description),
            ("In force from", day(p.effective_from) or "(no start date)"),
            ("Until", day(p.effective_to) or "(no end date)"),
            ("Drug code", "Yes: the claim line needs the NDC" if p.is_drug else "No"),
            ("Added", {"manual": "by hand", "import": "from a file"}.get(p.source, p.source)),
            ("Last changed", stamp(p.updated_at))]
    table = "".join(f"<tr><td style='padding-right:12px'><b>{escape(k)}</b></td>"
                    f"<td>{escape(v)}</td></tr>" for k, v in rows)
    return (f"<h3>{escape(p.code)} {escape(p.short_description)}</h3>"
            f"<p>{escape(p.long_description or p.short_description)}</p><table>{table}</table>")


class LookupPage(QWidget):
    slug = "lookup"
    title = "Look-up"

    def __init__(self, *, code_sets: CodeSetService, procedure_codes: ProcedureCodeService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._code_sets = code_sets
        self._codes = procedure_codes
        self.model = LookupTableModel()
        self.shown: LookupHit | None = None
        self._build()

    # --- construction ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText(HINT)
        self.search.setClearButtonEnabled(True)
        self.system_combo = QComboBox()
        for text, value in SYSTEM_CHOICES:
            self.system_combo.addItem(text, value)
        self.billable_box = QCheckBox("Billable codes only")
        self.billable_box.setToolTip("Leave out headings (ICD-10-CM categories with codes "
                                     "under them) and HCPCS/CPT codes not in force today.")
        self.status = QLabel(HINT)
        self.table = make_view(self.model)
        self.detail = QTextBrowser()
        self.detail.setOpenLinks(False)
        self.detail.anchorClicked.connect(self._link_clicked)
        self.detail.setPlaceholderText("Choose a code in the list to read it here.")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(self._timer.start)
        self.system_combo.currentIndexChanged.connect(lambda _i: self.run_search())
        self.billable_box.toggled.connect(lambda _on: self.run_search())
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self._layout()

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.system_combo)
        top.addWidget(self.billable_box)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.table, 1)
        column.addWidget(self.status)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([640, 600])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

    # --- search ---------------------------------------------------------------------------------
    def reload(self) -> None:
        """Search again (after codes were imported or edited elsewhere)."""
        self.run_search()

    def set_query(self, text: str) -> None:
        """Search for `text` now (what typing does after the pause)."""
        self.search.setText(text)
        self.run_search()

    def system(self) -> str:
        return str(self.system_combo.currentData() or ALL)

    def run_search(self) -> None:
        self._timer.stop()
        query = self.search.text().strip()
        hits: list[LookupHit] = []
        notes: list[str] = []
        if query:
            try:
                hits = self._hits(query, notes)
            except Exception as exc:  # noqa: BLE001 - the one presenter decides
                show_error(self, exc)
        self.model.set_rows(hits)
        self.status.setText(" ".join(notes) or self._count_text(query, len(hits)))
        if hits:
            self.table.selectRow(0)
        else:
            self._show(None)

    def _hits(self, query: str, notes: list[str]) -> list[LookupHit]:
        system, billable = self.system(), self.billable_box.isChecked()
        hits: list[LookupHit] = []
        if system in (ALL, ICD10CM):
            try:
                hits += [_diagnosis_hit(h) for h in self._code_sets.search_diagnoses(
                    query, billable_only=billable, limit=LIMIT)]
            except UserError as exc:  # no release loaded: say so under the list
                notes.append(str(exc))
        if system != ICD10CM:
            on = date.today() if billable else None
            hits += [LookupHit(h.system, h.code, h.short_description or h.long_description,
                               h.in_force, procedure_status(h))
                     for h in self._codes.search(query, system=system or None, on=on,
                                                 limit=LIMIT)]
        return hits

    @staticmethod
    def _count_text(query: str, n: int) -> str:
        if not query:
            return HINT
        if not n:
            return "No code matches; check the spelling, or try fewer words."
        more = " (the first ones; type more to narrow)" if n >= LIMIT else ""
        return f"{n} match{'es' if n != 1 else ''}{more}."

    # --- reading a code -------------------------------------------------------------------------
    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and current.row() < self.model.rowCount():
            self._show(self.model.row(current.row()))

    def _link_clicked(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith(LINK):
            self.open_diagnosis(text[len(LINK):])

    def open_diagnosis(self, code: str) -> None:
        """Read an ICD-10-CM entry (a hit, or a link in the hierarchy)."""
        self._show(LookupHit(ICD10CM, code, "", False, ""))

    def _show(self, hit: LookupHit | None) -> None:
        self.shown = hit
        if hit is None:
            self.detail.clear()
            return
        try:
            html = self._html(hit)
        except Exception as exc:  # noqa: BLE001 - the one presenter decides
            show_error(self, exc)
            return
        self.detail.setHtml(html)

    def _html(self, hit: LookupHit) -> str:
        if hit.system == ICD10CM:
            code = hit.code.removeprefix("Chapter ")
            d = self._code_sets.diagnosis(code)
            if d is None:
                return f"<p>{escape(code)} is not in any loaded ICD-10-CM release.</p>"
            return diagnosis_html(d, self._code_sets.hierarchy(code),
                                  self._code_sets.children(code))
        p = self._codes.get(hit.code)
        if p is None:
            return f"<p>{escape(hit.code)} is no longer in the code list.</p>"
        return procedure_html(p)

    def detail_text(self) -> str:
        """What the reading panel shows, as plain text."""
        return self.detail.toPlainText()
