"""Reading the ICD-10-CM tabular: the bundled FY2026 file read here agrees with the
simple-icd-10-cm package's own answers; 7th characters, kinds, blocks and chapters; the sex
and age rules; search words; damaged files."""

from __future__ import annotations

import importlib
from collections import Counter
from datetime import date
from types import ModuleType

import pytest

from app.formats import icd10cm
from app.formats.icd10cm import (
    EDIT_RULES,
    BundledRelease,
    Icd10Entry,
    TabularError,
    parse_tabular,
    search_words,
)


@pytest.fixture(scope="module")
def bundled() -> BundledRelease:
    return icd10cm.bundled_tabular()


@pytest.fixture(scope="module")
def by_code(bundled: BundledRelease) -> dict[str, Icd10Entry]:
    return {e.code: e for e in bundled.tabular.entries}


@pytest.fixture(scope="module")
def package() -> ModuleType:
    """The package's own reading of the same file (slow to import: it builds its tree)."""
    return importlib.import_module("simple_icd_10_cm.simple_icd_10_cm")


def ws(text: str) -> str:
    """Whitespace as we keep it: runs collapsed (the package keeps the XML's tabs and line
    breaks)."""
    return " ".join(text.split())


def ws_desc(text: str) -> str:
    """A description as we keep it: also no blank after the "/" that joins a 7th character's
    continuation note (the package keeps the note's leading tab there)."""
    return ws(text).replace("/ ", "/")


def package_name(e: Icd10Entry) -> str:
    """The package's name for an entry: dotted codes; a one-category block by its category."""
    if e.kind == icd10cm.BLOCK:
        first, last = e.code.split("-")
        return first if first == last else e.code
    if e.kind == icd10cm.CHAPTER:
        return e.code
    return icd10cm.dotless(e.code) if len(e.code) <= 3 else f"{e.code[:3]}.{e.code[3:]}"


# --- the bundled release ------------------------------------------------------------------------
def test_bundled_release_is_fy2026_april_update(bundled: BundledRelease) -> None:
    assert bundled.tabular.fiscal_year == 2026
    assert bundled.version == "FY2026 (April 1, 2026 update)"
    assert bundled.effective_from == date(2025, 10, 1)
    assert "icd10c-tabular-April-1-2026.xml" in bundled.source
    assert len(bundled.tabular.sha256) == 64


def test_same_entries_in_the_same_order_as_the_package(bundled: BundledRelease,
                                                       package: ModuleType) -> None:
    ours = [package_name(e) for e in bundled.tabular.entries]
    assert ours == package.get_all_codes(with_dots=True)


def test_leaves_parents_and_descriptions_agree_with_the_package(
        bundled: BundledRelease, by_code: dict[str, Icd10Entry], package: ModuleType) -> None:
    for e in bundled.tabular.entries:
        if e.kind == icd10cm.CHAPTER:
            assert package.is_chapter(e.code)
            continue
        name = package_name(e)
        as_block = e.kind == icd10cm.BLOCK
        theirs = ws(package.get_description(name, prioritize_blocks=as_block))
        assert theirs == e.description or ws_desc(theirs) == ws_desc(e.description), name
        if as_block:
            # A block is never billable, even the heading blocks with no categories under them
            # ("C00-C96 Malignant neoplasms"), which the package counts as leaves.
            assert not e.billable
        else:
            assert package.is_leaf(name) == e.billable, name
        parent = package.get_parent(name, prioritize_blocks=as_block)
        assert parent == package_name(by_code[e.parent]), name


def test_notes_agree_with_the_package(bundled: BundledRelease, package: ModuleType) -> None:
    getters = {"excludes1": package.get_excludes1, "excludes2": package.get_excludes2,
               "includes": package.get_includes, "inclusion_terms": package.get_inclusion_term}
    checked = Counter[str]()
    for e in bundled.tabular.entries:
        if e.kind in (icd10cm.CHAPTER, icd10cm.EXTENSION):
            continue
        name = package_name(e)
        for key, get in getters.items():
            theirs = [ws(n) for n in get(name, prioritize_blocks=e.kind == icd10cm.BLOCK)]
            assert e.notes.get(key, []) == theirs, (name, key)
            checked[key] += bool(theirs)
        code_first = package.get_code_first(name, prioritize_blocks=e.kind == icd10cm.BLOCK)
        assert "\n".join(e.notes.get("code_first", [])) == "\n".join(
            ws(line) for line in code_first.split("\n") if line)
    assert min(checked.values()) > 100  # every kind of note was really compared


