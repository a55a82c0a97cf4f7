"""Public 270 and 271 samples written by other projects (../shared/x12/, see its SOURCES.md),
read with our own 005010X279A1 reader: every sound 270 passes the envelope checks with its
hierarchy found, every sound 271 gives its subscribers, dependents and benefit lines, and the
broken ones are refused with an X12Error naming the segment, never a crash. Expectations were
decided per file by reading it; a file added later must at least parse or be refused cleanly.
Assertions are on counts and codes only, so no patient data from the samples reaches the test
output. Skipped when the shared folder is absent (a fresh clone elsewhere)."""

from __future__ import annotations

import pytest

from app.formats.x12.segments import X12Error, interchanges
from app.formats.x12.x271 import parse_271, summary_lines, to_json
from tests.conformance.samples import read, refused, samples

# Broken in their repositories, on purpose or not: what our reader must say about them.
BROKEN = {
    # HL, NM1 and HL sit between GS and ST (the file's name says so).
    "albmarin_badX12__errors__unknown_segment_error_270.edi": ["outside any transaction"],
    # SE02 4323 does not match ST02 4321.
    "LinuxForHealth_x12__subscriber-health-benefit-check-error.271": ["SE02 does not match"],
    # SE01 says 22 segments where there are 18, and IEA02 is not ISA13.
    "imsweb_x12-parser__x271.txt": ["SE01 gives 22 segments", "IEA02 does not match"],
}
# 270s: the HL level codes in order.
SOUND_270 = {
    "LinuxForHealth_x12__demo-single-line.270": ["20", "21", "22"],
    "LinuxForHealth_x12__subscriber-health-benefit-check.270": ["20", "21", "22"],
    "LinuxForHealth_x12__dependent-health-benefit-check.270": ["20", "21", "22", "23"],
    "albmarin_badX12__X279-generic-request-by-clinic-for-patient-_subscriber_-eligibility.edi":
        ["20", "21", "22"],
    "albmarin_badX12__X279-generic-request-by-physician-for-patient-_dependent_-eligibility.edi":
        ["20", "21", "22", "23"],
}
# 271s: per answer (level, EB lines, AAA codes, active).
Shape = list[tuple[str, int, tuple[str, ...], bool | None]]
_SUBSCRIBER: Shape = [("subscriber", 5, (), True)]
_DEPENDENT: Shape = [("subscriber", 0, (), None), ("dependent", 5, (), True)]
SOUND_271: dict[str, Shape] = {
    "LinuxForHealth_x12__subscriber-health-benefit-check.271": _SUBSCRIBER,
    "LinuxForHealth_x12__dependent-health-benefit-check.271": _DEPENDENT,
    "albmarin_badX12__X279-response-to-generic-request-by-clinic-for-patient-_subscriber_-"
    "eligibility.edi": _SUBSCRIBER,
    "albmarin_badX12__X279-response-to-generic-request-by-physician-for-patient-_dependent_-"
    "eligibility.edi": _DEPENDENT,
    "albmarin_badX12__X279-error-response-from-payer-to-clinic-not-eligible-for-inquiries-with-"
    "payer.edi": [("receiver", 0, ("50",), None)],
}


@pytest.mark.parametrize("name", samples("270") or ["(absent)"])
def test_270_samples(name: str) -> None:
    data = read("270", name)
    if name in BROKEN:
        messages = refused(interchanges, data, name)
        assert all(any(w in m for m in messages) for w in BROKEN[name])
        return
    try:
        (ic,) = interchanges(data, name)
    except X12Error:
        assert name not in SOUND_270, "a sound sample was refused"
        return  # an unknown sample may be broken; being refused cleanly is enough
    (tx,) = ic.transactions
    levels = [s.el(3) for s in tx.segments if s.id == "HL"]
    eq_count = sum(1 for s in tx.segments if s.id == "EQ")
    trn_count = sum(1 for s in tx.segments if s.id == "TRN" and s.el(1) == "1")
    assert (tx.code, eq_count, trn_count) == ("270", 1, 1)
    if name in SOUND_270:
        assert levels == SOUND_270[name]


@pytest.mark.parametrize("name", samples("271") or ["(absent)"])
def test_271_samples(name: str) -> None:
    data = read("271", name)
    if name in BROKEN:
        messages = refused(parse_271, data, name)
        assert all(any(w in m for m in messages) for w in BROKEN[name])
        return
    try:
        parsed = parse_271(data, name)
    except X12Error:
        assert name not in SOUND_271, "a sound sample was refused"
        return
    shape = [(r.level, len(r.benefits), tuple(x.reason_code for x in r.rejections), r.active)
             for r in parsed.responses]
    if name in SOUND_271:
        assert shape == SOUND_271[name]
    answered = sum(1 for r in parsed.responses if r.benefits or r.rejections)
    assert answered >= 1
    assert len(to_json(parsed)["responses"]) == len(parsed.responses)
    assert all(summary_lines(r) for r in parsed.responses)


def test_sound_answers_echo_the_trace_of_their_inquiry() -> None:
    """Each answered person in the sound 271s carries one TRN*2 (our 270's trace)."""
    names = [n for n, shape in SOUND_271.items() if n in samples("271")
             and any(eb for _level, eb, _aaa, _active in shape)]
    if not names:
        pytest.skip("../shared/x12/271 is not here")
    for name in names:
        parsed = parse_271(read("271", name), name)
        counts = [len(r.our_traces) for r in parsed.responses if r.benefits]
        assert counts and all(c == 1 for c in counts)
