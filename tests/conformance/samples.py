"""The public sample X12 files beside the project (../shared/x12/<kind>/), read by the
conformance tests; every test skips cleanly when the folder is absent (a fresh clone)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.formats.x12.segments import X12Error

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "x12"


def samples(kind: str) -> list[str]:
    folder = SHARED / kind
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def read(kind: str, name: str) -> bytes:
    if not (SHARED / kind).is_dir():
        pytest.skip(f"../shared/x12/{kind} is not here")
    return (SHARED / kind / name).read_bytes()


def refused(call: Callable[[bytes, str], object], data: bytes, name: str) -> list[str]:
    """The messages of the X12Error `call` raises; each problem names the file and segment."""
    with pytest.raises(X12Error) as caught:
        call(data, name)
    assert all(p.filename == name and p.segment_id for p in caught.value.problems)
    return [p.message for p in caught.value.problems]
