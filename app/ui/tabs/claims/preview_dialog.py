"""A PDF from the submissions service shown in the app (Qt PDF), never written to disk: the
1500 of a claim in either print mode, or the printer alignment page. The bytes live in a
QBuffer owned by the dialog, which deletes itself when closed."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QBuffer, Qt
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.errors import show_error
from app.ui.tabs.claims.printing import load_pdf

ZOOM_STEP = 1.25


class PdfPreviewDialog(QDialog):
    """`render(mode)` gives the PDF; with `modes` (mode → label) the clerk can switch."""

    def __init__(self, title: str, render: Callable[[str], bytes],
                 modes: Mapping[str, str] | None = None, mode: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._render = render
        self.document: QPdfDocument | None = None
        self._buffer: QBuffer | None = None
        self.mode_combo = QComboBox()
        for code, label in (modes or {}).items():
            self.mode_combo.addItem(label, code)
        self.mode_combo.setVisible(bool(modes))
        if mode:
            self.mode_combo.setCurrentIndex(max(self.mode_combo.findData(mode), 0))
        self.mode_combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.pages = QLabel()
        self.view = QPdfView(self)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self._build()
        self._mode = mode
        self.reload()
        self.resize(900, 900)

    def _build(self) -> None:
        bar = QHBoxLayout()
        if self.mode_combo.count():
            bar.addWidget(QLabel("Show:"))
            bar.addWidget(self.mode_combo)
        for text, slot in (("Zoom out", lambda: self.zoom(1 / ZOOM_STEP)),
                           ("Zoom in", lambda: self.zoom(ZOOM_STEP)),
                           ("Fit width", self.fit_width)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            bar.addWidget(button)
        bar.addStretch(1)
        bar.addWidget(self.pages)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)

    @property
    def mode(self) -> str:
        return str(self.mode_combo.currentData() or self._mode)

    def reload(self) -> None:
        """Render again (after a change of mode)."""
        try:
            document, buffer = load_pdf(self._render(self.mode), self)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        old = (self.document, self._buffer)
        self.document, self._buffer = document, buffer
        self.view.setDocument(document)
        for obj in old:
            if obj is not None:
                obj.deleteLater()
        n = document.pageCount()
        self.pages.setText(f"{n} page{'s' if n != 1 else ''}")

    def page_count(self) -> int:
        return self.document.pageCount() if self.document else 0

    def zoom(self, factor: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(min(max(self.view.zoomFactor() * factor, 0.1), 8.0))

    def fit_width(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
