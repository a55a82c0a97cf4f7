"""Public 837P samples written by other projects (../shared/x12/837P, see SOURCES.md), checked
with validate_837p (pyx12 as a library): it never raises; the files pyx12 finds sound give no
problem; the broken ones give the problems expected of them; our collector reports exactly the
errors pyx12's own error tree holds; and no message quotes a name, address, member ID or date
of birth from the file. Expectations were decided per file by running pyx12 4.0.0 and reading
the file, not from the names alone: imsweb's "x12_valid" and "x12_no_errors" are sound for
their own parser but not for the guide (their HI segments use the 4010 layout, HI*BK*8901, and
SE01 was not updated when they were edited). The LinuxForHealth files are 005010X222A2, which
pyx12 has no map for: one clear "version" problem each. A file added later must at least not
raise. Assertions show codes and counts only. Skipped when the shared folder is absent."""

from __future__ import annotations

import io
import json
import logging
from functools import cache
from pathlib import Path

import pytest

from app.formats.x12.validate import X12Problem, validate_837p

FOLDER = Path(__file__).parents[2].parent / "shared" / "x12" / "837P"
FILES = sorted(p.name for p in FOLDER.iterdir()) if FOLDER.is_dir() else []

ALBMARIN = "albmarin_badX12__X222-"
IMSWEB = "imsweb_x12-parser__x12_"
CLEAN = {
    "UHIN_x12-parser-library__837.edi",
    *(ALBMARIN + name + ".edi" for name in (
        "COB-claim-from-billing-provider-to-payer-a", "COB-claim-from-billing-provider-to-payer-b",
        "COB-claim-from-payer-a-to-payer-b-in-payer-to-payer", "ambulance", "anesthesia",
        "chiropractic", "commercial-health-insurance", "drug-administered-in-the-physician-office",
        "encounter",
        "home-infusion-therapy-pharmacy-_adjudicated-with-HCPCS-in-loop-2400-or-NDC-in-loop-2410_",
        "home-infusion-therapy-pharmacy-_adjudicated-with-NDC-in-loop-2410_",
        "medicare-secondary-payer-COB", "out-of-network-repriced-claim", "ppo-repriced-claim")),
}
_OLD_HI = {("HI", "5"), ("HI", "7"), ("SE", "4")}  # 4010-style HI, SE01 not updated
# Broken files: (segment ID, code) pairs that must be among the problems.
BROKEN: dict[str, set[tuple[str, str]]] = {
    ALBMARIN + "oxygen.edi": {("PWK", "7")},  # PWK02 "AD" is not an X222A1 code
    ALBMARIN + "wheelchair.edi": {("PWK", "7")},
    IMSWEB + "ambiguous_loop.txt": {("HI", "SEG1"), ("SE", "4")},
    IMSWEB + "writer_test.txt": {("HI", "SEG1"), ("SE", "4")},
    IMSWEB + "bad_first_line.txt": {("", "ISA")},
    IMSWEB + "no_isa_line.txt": {("", "ISA")},
    IMSWEB + "bad_segment_identifier.txt": {("?", "1")},
    IMSWEB + "bad_valid_code.txt": {("NM1", "1"), ("NM1", "3")},
    IMSWEB + "complex.txt": {("FRM", "8"), ("GE", "5"), ("REF", "3")},
    IMSWEB + "loop_errors1_exceeds_max_1_parent.txt": {("NM1", "4")},
    IMSWEB + "loop_errors2_exceeds_max_repeats_multiple_parents.txt": {("NM1", "4")},
    IMSWEB + "loop_errors3_missing_loops.txt": {("NM1", "3")},
    IMSWEB + "many_claims.txt": _OLD_HI,
    IMSWEB + "missing_elements.txt": {("NM1", "1"), ("CLM", "8")},
    IMSWEB + "missing_required_loop_in_one_repeat.txt": {("NM1", "3")},
    IMSWEB + "missing_required_loops_mult_repeats.txt": {("LX", "3")},
    IMSWEB + "multiple_gs.txt": {("GS", "6")},
    IMSWEB + "multiple_isa.txt": _OLD_HI,
    IMSWEB + "multiple_st.txt": {("ST", "23"), ("GE", "5")},
    IMSWEB + "multiple_transactions.txt": {("ISA", "025")},
    IMSWEB + "no_errors.txt": _OLD_HI,
    IMSWEB + "segment_errors.txt": {("N3", "3"), ("REF", "5"), ("HI", "3")},
    IMSWEB + "segments_out_of_order.txt": {("N3", "1"), ("N3", "3")},
    IMSWEB + "valid.txt": _OLD_HI,
    IMSWEB + "valid_different_separators.txt": _OLD_HI,
}
OTHER_VERSION = "LinuxForHealth_x12__"  # 005010X222A2: pyx12 has no map
NOT_COMPARED = {IMSWEB + "many_claims.txt", IMSWEB + "multiple_transactions.txt"}  # slow twice


