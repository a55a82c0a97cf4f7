"""The Coding tab's pages (app.ui.tabs.coding_tab assembles them) and the small helpers they
share: how money and quantities are shown and read back from what a clerk typed."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ERROR_COLOUR = "#b00020"
WARNING_COLOUR = "#9a6700"
OK_COLOUR = "#1b5e20"


def money_text(amount: Decimal) -> str:
    """1234.5 → '1,234.50' (2 decimals, thousands separators; DESIGN.md §2.3)."""
    return f"{amount:,.2f}"


def quantity_text(value: Decimal | None) -> str:
    """Units or a drug quantity without trailing zeros: 2.5000 → '2.5', 1 → '1'."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_decimal(text: str) -> Decimal | None:
    """What a clerk typed as a number ('1,250.00', ' 2 '), or None when it is not one.
    Exact Decimal, never a float; the service checks the range and the decimals."""
    cleaned = text.replace(",", "").replace("$", "").strip()
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
