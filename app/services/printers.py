"""Printer calibration for the red CMS-1500 forms, kept per workstation (not in the clinic
database: each office printer pulls paper a little differently, and the offsets belong to the
machine and printer the clerk prints from).

Offsets are in tenths of an inch, positive to the right and down, from −20 to +20 (two
inches), saved as JSON in the user's configuration folder (`CLINIC_CLERK_CONFIG_DIR` overrides
it for tests and portable installs).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from platformdirs import user_config_dir

from app import APP_NAME
from app.errors import UserError
from app.formats.claim_data import Printing

ENV_CONFIG_DIR = "CLINIC_CLERK_CONFIG_DIR"
FILENAME = "printers.json"
LIMIT = 20
DEFAULT_PRINTER = "(default printer)"


def config_dir() -> Path:
    env = os.environ.get(ENV_CONFIG_DIR)
    return Path(env) if env else Path(user_config_dir(APP_NAME, appauthor=False))


class PrinterCalibration:
    """Offsets per printer name on this workstation."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder

    @property
    def path(self) -> Path:
        return (self._folder or config_dir()) / FILENAME

    def _all(self) -> dict[str, dict[str, int]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # no file yet, or a damaged one: start from no offsets
        return data if isinstance(data, dict) else {}

    def get(self, printer: str) -> Printing:
        """The saved offsets for `printer` (zero when none are saved)."""
        row = self._all().get(printer or DEFAULT_PRINTER, {})
        try:
            return _checked(int(row.get("x", 0)), int(row.get("y", 0)))
        except (UserError, ValueError, TypeError, AttributeError):
            return Printing()

    def save(self, printer: str, x_tenths: int, y_tenths: int) -> Printing:
        """Save offsets for `printer`; out-of-range values are refused with a message."""
        printing = _checked(x_tenths, y_tenths)
        data = self._all()
        data[printer or DEFAULT_PRINTER] = {"x": printing.offset_x_tenths,
                                            "y": printing.offset_y_tenths}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
            tmp.replace(self.path)
        except OSError as exc:
            raise UserError(f"Could not save the printer offsets: {exc.strerror}.") from None
        return printing

    def printers(self) -> list[str]:
        return sorted(self._all())


def _checked(x: int, y: int) -> Printing:
    if not (-LIMIT <= x <= LIMIT and -LIMIT <= y <= LIMIT):
        raise UserError(f"Offsets are from −{LIMIT} to +{LIMIT} tenths of an inch (two "
                        "inches either way).")
    return Printing(x, y)
