"""Coding › Quick picks: each provider's superbill, the diagnoses and the procedures the
provider codes most, in the provider's own order and with an optional label
(`FavoriteService`). The Encounters page offers them as one-click picks.

Codes are added through the search-as-you-type code picker (it stays open to add several);
the service refuses a code that is not billable, has ended or is already on the list, and the
picker says why under its list. Roles without MANAGE_CODE_SETS see the lists only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError, ValidationError
from app.services.code_sets import ICD10CM, CodeSetService
from app.services.context import UserContext
from app.services.directory import DirectoryService
from app.services.favorites import DIAGNOSES, PROCEDURES, FavoriteRow, FavoriteService
from app.services.permissions import Permission
from app.services.procedure_codes import ProcedureCodeService
from app.ui.errors import show_error
from app.ui.table_models.reference_table_models import (
    FavoriteTableModel,
    make_view,
    selected_row,
)
from app.ui.tabs.coding import ERROR_COLOUR
from app.ui.tabs.coding.code_picker import (
    CodePicker,
    PickedCode,
    diagnosis_search,
    procedure_search,
)
from app.ui.widgets.form import heading, note, plain_problem

READ_ONLY = "Your role can see these but not change them."
INTRO = ("The codes each provider uses most, in the order the provider wants them offered "
         "when coding an encounter. A label replaces the code's description on the pick list "
         "(e.g. \"Diabetes check\").")
NO_PROVIDERS = "No providers yet: add one under Admin › Providers first."
LIST_TITLES = {DIAGNOSES: "Diagnoses (ICD-10-CM)", PROCEDURES: "Procedures (HCPCS and CPT)"}


class _FavoriteList(QGroupBox):
    """One of the provider's two lists with its buttons."""

    def __init__(self, group: str, can_edit: bool) -> None:
        super().__init__(LIST_TITLES[group])
        self.group = group
        self.model = FavoriteTableModel()
        self.view: QTableView = make_view(self.model)
        self.add_button = QPushButton("Add…")
        self.remove_button = QPushButton("Remove")
        self.up_button = QPushButton("Move up")
        self.down_button = QPushButton("Move down")
        self.label_button = QPushButton("Label…")
        row = QHBoxLayout()
        for b in self.buttons():
            b.setVisible(can_edit)
            row.addWidget(b)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self.enable())

    def buttons(self) -> tuple[QPushButton, ...]:
        return (self.add_button, self.remove_button, self.up_button, self.down_button,
                self.label_button)

    def selected(self) -> FavoriteRow | None:
        row = selected_row(self.view)
        return self.model.row(row) if row >= 0 else None

    def select(self, favorite_id: int | None) -> None:
        ids = [r.id for r in self.model.rows]
        if favorite_id in ids:
            self.view.selectRow(ids.index(favorite_id))

    def enable(self, provider: bool = True) -> None:
        fav = self.selected()
        rows = self.model.rowCount()
        self.add_button.setEnabled(provider)
        for b in (self.remove_button, self.label_button):
            b.setEnabled(fav is not None)
        self.up_button.setEnabled(fav is not None and fav.position > 1)
        self.down_button.setEnabled(fav is not None and fav.position < rows)


