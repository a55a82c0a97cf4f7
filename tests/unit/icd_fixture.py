"""A clinic with the bundled ICD-10-CM release loaded, made once per test session.

Loading the ~98,000 rows takes about 3 s, so it is done once; each test gets its own copy of
the file (a SQLCipher file copied is still opened by the same passphrase), so tests may write
to it freely. Use it from any test module by naming this module as a plugin:

    pytest_plugins = ["tests.unit.icd_fixture"]

    def test_something(icd_admin: Services) -> None:
        hits = CodeSetService(icd_admin.db, icd_admin.ctx).search_diagnoses("E11.9")
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services import Services
from app.services.clinic import create_clinic
from app.services.code_sets import ensure_bundled_icd10cm
from app.services.database import Database
from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE, new_clinic


@pytest.fixture(scope="session")
def icd_clinic_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pristine loaded clinic (admin `ADMIN`, passphrase `PASSPHRASE`). Do not open it
    for writing: copy it (or use `icd_admin`)."""
    path = tmp_path_factory.mktemp("icd10cm") / "icd-clinic.ccdb"
    db = create_clinic(path, new_clinic())
    try:
        assert ensure_bundled_icd10cm(db)
        db.checkpoint()  # everything in the main file: a copy needs no -wal beside it
    finally:
        db.close()
    return path


@pytest.fixture
def icd_admin(icd_clinic_file: Path, tmp_path: Path) -> Iterator[Services]:
    """Services on this test's own copy of the loaded clinic, signed in as the admin."""
    copy = tmp_path / "icd-clinic.ccdb"
    shutil.copyfile(icd_clinic_file, copy)
    db = Database.open(copy, PASSPHRASE)
    sv = Services(db, PASSPHRASE)
    sv.users.sign_in(ADMIN, ADMIN_PASSWORD)
    yield sv
    db.close()
