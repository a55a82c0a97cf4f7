"""Writing an export the clerk asked for: ask where, make the text (a service call, which
audits the export), write it. A refusal or a file that cannot be written is shown the usual
way and nothing is left half-done; the path written, or None."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from app.errors import UserError
from app.ui.errors import show_error

CSV_FILTER = "CSV files (*.csv)"


def export_text(parent: QWidget, title: str, suggested: str, make: Callable[[], str],
                file_filter: str = CSV_FILTER) -> Path | None:
    """Ask for a file name (`suggested` first), then call `make` and write what it returns as
    UTF-8. `make` runs only once a name is chosen, so a cancelled export is not audited."""
    name, _ = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
    if not name:
        return None
    path = Path(name)
    try:
        text = make()
        path.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        show_error(parent, UserError(f"{path.name} could not be written ({exc.strerror}); "
                                     "choose another folder."))
        return None
    except Exception as exc:  # noqa: BLE001 - the one presenter shows it
        show_error(parent, exc)
        return None
    return path