class FavoritesPage(QWidget):
    slug = "quick_picks"
    title = "Quick picks"

    def __init__(self, *, ctx: UserContext, favorites: FavoriteService,
                 directory: DirectoryService, code_sets: CodeSetService,
                 procedure_codes: ProcedureCodeService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._favorites, self._directory = ctx, favorites, directory
        self._code_sets, self._codes = code_sets, procedure_codes
        self.picker: CodePicker | None = None  # the picker opened last (tests drive it)
        self.provider_combo = QComboBox()
        self.provider_combo.setMinimumWidth(320)
        self.provider_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.provider_note = QLabel()
        can_edit = ctx.can(Permission.MANAGE_CODE_SETS)
        self.lists = {g: _FavoriteList(g, can_edit) for g in (DIAGNOSES, PROCEDURES)}
        for fav_list in self.lists.values():
            self._connect(fav_list)
        self._layout()
        self.reload()

    def _connect(self, fav_list: _FavoriteList) -> None:
        fav_list.add_button.clicked.connect(lambda: self.add(fav_list.group))
        fav_list.remove_button.clicked.connect(lambda: self.remove(fav_list.group))
        fav_list.up_button.clicked.connect(lambda: self.move_favorite(fav_list.group, -1))
        fav_list.down_button.clicked.connect(lambda: self.move_favorite(fav_list.group, +1))
        fav_list.label_button.clicked.connect(lambda: self.label(fav_list.group))

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Provider:"))
        top.addWidget(self.provider_combo)
        top.addWidget(self.provider_note, 1)
        lists = QHBoxLayout()
        for fav_list in self.lists.values():
            lists.addWidget(fav_list, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Quick picks"))
        layout.addWidget(note(INTRO if self._ctx.can(Permission.MANAGE_CODE_SETS) else
                              f"{INTRO} {READ_ONLY}"))
        layout.addLayout(top)
        layout.addLayout(lists, 1)

    # --- reading --------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the providers again (keeping the one chosen) and their lists."""
        chosen = self.provider_combo.currentData()
        try:
            providers = self._directory.providers(active_only=True)
        except Exception as exc:  # noqa: BLE001 - the one presenter decides
            show_error(self, exc)
            providers = []
        self.provider_combo.blockSignals(True)
        self.provider_combo.clear()
        for p in providers:
            name = f"{p.last_name}, {p.first_name}" + (f" {p.credential}" if p.credential
                                                       else "")
            self.provider_combo.addItem(f"{name} (NPI {p.npi})", p.id)
        self.provider_combo.setCurrentIndex(max(self.provider_combo.findData(chosen), 0))
        self.provider_combo.blockSignals(False)
        self.provider_note.setText("" if providers else NO_PROVIDERS)
        self.load()

    def provider_id(self) -> int | None:
        value = self.provider_combo.currentData()
        return int(value) if value is not None else None

    def load(self, keep: int | None = None) -> None:
        """The chosen provider's two lists; `keep` is a favorite to select again."""
        provider = self.provider_id()
        for group, fav_list in self.lists.items():
            rows: list[FavoriteRow] = []
            if provider is not None:
                try:
                    rows = self._favorites.list(provider, group)
                except Exception as exc:  # noqa: BLE001
                    show_error(self, exc)
            fav_list.model.set_rows(rows)
            fav_list.select(keep)
            fav_list.enable(provider is not None)

    def rows(self, group: str) -> list[FavoriteRow]:
        return list(self.lists[group].model.rows)

    # --- changes --------------------------------------------------------------------------------
    def add(self, group: str) -> None:
        if self.provider_id() is None:
            return
        if group == DIAGNOSES:
            search = diagnosis_search(self._code_sets, lambda: None)
            title = "Add diagnoses to the quick picks"
        else:
            search = procedure_search(self._codes)
            title = "Add procedures to the quick picks"
        picker = CodePicker(title, search, keep_open=True, parent=self,
                            hint="Type a code or words; Enter adds the highlighted code")
        picker.picked.connect(lambda hit: self._picked(picker, group, hit))
        picker.search_edit.textChanged.connect(lambda _t: picker.status.setStyleSheet(""))
        self.picker = picker
        picker.open()

    def _picked(self, picker: CodePicker, group: str, hit: PickedCode) -> None:
        provider = self.provider_id()
        if provider is None:
            return
        try:
            row = self._favorites.add(provider, self._system(group, hit.code), hit.code)
        except ValidationError as exc:  # said under the picker's list; it stays open
            message = " ".join(plain_problem(hit.code, m) for m in exc.problems.values())
            picker.status.setText(f"Not added: {message}")
            picker.status.setStyleSheet(f"color: {ERROR_COLOUR};")
            return
        except Exception as exc:  # noqa: BLE001
            show_error(picker, exc)
            return
        picker.status.setStyleSheet("")
        picker.status.setText(f"{row.display_code} added at the end of the list. Add another, "
                              "or Close.")
        self.load(keep=row.id)

    def _system(self, group: str, code: str) -> str:
        if group == DIAGNOSES:
            return ICD10CM
        found = self._codes.get(code)
        if found is None:
            raise UserError(f"{code} is no longer in the code list; search again.")
        return found.system

    def _act(self, group: str, call: Callable[[FavoriteRow], Any]) -> None:
        fav = self.lists[group].selected()
        if fav is None:
            return
        try:
            call(fav)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
        self.load(keep=fav.id)

    def remove(self, group: str) -> None:
        self._act(group, lambda f: self._favorites.remove(f.id))

    def move_favorite(self, group: str, step: int) -> None:
        self._act(group, lambda f: self._favorites.move_up(f.id) if step < 0
                  else self._favorites.move_down(f.id))

    def label(self, group: str) -> None:
        fav = self.lists[group].selected()
        if fav is None:
            return
        text, ok = QInputDialog.getText(
            self, "Label on the pick list",
            f"The provider's words for {fav.display_code} (empty: the code's description):",
            text=fav.label)
        if ok:
            self._act(group, lambda f: self._favorites.set_label(f.id, text))
