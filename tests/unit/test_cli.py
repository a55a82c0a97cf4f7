"""`clinic-clerk` headless commands: exit codes (0 / 1 with one line / 2 on bad usage), the
demo clinic, the self-test, and a clear refusal to open a window without a display."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app import cli
from app.errors import UserError, WrongPassphrase
from app.models import Patient
from app.services import Services
from app.services.database import Database
from app.services.demo import DEMO_ADMIN, DEMO_PASSPHRASE, DEMO_PASSWORD, DEMO_STAFF
from app.services.settings import read_settings
from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE, add_user
from tests.unit._support import snapshot

README = Path(__file__).resolve().parents[2] / "README.md"


def _one_line_refusal(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, "one line on stderr"
    assert "Traceback" not in err
    assert lines[0].startswith("clinic-clerk: ")
    return lines[0]


# --- exit codes -----------------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [["--no-such-option"], ["frobnicate"], ["audit"],
                                  ["demo", "--patients", "many"]])
def test_bad_usage_exits_2(argv: list[str], cli_env: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err


@pytest.fixture
def clinic(services: Services, cli_env: pytest.MonkeyPatch) -> Services:
    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", PASSPHRASE)
    cli_env.setenv("CLINIC_CLERK_PASSWORD", ADMIN_PASSWORD)
    return services


def test_wrong_passphrase_exits_1_with_one_line(clinic: Services, cli_env: pytest.MonkeyPatch,
                                                capfd: pytest.CaptureFixture[str]) -> None:
    wrong = "Totally-wrong-phrase-77"
    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", wrong)
    before = snapshot(clinic.db.path)
    assert cli.main(["--db", str(clinic.db.path), "--user", ADMIN, "audit", "verify"]) == 1
    out, err = capfd.readouterr()
    line = _one_line_refusal(err)
    assert "passphrase" in line
    assert wrong not in err and wrong not in out
    assert snapshot(clinic.db.path) == before


def test_missing_user_exits_1(clinic: Services, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--db", str(clinic.db.path), "audit", "verify"]) == 1
    assert "--user" in _one_line_refusal(capsys.readouterr().err)


def test_user_from_environment(clinic: Services, cli_env: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    cli_env.setenv("CLINIC_CLERK_USER", ADMIN)
    assert cli.main(["--db", str(clinic.db.path), "audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out


def test_wrong_password_exits_1(clinic: Services, cli_env: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    cli_env.setenv("CLINIC_CLERK_PASSWORD", "not-the-password-9")
    assert cli.main(["--db", str(clinic.db.path), "--user", ADMIN, "audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert "not right" in _one_line_refusal(err)
    assert "not-the-password-9" not in err


def test_missing_database_exits_1(tmp_path: Path, cli_env: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", PASSPHRASE)
    cli_env.setenv("CLINIC_CLERK_PASSWORD", ADMIN_PASSWORD)
    path = tmp_path / "absent.ccdb"
    assert cli.main(["--db", str(path), "--user", ADMIN, "backup", str(tmp_path / "o")]) == 1
    _one_line_refusal(capsys.readouterr().err)
    assert not path.exists()


def test_coder_may_not_verify_the_audit_trail(clinic: Services, cli_env: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    clinic.users.sign_in(ADMIN, ADMIN_PASSWORD)
    pw = add_user(clinic, "cody", "coder")
    cli_env.setenv("CLINIC_CLERK_PASSWORD", pw)
    assert cli.main(["--db", str(clinic.db.path), "--user", "cody", "audit", "verify"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "may not" in _one_line_refusal(err)


# --- demo -----------------------------------------------------------------------------------------
def _patients(path: Path, passphrase: str = DEMO_PASSPHRASE) -> list[tuple[object, ...]]:
    db = Database.open(path, passphrase)
    try:
        with db.session() as s:
            q = select(Patient.mrn, Patient.last_name, Patient.first_name, Patient.dob,
                       Patient.sex, Patient.zip).order_by(Patient.mrn)
            return [tuple(r) for r in s.execute(q)]
    finally:
        db.close()


def test_demo_is_deterministic_and_prints_its_users(tmp_path: Path, cli_env: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    a, b, c = tmp_path / "a.ccdb", tmp_path / "b.ccdb", tmp_path / "c.ccdb"
    assert cli.main(["--db", str(a), "demo", "--patients", "50", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert cli.main(["--db", str(b), "demo", "--patients", "50", "--seed", "3"]) == 0
    capsys.readouterr()
    assert cli.main(["--db", str(c), "demo", "--patients", "50", "--seed", "4"]) == 0
    capsys.readouterr()

    rows_a = _patients(a)
    assert len(rows_a) == 50
    assert rows_a == _patients(b)
    assert rows_a != _patients(c)
    assert "50 synthetic patients" in out
    assert f"passphrase: {DEMO_PASSPHRASE}" in out
    assert f"admin user: {DEMO_ADMIN} / {DEMO_PASSWORD}" in out
    for username, _name, role in DEMO_STAFF:
        assert f"{role} user: {username} / {DEMO_PASSWORD}" in out

    db = Database.open(a, DEMO_PASSPHRASE)
    try:
        sv = Services(db, DEMO_PASSPHRASE)
        for username, _name, role in DEMO_STAFF:
            assert sv.users.sign_in(username, DEMO_PASSWORD).role == role
        assert sv.users.sign_in(DEMO_ADMIN, DEMO_PASSWORD).role == "admin"
        assert sv.audit.verify().ok
        assert len(sv.directory.providers()) > 0 and len(sv.directory.payers()) > 0
        with db.session() as s:
            assert read_settings(s).is_demo
    finally:
        db.close()


def test_demo_users_are_documented_in_the_readme() -> None:
    if not README.exists():
        pytest.skip("no README.md")
    text = README.read_text(encoding="utf-8")
    assert DEMO_PASSPHRASE in text and DEMO_PASSWORD in text
    for username, _name, _role in DEMO_STAFF:
        assert username in text


def test_demo_if_missing_leaves_an_existing_file(clinic: Services, cli_env: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cli_env.delenv("CLINIC_CLERK_PASSPHRASE")
    cli_env.delenv("CLINIC_CLERK_PASSWORD")
    path = clinic.db.path
    clinic.db.checkpoint()
    before = snapshot(path)
    assert cli.main(["--db", str(path), "demo", "--if-missing"]) == 0
    assert "already" in capsys.readouterr().out
    assert snapshot(path) == before
    assert cli.main(["--db", str(path), "demo"]) == 1
    assert "already exists" in _one_line_refusal(capsys.readouterr().err)
    assert snapshot(path) == before


def test_demo_refuses_a_silly_patient_count(tmp_path: Path, cli_env: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "d.ccdb"
    assert cli.main(["--db", str(path), "demo", "--patients", "-5"]) == 1
    _one_line_refusal(capsys.readouterr().err)
    assert not path.exists()


def test_demo_environment_overrides(tmp_path: Path, cli_env: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    phrase, boss_pw = "our own demo phrase 42", "chief-secret-pw-42"
    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", phrase)
    cli_env.setenv("CLINIC_CLERK_USER", "boss")
    cli_env.setenv("CLINIC_CLERK_PASSWORD", boss_pw)
    path = tmp_path / "own.ccdb"
    assert cli.main(["--db", str(path), "demo", "--patients", "5", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert phrase not in out and boss_pw not in out
    assert "admin user: boss /" in out
    with pytest.raises(WrongPassphrase):
        Database.open(path, DEMO_PASSPHRASE)
    db = Database.open(path, phrase)
    try:
        sv = Services(db, phrase)
        with pytest.raises(UserError):
            sv.users.sign_in(DEMO_ADMIN, DEMO_PASSWORD)
        with pytest.raises(UserError):
            sv.users.sign_in("boss", DEMO_PASSWORD)
        assert sv.users.sign_in("boss", boss_pw).role == "admin"
        assert {u.username for u in sv.users.list_users()} == {
            "boss", *(u for u, _n, _r in DEMO_STAFF)}
    finally:
        db.close()
    assert len(_patients(path, phrase)) == 5


# --- self-test and the window ---------------------------------------------------------------------
def test_self_test_passes(cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
                          ) -> None:
    assert cli.main(["--self-test"]) == 0
    assert "self-test passed" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["run"], []])
def test_run_without_a_display_says_so(argv: list[str], tmp_path: Path,
                                       cli_env: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        cli_env.delenv(name, raising=False)
    assert cli.main(["--db", str(tmp_path / "x.ccdb"), *argv]) == 1
    line = _one_line_refusal(capsys.readouterr().err)
    assert "display" in line.lower()
    assert "screenshot" in line
    assert not (tmp_path / "x.ccdb").exists()
