"""Fixtures shared by the window tests."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from app.ui import errors


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every message box opened, as (kind, text); none of them blocks.

    A question is answered Yes; a test that needs No patches `QMessageBox.question` itself.
    """
    seen: list[tuple[str, str]] = []
    for kind in ("information", "warning", "critical", "question"):
        def fake(parent, title, text, *a, _kind=kind, **k):
            seen.append((_kind, text))
            return (QMessageBox.StandardButton.Yes if _kind == "question"
                    else QMessageBox.StandardButton.Ok)
        monkeypatch.setattr(QMessageBox, kind, staticmethod(fake))
    return seen


@pytest.fixture(autouse=True)
def no_crash_dialog(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected error would open the modal crash dialog and wait for a click that never
    comes: every window test fails at once instead. A test of the crash dialog patches it
    again."""
    def crash(self: object) -> int:
        raise AssertionError("the crash dialog opened")
    monkeypatch.setattr(errors.CrashDialog, "exec", crash)
