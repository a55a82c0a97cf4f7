"""Importing X12's CARC and RARC lists (app.services.adjustment_code_lists): all or nothing,
a new import replaces the old list, the codes then describe what payers send, and the
`codes import-carc` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import PermissionDenied, UserError
from app.formats.adjustment_codes import describe_adjustment
from app.services import Services
from tests.unit.test_coding import sign_in_as

CARC = ("Code,Description,Start,Stop\n"
        "45,Charge exceeds fee schedule/maximum allowable.,01/01/1995,\n"
        "ZZ9,Not a real code,01/01/2020,\n")


def test_an_import_replaces_the_list_and_describes_unknown_codes(admin: Services) -> None:
    svc = admin.adjustment_codes
    assert svc.counts() == {"carc": 0, "rarc": 0}
    with pytest.raises(UserError):
        svc.import_list(CARC.encode(), "carc.csv", "carc")  # ZZ9 is not a CARC
    assert svc.counts()["carc"] == 0
    good = CARC.replace("ZZ9,Not a real code", "P99,A payer's own made-up reason")
    r = svc.import_list(good.encode(), "carc.csv", "carc")
    assert (r.codes, r.active, r.replaced) == (2, 2, 0)
    assert "made-up reason" in describe_adjustment("CO", "P99", svc.descriptions("carc"))
    again = svc.import_list((b"Code,Description\n45,Charge exceeds fee schedule.\n"),
                            "carc2.csv", "carc")
    assert (again.codes, again.replaced) == (1, 2)
    assert "P99" not in svc.descriptions("carc")


def test_only_those_who_manage_code_sets_import(admin: Services) -> None:
    sign_in_as(admin, "biller")
    with pytest.raises(PermissionDenied):
        admin.adjustment_codes.import_list(CARC.encode(), "carc.csv", "carc")


def test_codes_import_carc_command(admin: Services, tmp_path: Path, cli_env: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main
    from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE

    f = tmp_path / "rarc.csv"
    f.write_text("Code,Description\nN130,Consult plan benefit documents.\n"
                 "M15,Separately billed services have been bundled.\n")
    db = str(admin.db.path)
    admin.db.close()
    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", PASSPHRASE)
    cli_env.setenv("CLINIC_CLERK_PASSWORD", ADMIN_PASSWORD)
    assert main(["--db", db, "--user", ADMIN, "codes", "import-rarc", str(f)]) == 0
    assert "Imported 2 RARC codes" in capsys.readouterr().out
    assert main(["--db", db, "--user", ADMIN, "codes", "import-carc", str(f)]) == 1
    assert "nothing" in capsys.readouterr().err.lower()
