"""Identifier checks a claim depends on: NPI (Luhn over 80840 + the number), EIN, ZIP, state,
taxonomy, phone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.formats import identifiers as ids

nine_digits = st.tuples(st.sampled_from("12"), st.text("0123456789", min_size=8, max_size=8)
                        ).map("".join)


def test_known_valid_npi() -> None:
    # The example NPI from the CMS check-digit paper.
    assert ids.check_npi("1234567893") is None
    assert ids.npi_check_digit("123456789") == "3"


@pytest.mark.parametrize("value", ["1234567890", "1234567894", "123456789", "12345678931",
                                   "12345678X3", "3234567893", "", "0000000000"])
def test_invalid_npis(value: str) -> None:
    assert ids.check_npi(value) is not None


@given(nine_digits)
def test_check_digit_always_makes_a_valid_npi(nine: str) -> None:
    npi = nine + ids.npi_check_digit(nine)
    assert len(npi) == 10
    assert ids.check_npi(npi) is None
    assert ids.luhn_ok("80840" + npi)


@given(nine_digits, st.integers(0, 9), st.integers(1, 9))
def test_any_single_digit_change_is_rejected(nine: str, pos: int, delta: int) -> None:
    npi = nine + ids.npi_check_digit(nine)
    changed = npi[:pos] + str((int(npi[pos]) + delta) % 10) + npi[pos + 1:]
    assert changed != npi
    assert ids.check_npi(changed) is not None


@given(nine_digits)
def test_only_one_check_digit_fits(nine: str) -> None:
    fits = [d for d in "0123456789" if ids.check_npi(nine + d) is None]
    assert fits == [ids.npi_check_digit(nine)]


def test_digits_keeps_only_digits() -> None:
    assert ids.digits("(217) 555-0100") == "2175550100"
    assert ids.digits("12-3456789") == "123456789"
    assert ids.digits("abc") == ""


@pytest.mark.parametrize(("value", "ok"), [("123456789", True), ("12345678", False),
                                           ("1234567890", False), ("12-3456789", False),
                                           ("12345678A", False)])
def test_ein(value: str, ok: bool) -> None:
    assert (ids.check_ein(value) is None) is ok


@pytest.mark.parametrize(("value", "plus4", "ok"), [
    ("62701", False, True), ("627011234", False, True), ("627011234", True, True),
    ("62701", True, False), ("6270", False, False), ("627012", False, False),
    ("6270A", False, False), ("", False, False)])
def test_zip(value: str, plus4: bool, ok: bool) -> None:
    assert (ids.check_zip(value, plus4=plus4) is None) is ok


def test_zip_plus4_message_says_what_to_do() -> None:
    msg = ids.check_zip("62701", plus4=True)
    assert msg is not None and "ZIP+4" in msg


@pytest.mark.parametrize(("value", "ok"), [("NY", True), ("DC", True), ("PR", True),
                                           ("ny", False), ("XX", False), ("N", False),
                                           ("", False)])
def test_state(value: str, ok: bool) -> None:
    assert (ids.check_state(value) is None) is ok


@pytest.mark.parametrize(("value", "ok"), [("207Q00000X", True), ("363LF0000X", True),
                                           ("207Q00000", False), ("207Q00000Y", False),
                                           ("207q00000x", False), ("A07Q00000X", False),
                                           ("207Q00000XX", False)])
def test_taxonomy(value: str, ok: bool) -> None:
    assert (ids.check_taxonomy(value) is None) is ok


def test_phone() -> None:
    assert ids.check_phone("2175550100") is None
    assert ids.check_phone("217555010") is not None
    assert ids.check_phone("") is not None
    assert ids.check_phone("", required=False) is None
    assert ids.check_phone("21755501000", required=False) is not None


def test_code_lists_have_the_common_codes() -> None:
    assert ids.PLACE_OF_SERVICE["11"] == "Office"
    assert ids.CLAIM_FILING_INDICATORS["MB"] == "Medicare Part B"
    assert "NY" in ids.US_STATES and "XX" not in ids.US_STATES
