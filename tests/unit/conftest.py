"""Fixtures for the unit tests: keep CLI runs away from the real home folder and environment;
a few payers in the directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services import Services
from app.services.directory import PayerData

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


@pytest.fixture
def payers(admin: Services) -> dict[str, int]:
    """Four payers in the directory, by payer ID."""
    out = {}
    for name, code in (("Acme Health", "ACME1"), ("Bravo Care", "BRAVO"),
                       ("Charlie Plan", "CHARL"), ("Delta Dental", "DELTA")):
        saved = admin.directory.save_payer(PayerData(name, code, "CI"))
        assert saved.id is not None
        out[code] = saved.id
    return out
