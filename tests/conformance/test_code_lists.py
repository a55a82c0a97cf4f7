"""The older CARC, RARC and claim status lists beside the project
(../shared/reference/codes/, converted from LibreHealth; see ../shared/reference/README.md),
read with our importer: the remark list parses whole, the adjustment reason list is refused
for its two repeated codes (201 and 38, both on lines LibreHealth appended for retired codes)
and parses whole without them, each list is refused as the other kind, and every code we word
ourselves exists in them unless it is newer than the lists. Skipped when the shared folder is
absent (a fresh clone elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import UserError
from app.formats.adjustment_codes import CARC_SHORT, RARC_SHORT, read_code_list
from app.formats.fee_csv import FileProblems

CODES = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "codes"
# Codes worded in app.formats.adjustment_codes that X12 added after these lists (about 2017).
NEWER_CARC = {"288"}
NEWER_RARC = {"N781", "N782", "N807"}


def _read(name: str) -> bytes:
    path = CODES / name
    if not path.is_file():
        pytest.skip(f"../shared/reference/codes/{name} is not here")
    return path.read_bytes()


def _without_lines(data: bytes, lines: set[int]) -> bytes:
    kept = [line for n, line in enumerate(data.splitlines(keepends=True), start=1)
            if n not in lines]
    return b"".join(kept)


def test_the_remark_code_list_reads_whole() -> None:
    codes = read_code_list(_read("rarc_from_librehealth.csv"), "rarc.csv", "rarc")
    assert len(codes) == 976
    by_code = {c.code: c for c in codes}
    assert len(by_code) == 976
    assert by_code["M15"].description.startswith("Separately billed services/tests have been "
                                                 "bundled")
    assert by_code["MA130"].description.startswith("Your claim contains incomplete and/or "
                                                   "invalid information")
    assert by_code["N522"].description == ("Duplicate of a claim processed, or to be processed, "
                                           "as a crossover claim.")
    assert all(c.start is None and c.stop is None for c in codes)  # the list carries no dates
    assert set(RARC_SHORT) - set(by_code) == NEWER_RARC


def test_the_adjustment_reason_list_is_refused_for_its_repeated_codes() -> None:
    data = _read("carc_from_librehealth.csv")
    with pytest.raises(FileProblems) as caught:
        read_code_list(data, "carc.csv", "carc")
    assert [(p.line, p.column) for p in caught.value.problems] == [(243, "code"), (253, "code")]
    assert "201 is already on line 151" in caught.value.problems[0].reason
    assert "38 is already on line 252" in caught.value.problems[1].reason


def test_the_adjustment_reason_list_reads_whole_without_the_repeats() -> None:
    data = _without_lines(_read("carc_from_librehealth.csv"), {243, 253})
    codes = read_code_list(data, "carc.csv", "carc")
    assert len(codes) == 285
    by_code = {c.code: c for c in codes}
    assert by_code["45"].description.startswith("Charge exceeds fee schedule/maximum allowable")
    assert by_code["253"].description == "Sequestration - reduction in federal payment"
    assert by_code["A1"].description.startswith("Claim/Service denied.")
    assert by_code["201"].description.startswith("Patient is responsible for amount of this")
    assert {"P1", "W1", "Y3", "B23"} <= set(by_code)
    assert set(CARC_SHORT) - set(by_code) == NEWER_CARC


def test_each_list_is_refused_as_the_other_kind() -> None:
    with pytest.raises(UserError, match="looks like a list of remittance advice remark codes"):
        read_code_list(_read("rarc_from_librehealth.csv"), "rarc.csv", "carc")
    with pytest.raises(UserError, match="looks like a list of claim adjustment reason codes"):
        read_code_list(_read("carc_from_librehealth.csv"), "carc.csv", "rarc")


def test_a_claim_status_category_list_is_not_a_remark_code_list() -> None:
    # Its codes (A0-A8, E0-E4, F0, P0, R0 ...) have the shape of adjustment reason codes, so
    # as remark codes it is refused as a whole; three-character ones (F3F, F3N) are not CARCs.
    data = _read("claim_status_category_507_from_librehealth.csv")
    with pytest.raises(UserError, match="looks like a list of claim adjustment reason codes"):
        read_code_list(data, "507.csv", "rarc")
    with pytest.raises(FileProblems) as caught:
        read_code_list(data, "507.csv", "carc")
    assert {p.reason.split()[0] for p in caught.value.problems} == {"\"F3F\"", "\"F3N\""}
