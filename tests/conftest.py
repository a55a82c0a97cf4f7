"""Shared fixtures: a real, migrated, encrypted clinic database in a temporary folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

from app.services import Services  # noqa: E402
from app.services.clinic import NewClinic, create_clinic  # noqa: E402
from app.services.directory import PracticeData  # noqa: E402

PASSPHRASE = "test clinic passphrase"
ADMIN = "admin"
ADMIN_PASSWORD = "correct horse battery"
PRACTICE = PracticeData(
    name="Test Family Practice", npi="1234567893", ein="123456789", taxonomy="207Q00000X",
    address1="1 Main St", city="Springfield", state="IL", zip="627011234", phone="2175550100",
)


def new_clinic(**overrides: object) -> NewClinic:
    values: dict[str, object] = dict(
        passphrase=PASSPHRASE, practice=PRACTICE, admin_username=ADMIN,
        admin_full_name="Alex Admin", admin_password=ADMIN_PASSWORD,
    )
    values.update(overrides)
    return NewClinic(**values)  # type: ignore[arg-type]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "clinic.ccdb"


@pytest.fixture
def services(db_path: Path) -> Iterator[Services]:
    """Services on a fresh clinic, nobody signed in."""
    db = create_clinic(db_path, new_clinic())
    sv = Services(db, PASSPHRASE)
    yield sv
    db.close()


@pytest.fixture
def admin(services: Services) -> Services:
    """The same services, signed in as the clinic's admin."""
    services.users.sign_in(ADMIN, ADMIN_PASSWORD)
    return services


def add_user(services: Services, username: str, role: str,
             password: str = "a long enough pw") -> str:
    """Create a user as the signed-in admin; returns the password."""
    services.users.create_user(username, username.title(), role, password)
    return password
