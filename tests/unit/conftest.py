"""Fixtures for the unit tests: keep CLI runs away from the real home folder and environment."""

from __future__ import annotations

from pathlib import Path

import pytest

CLINIC_ENV = ("CLINIC_CLERK_DB", "CLINIC_CLERK_PASSPHRASE", "CLINIC_CLERK_USER",
              "CLINIC_CLERK_PASSWORD")


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No CLINIC_CLERK_* variables, and log/data folders inside the test's temporary folder."""
    for name in CLINIC_ENV:
        monkeypatch.delenv(name, raising=False)
    for name in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / "xdg" / name.lower()))
    return monkeypatch