def test_e11_excludes1_is_the_packages(by_code: dict[str, Icd10Entry],
                                       package: ModuleType) -> None:
    assert by_code["E11"].notes["excludes1"] == [ws(n) for n in package.get_excludes1("E11")]
    assert by_code["E11"].notes["excludes1"]


def test_kinds_chapters_and_blocks(bundled: BundledRelease,
                                   by_code: dict[str, Icd10Entry]) -> None:
    kinds = Counter(e.kind for e in bundled.tabular.entries)
    assert kinds[icd10cm.CHAPTER] == 22
    assert set(kinds) == set(icd10cm.KINDS)
    for e in bundled.tabular.entries:
        assert e.chapter, e.code
        assert e.block or e.kind == icd10cm.CHAPTER, e.code
        if e.kind not in (icd10cm.CHAPTER, icd10cm.BLOCK):
            assert "." not in e.code and e.block.startswith(tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    assert [by_code[str(n)].code for n in range(1, 23)] == [str(n) for n in range(1, 23)]
    e11 = by_code["E11"]
    assert (e11.kind, e11.parent, e11.block, e11.chapter) == ("category", "E08-E13", "E08-E13",
                                                             "4")
    # A block of one category cannot share the category's code.
    assert by_code["B10-B10"].kind == "block" and by_code["B10"].parent == "B10-B10"
    assert not any(e.billable for e in bundled.tabular.entries
                   if e.kind in (icd10cm.CHAPTER, icd10cm.BLOCK))


def test_seventh_characters_make_the_billable_codes(by_code: dict[str, Icd10Entry]) -> None:
    leaf = by_code["S72001"]  # fracture of unspecified part of neck of right femur
    assert not leaf.billable
    ext = by_code["S72001A"]
    assert (ext.kind, ext.parent, ext.billable) == ("extension", "S72001", True)
    assert ext.description == f"{leaf.description}, initial encounter for closed fracture"
    assert "S72001" in by_code["S72001A"].parent
    # The placeholder X pads a short code to six characters (Guidelines I.A.4).
    assert by_code["T07XXXA"].parent == "T07"
    assert any(line.startswith("A - initial encounter")
               for line in by_code["S72"].notes["seven_chr_note"])


# --- sex and age ------------------------------------------------------------------------------
@pytest.mark.parametrize(("code", "rule", "sex", "ages"), [
    ("O80", "maternity", "F", (12, 55)),
    ("O24410", "maternity", "F", (12, 55)),
    ("Z3A20", "maternity", "F", (12, 55)),
    ("P0730", "perinatal", "", (0, None)),
    ("Z3800", "newborn", "", (0, 0)),
    ("N400", "male-only", "M", (None, None)),
    ("C61", "male-only", "M", (None, None)),
    ("N800", "female-only", "F", (None, None)),
    ("N8001", "female-only", "F", (None, None)),
    ("C50011", "female-only", "F", (None, None)),
    ("C50021", "male-only", "M", (None, None)),
    ("E119", "", "", (None, None)),
    ("C50A1", "", "", (None, None)),
    ("N39", "", "", (None, None)),
])
def test_sex_and_age_rules(by_code: dict[str, Icd10Entry], code: str, rule: str, sex: str,
                           ages: tuple[int | None, int | None]) -> None:
    e = by_code[code]
    assert (e.edit_rule, e.sex, (e.age_min, e.age_max)) == (rule, sex, ages)


def test_rules_reach_extensions_blocks_and_chapters(by_code: dict[str, Icd10Entry]) -> None:
    assert by_code["O3100X0"].kind == "extension"
    assert by_code["O3100X0"].edit_rule == "maternity"
    assert by_code["15"].edit_rule == "maternity" and by_code["16"].edit_rule == "perinatal"
    assert by_code["N40-N53"].edit_rule == "male-only"
    assert by_code["N80-N98"].edit_rule == "female-only"
    assert by_code["N00-N08"].edit_rule == ""
    assert by_code["14"].edit_rule == ""  # partly sex-specific chapter: no rule for all of it


def test_every_rule_names_codes_that_exist(by_code: dict[str, Icd10Entry]) -> None:
    """A typo in the rule table would silently mark nothing."""
    for r in EDIT_RULES:
        assert r.first in by_code and r.last in by_code, r
        assert r.source
        assert r.sex in ("", "M", "F")
        assert any(e.edit_rule == r.name for e in by_code.values() if r.covers(e.code))


def test_most_specific_rule_wins() -> None:
    assert icd10cm.edit_rule_for("C50011") is not None
    assert icd10cm.edit_rule_for("C50011").sex == "F"  # type: ignore[union-attr]
    assert icd10cm.edit_rule_for("D074").sex == "M"  # type: ignore[union-attr]
    assert icd10cm.edit_rule_for("D073").sex == "F"  # type: ignore[union-attr]
    assert icd10cm.edit_rule_for("D077") is None
    assert icd10cm.edit_rule_for("C00", "C14") is None


# --- search words -------------------------------------------------------------------------------
def test_search_words_fold_case_accents_and_punctuation() -> None:
    assert search_words("Ménière's disease, LEFT ear") == ["menieres", "disease", "left", "ear"]
    assert search_words("T-cell (poly)neuropathy/B12") == ["t", "cell", "poly", "neuropathy",
                                                            "b12"]
    assert search_words("  ,;- ") == []


# --- a small tabular --------------------------------------------------------------------------
SMALL = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.tabular>
  <version>2027</version>
  <chapter>
    <name>19</name>
    <desc>Injury (S00-T88)</desc>
    <section id="S00-S09">
      <desc>Injuries to the head (S00-S09)</desc>
      <diag>
        <name>S01</name>
        <desc>Open wound of head</desc>
        <sevenChrNote><note>The appropriate 7th character is to be added</note></sevenChrNote>
        <sevenChrDef>
          <extension char="A">initial encounter</extension>
          <extension char="S">sequela</extension>
        </sevenChrDef>
        <excludes1><note>open skull fracture (S02.-)</note></excludes1>
        <diag><name>S01.0</name><desc>Open wound of scalp</desc></diag>
        <diag><name>S01.1</name><desc>Open wound of eyelid</desc></diag>
      </diag>
    </section>
    <section id="T07">
      <desc>Unspecified multiple injuries (T07)</desc>
      <diag><name>T07</name><desc>Unspecified multiple injuries</desc></diag>
    </section>
  </chapter>
</ICD10CM.tabular>
"""


def test_small_tabular_with_and_without_a_code_list() -> None:
    everything = parse_tabular(SMALL.encode())
    assert everything.fiscal_year == 2027
    codes = [e.code for e in everything.entries]
    assert codes == ["19", "S00-S09", "S01", "S010", "S010XXA", "S010XXS", "S011",
                     "S011XXA", "S011XXS", "T07-T07", "T07"]
    listed = parse_tabular(SMALL.encode(), "S010XXA Open wound of scalp, initial\nS011XXS\n")
    by = {e.code: e for e in listed.entries}
    assert set(by) == {"19", "S00-S09", "S01", "S010", "S010XXA", "S011", "S011XXS",
                       "T07-T07", "T07"}
    assert not by["S010"].billable and by["S010XXA"].billable
    assert by["T07"].billable  # no 7th character reaches it
    assert by["S01"].notes == {
        "excludes1": ["open skull fracture (S02.-)"],
        "seven_chr_note": ["The appropriate 7th character is to be added",
                           "A - initial encounter", "S - sequela"]}
    assert by["S010XXA"].description == "Open wound of scalp, initial encounter"


def test_a_code_list_dropping_every_extension_leaves_the_leaf_billable() -> None:
    by = {e.code: e for e in parse_tabular(SMALL.encode(), "S01\n").entries}
    assert by["S010"].billable and "S010XXA" not in by


@pytest.mark.parametrize(("xml", "message"), [
    (b"<ICD10CM.tabular><version>2027</version><chapter>", "line 1"),
    (b"<other/>", "not an ICD-10-CM tabular"),
    (b"<ICD10CM.tabular><chapter><name>1</name></chapter></ICD10CM.tabular>", "<version>"),
    (b"<ICD10CM.tabular><version>2027</version></ICD10CM.tabular>", "no chapters"),
    (SMALL.replace("<name>S01.1</name>", "").encode(), "no <name>"),
    (SMALL.replace("<desc>Open wound of eyelid</desc>", "").encode(), "Code S01.1 has no"),
])
def test_damaged_files_are_refused_with_where(xml: bytes, message: str) -> None:
    with pytest.raises(TabularError, match="new.xml") as err:
        parse_tabular(xml, name="new.xml")
    assert message in str(err.value)


def test_version_names() -> None:
    assert icd10cm.release_version(2027) == "FY2027"
    assert icd10cm.release_version(2027, date(2026, 10, 1)) == "FY2027"
    assert icd10cm.release_version(2026, date(2026, 4, 1)) == "FY2026 (April 1, 2026 update)"
    assert icd10cm.fiscal_year_start(2027) == date(2026, 10, 1)
