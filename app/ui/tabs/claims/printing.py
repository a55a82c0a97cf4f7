"""Printing a CMS-1500 print job at 100% scale (NUCC 1500 Claim Form 02/12: the data must fall
in the boxes of a pre-printed red form, so nothing may shrink or move it).

The PDF from `SubmissionService` is already laid out on a Letter page with the printer's
offsets applied. Each page is rasterised by Qt PDF at the device's own resolution and drawn
pixel for pixel from the paper's top-left corner (`setFullPage(True)`): never "fit to page",
which would scale the data off the form's grid.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QObject, QPoint, QSize
from PySide6.QtGui import QPagedPaintDevice, QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

from app.errors import UserError

# Courier at 10 characters per inch reads cleanly at 300 dpi; a 600 dpi page would need a
# 135 MB image per sheet for no visible gain on a form.
PRINT_DPI = 300
POINTS_PER_INCH = 72


def letter_printer(printer: QPrinter | None = None) -> QPrinter:
    """A printer (new or given) set to Letter, portrait, no margins, painting from the paper's
    corner."""
    printer = printer or QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setResolution(PRINT_DPI)
    printer.setFullPage(True)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.Letter))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    printer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Point)
    return printer


def pdf_printer(path: str) -> QPrinter:
    """A printer writing a PDF file (tests, and a copy of a job)."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(path)
    return letter_printer(printer)


def choose_printer(parent: QWidget | None, title: str = "Print claims") -> QPrinter | None:
    """The printer the clerk picks in the system print dialog, set up for 100% printing;
    None when they cancel. (Tests replace this function: the dialog is modal.)"""
    printer = letter_printer()
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(title)
    dialog.setOption(QPrintDialog.PrintDialogOption.PrintToFile, True)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return letter_printer(printer)  # the dialog may have changed the page set-up


def load_pdf(pdf: bytes, parent: QObject | None = None) -> tuple[QPdfDocument, QBuffer]:
    """A Qt PDF document over the bytes in memory (never written to disk in clear). Keep the
    buffer alive as long as the document."""
    buffer = QBuffer(parent)
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument(parent)
    document.load(buffer)
    if document.status() != QPdfDocument.Status.Ready or document.pageCount() == 0:
        raise UserError("The print job could not be read back for printing.")
    return document, buffer


def print_pdf(pdf: bytes, device: QPagedPaintDevice) -> int:
    """Print every page of `pdf` on `device` at 100% scale; returns the number of pages.
    Raises UserError when the device refuses the job (then nothing was printed)."""
    document, _buffer = load_pdf(pdf)
    dpi = device.logicalDpiX()
    painter = QPainter()
    if not painter.begin(device):
        raise UserError("The printer could not be opened. Check that it is switched on and "
                        "try again; nothing was printed.")
    try:
        for page in range(document.pageCount()):
            if page:
                device.newPage()
            painter.drawImage(QPoint(0, 0), document.render(page, _pixels(document, page, dpi)))
    finally:
        finished = painter.end()
    if not finished:
        raise UserError("The printer did not take the job; nothing was marked printed.")
    return document.pageCount()


def _pixels(document: QPdfDocument, page: int, dpi: int) -> QSize:
    """The page's size in device pixels at 1:1 (points → inches → dots)."""
    points = document.pagePointSize(page)
    return QSize(round(points.width() * dpi / POINTS_PER_INCH),
                 round(points.height() * dpi / POINTS_PER_INCH))
