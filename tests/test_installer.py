"""The one-folder build from build_installer.spec works: it is built with PyInstaller into a
temporary folder (never the repo's build/ or dist/), then the frozen program runs its
`--self-test` (temporary encrypted database, migrations read from the bundle, a PDF page)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "build_installer.spec"
EXE_NAME = "clinic-clerk" + (".exe" if sys.platform == "win32" else "")
BUILD_TIMEOUT_S = 900
RUN_TIMEOUT_S = 180


def isolated_env(home: Path) -> dict[str, str]:
    """A headless environment whose home and XDG folders are under `home`, so the program
    writes no log, keyring entry or data into the real user's folders."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CLINIC_CLERK_", "XDG_", "PYTHON"))}
    folders = {"HOME": home, "USERPROFILE": home, "APPDATA": home / "AppData",
               "LOCALAPPDATA": home / "LocalAppData", "XDG_DATA_HOME": home / "data",
               "XDG_CONFIG_HOME": home / "config", "XDG_CACHE_HOME": home / "cache",
               "XDG_STATE_HOME": home / "state", "XDG_RUNTIME_DIR": home / "runtime"}
    for path in folders.values():
        path.mkdir(parents=True, exist_ok=True)
    (home / "runtime").chmod(0o700)
    env.update({k: str(v) for k, v in folders.items()})
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    return env


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build once for the module; returns the path of the frozen executable."""
    base = tmp_path_factory.mktemp("installer")
    env = isolated_env(base / "home")
    env["PYINSTALLER_CONFIG_DIR"] = str(base / "pyinstaller-cache")
    proc = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(base / "dist"), "--workpath", str(base / "work"), str(SPEC)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )
    assert proc.returncode == 0, f"PyInstaller failed:\n{proc.stdout[-4000:]}{proc.stderr[-8000:]}"
    exe = base / "dist" / "clinic-clerk" / EXE_NAME
    assert exe.is_file()
    return exe


def run_built(exe: Path, tmp_path: Path, *args: str,
              extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = isolated_env(tmp_path / "home")
    env.update(extra_env or {})
    # The working directory is not the repo, so nothing can come from the source tree.
    return subprocess.run([str(exe), *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=RUN_TIMEOUT_S)


def test_self_test_passes(built: Path, tmp_path: Path) -> None:
    proc = run_built(built, tmp_path, "--self-test")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "self-test passed" in proc.stdout
    assert "Traceback" not in proc.stderr
    home = tmp_path / "home"
    assert any(home.rglob("clinic-clerk.log")), "the log should go under the given home"


def test_version(built: Path, tmp_path: Path) -> None:
    proc = run_built(built, tmp_path, "--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"ClinicClerk {__version__}"


def test_bundle_holds_migrations_and_resources_as_files(built: Path) -> None:
    internal = built.parent / "_internal"
    bundled = sorted(p.name for p in (internal / "migrations" / "versions").glob("*.py"))
    in_repo = sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))
    assert bundled == in_repo
    assert (internal / "migrations" / "env.py").is_file()
    assert (internal / "migrations" / "script.py.mako").is_file()
    assert (internal / "resources").is_dir()


def test_bundle_leaves_out_heavy_qt_and_test_tools(built: Path) -> None:
    from PyInstaller.archive.readers import CArchiveReader

    archive = CArchiveReader(str(built))
    pyz_name = next(name for name in archive.toc if name.endswith(".pyz"))
    modules = set(archive.open_embedded_archive(pyz_name).toc)
    assert {"app.cli", "app.selftest", "sqlalchemy.dialects.sqlite.pysqlcipher",
            "keyring.backends.null", "alembic.op"} <= modules
    tops = {name.split(".")[0] for name in modules}
    assert not tops & {"pytest", "_pytest", "pytestqt", "hypothesis", "mypy", "PyInstaller",
                       "bench", "tests"}
    qt_modules = {p.name.split(".")[0] for p in (built.parent / "_internal" / "PySide6").glob(
        "Qt*.*") if p.suffix in {".so", ".pyd"}}
    assert {"QtCore", "QtGui", "QtWidgets"} <= qt_modules
    assert not {m for m in qt_modules if m.startswith(("QtWebEngine", "QtQml", "QtQuick",
                                                       "Qt3D", "QtMultimedia"))}


@pytest.mark.skipif(not (ROOT / "app" / "ui" / "screenshot.py").exists(),
                    reason="app/ui/screenshot.py is not written yet")
def test_frozen_window_renders_every_tab(built: Path, tmp_path: Path) -> None:
    """The self-test never touches Qt; this drives the real widgets inside the bundle."""
    creds = {"CLINIC_CLERK_PASSPHRASE": "installer test passphrase",
             "CLINIC_CLERK_USER": "admin", "CLINIC_CLERK_PASSWORD": "installer-test-pw-1"}
    db = tmp_path / "demo.ccdb"
    made = run_built(built, tmp_path, "--db", str(db), "demo", "--patients", "50",
                     extra_env=creds)
    assert made.returncode == 0, made.stdout + made.stderr
    shots = run_built(built, tmp_path, "--db", str(db), "screenshot", str(tmp_path / "shots"),
                      extra_env=creds)
    assert shots.returncode == 0, shots.stdout + shots.stderr
    pngs = list((tmp_path / "shots").glob("*.png"))
    assert pngs and all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
