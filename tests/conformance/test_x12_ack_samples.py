"""Public 999 and 277CA samples written by other projects (../shared/x12/, see its SOURCES.md),
read with our own readers: the accepted samples come out accepted, the rejected ones rejected
with the codes they carry, the broken one is refused with an X12Error naming the segment, and
each kind handed to the other reader (or a 277 claim status response handed to the 277CA
reader) is refused with a message saying what it is. Expectations were decided per file by
reading it; a file added later must at least parse or be refused cleanly. Assertions are on
codes and counts only, so no patient data from the samples reaches the test output. Skipped
when the shared folder is absent (a fresh clone elsewhere)."""

from __future__ import annotations

import pytest

from app.formats.x12.segments import X12Error
from app.formats.x12.x277ca import read_277ca
from app.formats.x12.x999 import read_999
from tests.conformance.samples import read, refused, samples

# Broken in their repositories: what our reader must say about them.
BROKEN = {
    # IEA02 000000001 is not ISA13 000000286; the 999 inside accepts its 837.
    "imsweb_x12-parser__x12_999_accepted.txt": ["IEA02 does not match"],
}
# 999s: per functional group answered (AK101, AK901, accepted, [(AK2 set, IK501, IK5 codes,
# [(IK301, IK302, IK304)])]).
Errors = list[tuple[str, int, str]]
Shape999 = list[tuple[str, str, bool, list[tuple[str, str, tuple[str, ...], Errors]]]]
_NONE: Errors = []
_834_OK: tuple[str, str, bool, list[tuple[str, str, tuple[str, ...], Errors]]] = (
    "BE", "A", True, [("834", "A", (), _NONE)])
SOUND_999: dict[str, Shape999] = {
    "azoner_pyx12__834_ls_le_ls_5010.999.txt": [_834_OK],
    "azoner_pyx12__834_lui_id_5010.999.txt": [_834_OK] * 4,
    "imsweb_x12-parser__x12_999_rejected.txt": [
        ("HC", "R", False, [("837", "R", ("5",), [("NM", 17, "1")])])],
}
# 277CAs: per claim (accepted, rejected, [(category, status code, entity)], has payer number).
Shape277 = list[tuple[bool, bool, list[tuple[str, str, str]], bool]]
SOUND_277CA: dict[str, Shape277] = {
    "imsweb_x12-parser__x12_277CA_accepted.txt": [(True, False, [("A2", "20", "")], True)],
    "imsweb_x12-parser__x12_277CA_rejected.txt": [(False, True, [("A7", "562", "85")], True)],
}


@pytest.mark.parametrize("name", samples("999") or ["(absent)"])
def test_999_samples(name: str) -> None:
    data = read("999", name)
    if name in BROKEN:
        messages = refused(read_999, data, name)
        assert all(any(w in m for m in messages) for w in BROKEN[name])
        return
    try:
        acks = read_999(data, name)
    except X12Error:
        assert name not in SOUND_999, "a sound sample was refused"
        return  # an unknown sample may be broken; being refused cleanly is enough
    shape = [(a.functional_id, a.status, a.accepted,
              [(t.set_id, t.status, t.errors,
                [(e.segment_id, e.segment_position, e.code) for e in t.segment_errors])
               for t in a.transactions]) for a in acks]
    if name in SOUND_999:
        assert shape == SOUND_999[name]
    assert all(a.status_words and all(t.status_words for t in a.transactions) for a in acks)


def test_the_broken_accepted_999_accepts_its_837_once_its_iea_is_mended() -> None:
    """The imsweb sample is refused for its IEA02 alone; with that one control number put right
    (in memory) its 999 reads as the acceptance it is."""
    name = "imsweb_x12-parser__x12_999_accepted.txt"
    if name not in samples("999"):
        pytest.skip("../shared/x12/999 is not here")
    mended = read("999", name).replace(b"IEA*1*000000001", b"IEA*1*000000286")
    (ack,) = read_999(mended, name)
    assert (ack.functional_id, ack.group_control, ack.status, ack.accepted) == ("HC", "17456",
                                                                               "A", True)
    (tx,) = ack.transactions
    assert (tx.set_id, tx.control, tx.accepted) == ("837", "0001", True)


@pytest.mark.parametrize("name", samples("277CA") or ["(absent)"])
def test_277ca_samples(name: str) -> None:
    data = read("277CA", name)
    try:
        reports = read_277ca(data, name)
    except X12Error:
        assert name not in SOUND_277CA, "a sound sample was refused"
        return
    shape = [(c.accepted, c.rejected, [(x.category, x.code, x.entity) for s in c.statuses
                                       for x in s.codes], bool(c.payer_claim_number))
             for r in reports for c in r.claims]
    if name in SOUND_277CA:
        assert shape == SOUND_277CA[name]
    claims = [c for r in reports for c in r.claims]
    assert claims and all(c.patient_control_number and c.status_lines() for c in claims)
    assert all(r.source is not None and r.receiver is not None for r in reports)


@pytest.mark.parametrize("name", samples("277CA") or ["(absent)"])
def test_a_277ca_handed_to_the_999_reader_is_named(name: str) -> None:
    messages = refused(read_999, read("277CA", name), name)
    assert any("277CA claim acknowledgment" in m and "not a 999" in m for m in messages)


@pytest.mark.parametrize("name", samples("999") or ["(absent)"])
def test_a_999_handed_to_the_277ca_reader_is_named(name: str) -> None:
    messages = refused(read_277ca, read("999", name), name)
    assert any("999 implementation acknowledgment, not a 277CA" in m for m in messages)


@pytest.mark.parametrize("name", samples("277_X212") or ["(absent)"])
def test_a_claim_status_response_is_not_a_277ca(name: str) -> None:
    messages = refused(read_277ca, read("277_X212", name), name)
    assert any("277 claim status response (005010X212)" in m for m in messages)
