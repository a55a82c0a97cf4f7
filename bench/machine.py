"""Facts about the machine and software a result was measured on (no user or host names)."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib import metadata
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _filesystem(path: Path) -> str | None:
    """The filesystem type holding `path` (tmpfs vs a disk changes what the timings mean)."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return None
    resolved = str(path.resolve())
    best = max((m for m in mounts if resolved == m[1] or resolved.startswith(m[1].rstrip("/")
                                                                             + "/")),
               key=lambda m: len(m[1]), default=None)
    return best[2] if best else None


def _sqlcipher_versions() -> dict[str, str]:
    import sqlcipher3

    conn = sqlcipher3.connect(":memory:")
    try:
        cipher = conn.execute("PRAGMA cipher_version").fetchone()
        return {"sqlcipher": cipher[0] if cipher else "unknown",
                "sqlcipher_sqlite": sqlcipher3.sqlite_version}
    finally:
        conn.close()


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine_info(workdir: Path) -> dict[str, object]:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpus_usable": cpus,
        "memory_gib": _memory_gib(),
        "workdir_filesystem": _filesystem(workdir),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        **_sqlcipher_versions(),
        "packages": {name: _version(name) for name in
                     ("clinic-clerk", "SQLAlchemy", "alembic", "sqlcipher3", "PySide6")},
    }
