"""Public 270 and 271 samples written by other projects (../shared/x12/, see its SOURCES.md):
every well-formed one is read, its subscribers and benefit lines found; the deliberately broken
ones are refused with the segment named. Skipped when the folder is absent (a fresh clone)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.formats.x12.segments import X12Error, interchanges
from app.formats.x12.x271 import parse_271

SHARED = Path(__file__).resolve().parents[3] / "shared" / "x12"
# Broken on purpose or by mistake in their repositories: the envelope counts or control
# numbers do not agree, or segments sit outside a transaction.
BROKEN = {"LinuxForHealth_x12__subscriber-health-benefit-check-error.271": "SE02",
          "imsweb_x12-parser__x271.txt": "SE01",
          "albmarin_badX12__errors__unknown_segment_error_270.edi": "outside any transaction"}


def samples(kind: str) -> list[Path]:
    folder = SHARED / kind
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _skip_without(kind: str) -> None:
    if not samples(kind):
        pytest.skip(f"../shared/x12/{kind} is not here")


@pytest.mark.parametrize("name", [p.name for p in samples("270")] or ["absent"])
def test_270_samples_have_sound_envelopes(name: str) -> None:
    _skip_without("270")
    data = (SHARED / "270" / name).read_bytes()
    if name in BROKEN:
        with pytest.raises(X12Error, match=BROKEN[name]):
            interchanges(data, name)
        return
    found = interchanges(data, name)
    assert [t.code for ic in found for t in ic.transactions] and all(
        t.code == "270" for ic in found for t in ic.transactions)


@pytest.mark.parametrize("name", [p.name for p in samples("271")] or ["absent"])
def test_271_samples_are_read(name: str) -> None:
    _skip_without("271")
    data = (SHARED / "271" / name).read_bytes()
    if name in BROKEN:
        with pytest.raises(X12Error, match=BROKEN[name]):
            parse_271(data, name)
        return
    parsed = parse_271(data, name)
    assert parsed.responses
    answered = [r for r in parsed.responses if r.benefits or r.rejections]
    assert answered, "every sample answers someone or rejects the inquiry"
    for r in answered:
        assert r.rejections or r.active is not None
