"""Shows a stored document inside the app: PDFs with Qt PDF (when this build has it), images
with QPixmap, each with zoom. The bytes stay in memory (a QBuffer for Qt PDF) and are never
written to disk in clear. Open the dialog with `open()` or `show()`; it deletes itself when
closed so the bytes do not linger."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.services.documents import DocumentContent

try:  # Qt PDF ships as an add-on module; without it PDFs get a plain message.
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPdfWidgets import QPdfView
except ImportError:  # pragma: no cover - depends on the Qt build
    QPdfDocument = None  # type: ignore[assignment,misc]
    QPdfView = None  # type: ignore[assignment,misc]

ZOOM_STEP = 1.25
ZOOM_MIN, ZOOM_MAX = 0.1, 8.0


class DocumentViewerDialog(QDialog):
    """`kind` is "pdf", "image" or "unsupported" (then `message` says why)."""

    def __init__(self, document: DocumentContent, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = document.row
        self.setWindowTitle(f"{row.title} — {row.filename}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.kind = "unsupported"
        self.zoom = 1.0
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pdf_view: QWidget | None = None
        self.image_label: QLabel | None = None
        self._pixmap = QPixmap()
        self._fitted = False
        body = self._body(document)
        layout = QVBoxLayout(self)
        layout.addLayout(self._zoom_bar())
        layout.addWidget(body, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(900, 760)

    # --- content ------------------------------------------------------------------------------
    def _body(self, document: DocumentContent) -> QWidget:
        if document.row.mime == "application/pdf":
            return self._pdf(document.content)
        if document.row.mime.startswith("image/"):
            return self._image(document.content)
        return self._unsupported("This kind of document cannot be shown here.")

    def _unsupported(self, text: str) -> QWidget:
        self.kind = "unsupported"
        self.message.setText(text)
        return self.message

    def _pdf(self, content: bytes) -> QWidget:
        if QPdfDocument is None or QPdfView is None:
            return self._unsupported("This copy of ClinicClerk has no PDF viewer.")
        self._bytes = QByteArray(content)  # the buffer and document must outlive the view
        self._buffer = QBuffer(self._bytes, self)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.pdf_document = QPdfDocument(self)
        self.pdf_document.load(self._buffer)
        if self.pdf_document.status() != QPdfDocument.Status.Ready:
            return self._unsupported("This PDF could not be read; it may be damaged or "
                                     "protected with a password.")
        view = QPdfView(self)
        view.setPageMode(QPdfView.PageMode.MultiPage)
        view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        view.setDocument(self.pdf_document)
        self.kind, self.pdf_view = "pdf", view
        return view

    def _image(self, content: bytes) -> QWidget:
        if not self._pixmap.loadFromData(content):
            return self._unsupported("This image could not be read by this computer.")
        self.image_label = QLabel()
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll.setWidget(self.image_label)
        self.kind = "image"
        self._scroll = scroll
        self.set_zoom(1.0)
        return scroll

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.kind == "image" and not self._fitted:
            self._fitted = True  # a scan wider than the window starts fitted to its width
            if self._pixmap.width() > self._scroll.viewport().width():
                self.fit_width()

    def page_count(self) -> int:
        return self.pdf_document.pageCount() if self.kind == "pdf" else 0

    # --- zoom ---------------------------------------------------------------------------------
    def _zoom_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.zoom_buttons = []
        for text, slot in (("Zoom out", self.zoom_out), ("Zoom in", self.zoom_in),
                           ("Actual size", lambda: self.set_zoom(1.0)),
                           ("Fit width", self.fit_width)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            button.setEnabled(self.kind != "unsupported")
            bar.addWidget(button)
            self.zoom_buttons.append(button)
        bar.addStretch(1)
        return bar

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / ZOOM_STEP)

    def set_zoom(self, factor: float) -> None:
        self.zoom = min(max(factor, ZOOM_MIN), ZOOM_MAX)
        if self.kind == "pdf" and isinstance(self.pdf_view, QPdfView):
            self.pdf_view.setZoomMode(QPdfView.ZoomMode.Custom)
            self.pdf_view.setZoomFactor(self.zoom)
        elif self.kind == "image" and self.image_label is not None:
            size = self._pixmap.size() * self.zoom
            self.image_label.setPixmap(self._pixmap.scaled(
                size, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
            self.image_label.resize(size)

    def fit_width(self) -> None:
        if self.kind == "pdf" and isinstance(self.pdf_view, QPdfView):
            self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        elif self.kind == "image" and not self._pixmap.isNull():
            room = self._scroll.viewport().width() - 4
            self.set_zoom(room / max(self._pixmap.width(), 1))
