"""Folding names into search keys, the prefix bound of a range scan, dates as a clerk types them."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.formats.names import fold, name_tokens, next_prefix, parse_typed_date

KEY = re.compile(r"^[a-z0-9]*$")
# Letters a clerk can type from a Western keyboard layout: Latin-1 and Latin Extended-A.
LATIN_LETTERS = [chr(cp) for cp in range(0xC0, 0x180) if chr(cp).isalpha()]


# --- fold ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "key"), [
    ("Zoë", "zoe"),
    ("ZOË", "zoe"),
    ("José", "jose"),
    ("Núñez", "nunez"),
    ("Françoise", "francoise"),
    ("Søren", "soren"),
    ("Łukasz", "lukasz"),
    ("Ærø", "aero"),
    ("Đorđević", "dordevic"),
    ("Œuvray", "oeuvray"),
    ("Þórðarson", "thordarson"),
    ("O'Neil", "oneil"),
    ("O’Neil", "oneil"),  # the typographic apostrophe a word processor puts in
    ("Smith-Jones", "smithjones"),
    ("St. John", "stjohn"),
    ("  van der Berg ", "vanderberg"),
    ("MCDONALD", "mcdonald"),
    ("Straße", "strasse"),
    ("STRASSE", "strasse"),
    ("Henry 3rd", "henry3rd"),
    ("", ""),
    ("'-. ,", ""),
])
def test_fold_examples(typed: str, key: str) -> None:
    assert fold(typed) == key


def test_fold_makes_spellings_of_one_name_equal() -> None:
    assert fold("O'Neil") == fold("oneil") == fold("O NEIL") == fold("o-neil")
    assert fold("Zoë") == fold("zoe") == fold("ZOË") == fold("Zoe\u0308")  # composed or not
    assert fold("Straße") == fold("strasse")


@pytest.mark.parametrize("letter", LATIN_LETTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_no_latin_letter_is_dropped_and_case_does_not_matter(letter: str) -> None:
    """Every letter folds to something (a dropped "đ" would make "Đorđević" unfindable by
    "dordevic") and to the same thing in upper and lower case."""
    assert fold(letter) != ""
    assert fold(letter.upper()) == fold(letter) == fold(letter.lower())


def test_capital_sharp_s_folds_like_the_small_one() -> None:
    assert fold("STRAẞE") == fold("Straße") == "strasse"


@given(st.text())
def test_fold_yields_only_ascii_letters_and_digits(text: str) -> None:
    assert KEY.match(fold(text))


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    once = fold(text)
    assert fold(once) == once


@given(st.text(alphabet=st.characters(codec="ascii")))
def test_fold_of_ascii_keeps_exactly_the_letters_and_digits(text: str) -> None:
    assert fold(text) == "".join(c for c in text.lower() if c.isascii() and c.isalnum())


# --- next_prefix ---------------------------------------------------------------------------------
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1),
       st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789"))
def test_next_prefix_bounds_every_key_with_the_prefix(prefix: str, rest: str) -> None:
    key = prefix + rest
    assert prefix <= key < next_prefix(prefix)


@given(st.text(alphabet=st.characters(max_codepoint=0xFFFF), min_size=1),
       st.text(alphabet=st.characters(max_codepoint=0xFFFF)))
def test_next_prefix_bounds_any_string_with_the_prefix(prefix: str, rest: str) -> None:
    assert prefix <= prefix + rest < next_prefix(prefix)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1),
       st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1))
def test_next_prefix_excludes_keys_without_the_prefix(prefix: str, other: str) -> None:
    """The range [prefix, next_prefix) holds exactly the strings starting with the prefix."""
    inside = prefix <= other < next_prefix(prefix)
    assert inside == other.startswith(prefix)


def test_next_prefix_examples() -> None:
    assert next_prefix("smi") == "smj"
    assert next_prefix("a") == "b"
    assert next_prefix("az") == "a{"
    assert not ("smj" < next_prefix("smi"))


# --- parse_typed_date ----------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "expected"), [
    ("03/04/1980", date(1980, 3, 4)),
    ("3/4/1980", date(1980, 3, 4)),
    ("12/31/1999", date(1999, 12, 31)),
    ("3-4-1980", date(1980, 3, 4)),
    ("3.4.1980", date(1980, 3, 4)),
    ("1980-03-04", date(1980, 3, 4)),
    ("1980-3-4", date(1980, 3, 4)),
    ("03041980", date(1980, 3, 4)),
    ("  03/04/1980 ", date(1980, 3, 4)),
    ("02/29/2024", date(2024, 2, 29)),
])
def test_dates_as_a_us_clerk_types_them(typed: str, expected: date) -> None:
    assert parse_typed_date(typed) == expected


@pytest.mark.parametrize("typed", [
    "02/30/2020",  # no such day
    "02/29/2023",  # not a leap year
    "13/01/2020",  # month 13 (a day-first date)
    "31/12/1999",
    "00/10/2000",
    "2020-13-01",
    "13012020",
    "00000000",
    "1980/03/04",
    "3/4/80",  # two-digit year: ambiguous
    "smith",
    "",
    "2125550101",
])
def test_impossible_or_unclear_dates_are_none(typed: str) -> None:
    assert parse_typed_date(typed) is None


@given(st.dates(min_value=date(1000, 1, 1)))
def test_every_date_round_trips_in_each_typed_form(d: date) -> None:
    assert parse_typed_date(f"{d.month:02d}/{d.day:02d}/{d.year}") == d
    assert parse_typed_date(f"{d.month}/{d.day}/{d.year}") == d
    assert parse_typed_date(d.isoformat()) == d
    assert parse_typed_date(f"{d.month:02d}{d.day:02d}{d.year}") == d


# --- name_tokens ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "tokens"), [
    ("O'Neil, Zoë", ["oneil", "zoe"]),
    ("Smith, Jo", ["smith", "jo"]),
    ("  jo   smith ", ["jo", "smith"]),
    ("smith,jo", ["smith", "jo"]),
    ("' , -", []),
])
def test_name_tokens(typed: str, tokens: list[str]) -> None:
    assert name_tokens(typed) == tokens