def _needs_samples() -> None:
    if not FOLDER.is_dir():
        pytest.skip("the shared X12 samples are not beside the project")


@cache
def _problems(name: str) -> tuple[X12Problem, ...]:
    return tuple(validate_837p((FOLDER / name).read_bytes()))


@pytest.mark.parametrize("name", FILES or ["(no samples)"])
def test_every_sample_validates_without_raising(name: str) -> None:
    _needs_samples()
    problems = _problems(name)
    assert all(isinstance(p, X12Problem) for p in problems)
    if name in CLEAN:
        assert problems == (), [(p.segment_id, p.code) for p in problems]
    elif name in BROKEN:
        found = {(p.segment_id, p.code) for p in problems}
        assert BROKEN[name] <= found, sorted(found)
    elif name.startswith(OTHER_VERSION):
        assert [(p.segment_id, p.code, p.claim_id) for p in problems] == [
            ("GS", "version", None)]


def test_the_expectations_cover_the_samples() -> None:
    _needs_samples()
    unknown = [n for n in FILES
               if n not in CLEAN and n not in BROKEN and not n.startswith(OTHER_VERSION)]
    assert unknown == []
    assert all(n in FILES for n in [*CLEAN, *BROKEN])


def _pyx12_error_count(text: str) -> int:
    """How many errors pyx12's own x12n_document puts in its error tree (via its JSON)."""
    import pyx12.params
    import pyx12.x12n_document

    out = io.StringIO()
    pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), io.StringIO(text), None,
                                      None, fd_json=out)
    doc = json.loads(out.getvalue())
    n = 0
    for isa in doc["interchanges"]:
        n += len(isa["errors"])
        for gs in isa["groups"]:
            n += len(gs["errors"])
            for st in gs["transactions"]:
                n += len(st["errors"])
                for seg in st["segments"]:
                    n += len(seg["errors"]) + sum(len(e["errors"]) for e in seg["elements"])
    return n


@pytest.mark.parametrize("name", [n for n in FILES if n.startswith(IMSWEB)
                                  or n.startswith(ALBMARIN) or n.startswith("UHIN")]
                         or ["(no samples)"])
def test_every_error_pyx12_holds_is_reported(name: str, caplog: pytest.LogCaptureFixture
                                             ) -> None:
    _needs_samples()
    if name in NOT_COMPARED or name in (IMSWEB + "bad_first_line.txt",
                                        IMSWEB + "no_isa_line.txt"):
        pytest.skip("compared on the smaller files only")
    caplog.set_level(logging.CRITICAL, logger="pyx12")  # its log quotes values
    text = (FOLDER / name).read_bytes().decode("ascii")
    assert len(_problems(name)) == _pyx12_error_count(text)


def _personal_values(text: str) -> set[str]:
    """Names, IDs, streets and birth dates of subscribers and patients, and the diagnosis
    codes, in a sample."""
    term = text[105]
    out: set[str] = set()
    person = False
    for raw in text.split(term):
        els = raw.strip().split(text[3])
        if els[0] == "NM1":
            person = len(els) > 1 and els[1] in ("IL", "QC")
            if person:
                out |= {e for i, e in enumerate(els) if i in (3, 4, 9)}
        elif person and els[0] in ("N3", "DMG"):
            out |= set(els[1:3] if els[0] == "N3" else els[2:3])
        elif els[0] == "HI":  # diagnoses are health information too
            out |= {c for e in els[1:] for c in e.split(text[104])}
    return {v for v in out if len(v) >= 4 and v not in ("ABK", "ABF", "BK", "BF")}


@pytest.mark.parametrize("name", sorted(BROKEN) if FOLDER.is_dir() else ["(no samples)"])
def test_messages_never_quote_patient_data(name: str) -> None:
    _needs_samples()
    text = (FOLDER / name).read_bytes().decode("ascii")
    if not text.startswith("ISA"):
        pytest.skip("no ISA to find the delimiters")
    secrets = _personal_values(text)
    assert secrets
    leaked = {s for p in _problems(name) for s in secrets if s in p.message}
    assert leaked == set(), len(leaked)
