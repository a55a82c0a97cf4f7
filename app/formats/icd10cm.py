"""ICD-10-CM tabular list (CMS/NCHS XML "icd10cm_tabular_YYYY.xml") → plain entries.

The tabular's XML (root `ICD10CM.tabular`) nests `chapter` → `section` (a block of
categories, id "A00-A09") → `diag` (category "A00", subcategories "A00.0", codes "A00.1"…),
each with `name`, `desc` and the instructional notes a coder reads: `includes`,
`inclusionTerm`, `excludes1`, `excludes2`, `codeFirst`, `useAdditionalCode`, `codeAlso`,
`notes`, and `sevenChrNote`/`sevenChrDef` (the 7th characters that extend every code below
that element; ICD-10-CM Official Guidelines I.A.5 and I.B.1, placeholder "X" I.A.4). A
`diag` without child `diag`s is a billable code, unless a 7th character applies to it: then
its extensions ("S72.001A") are the billable codes. Not every combination of code and 7th
character exists; the CMS code list that comes with a release says which do.

The FY2026 tabular (with its April 1, 2026 update) and its code list ship inside the
`simple-icd-10-cm` package (MIT); `bundled_tabular()` reads them from there. We read the XML
with `xml.etree` rather than through that package's API: importing the package builds its
whole tree of Python objects (measured 2.1 s) and joins the notes into strings, while reading
the XML here (parse 0.3-0.5 s, walk and rules 0.5 s) keeps every note as its own line. The
tests check this reading against the package's own answers (codes, parents, leaves,
descriptions, notes).

Codes are stored without the dot. Chapters are "1".."22", blocks keep their range
("A00-A09"; a block of a single category, which the XML names like the category itself, is
"B10-B10" so it cannot collide with the category "B10").

Sex and age edits (`EDIT_RULES`) are data: which codes the code set marks as maternity,
newborn, perinatal, male-only or female-only, with the source of each.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import unicodedata
import xml.etree.ElementTree as ET  # noqa: S405 - the bundled CMS file, or one the admin chose
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from app.errors import UserError

CHAPTER = "chapter"
BLOCK = "block"
CATEGORY = "category"
SUBCATEGORY = "subcategory"
EXTENSION = "extension"
KINDS = (CHAPTER, BLOCK, CATEGORY, SUBCATEGORY, EXTENSION)

# XML element → key of DiagnosisCode.notes (app/models/codes.py), in the order a coder reads.
NOTE_ELEMENTS: dict[str, str] = {
    "includes": "includes",
    "inclusionTerm": "inclusion_terms",
    "excludes1": "excludes1",
    "excludes2": "excludes2",
    "codeFirst": "code_first",
    "useAdditionalCode": "use_additional",
    "codeAlso": "code_also",
    "notes": "notes",
}
NOTE_KEYS = (*NOTE_ELEMENTS.values(), "seven_chr_note")

BUNDLED_PACKAGE = "simple_icd_10_cm"
BUNDLED_DATA = "data"
_TABULAR_NAME = re.compile(r"icd10c-tabular-([A-Za-z]+)-(\d{1,2})-(\d{4})\.xml$")
_CODE_LIST_NAME = re.compile(r"code-list-.*\.txt$")


class TabularError(UserError):
    """The tabular file cannot be read; the message names the file and what is wrong."""


# --- sex and age edits ---------------------------------------------------------------------------
@dataclass(frozen=True)
class EditRule:
    """Codes from `first` to `last` (dotless prefixes of equal length, compared as text) carry
    this sex/age condition. The most specific rule (longest prefix) wins."""

    name: str
    first: str
    last: str
    sex: str = ""  # "M", "F" or "" for either
    age_min: int | None = None  # years, inclusive
    age_max: int | None = None
    source: str = ""

    def covers(self, code: str) -> bool:
        n = len(self.first)
        return len(code) >= n and self.first <= code[:n] <= self.last


MATERNITY = "maternity"
NEWBORN = "newborn"
PERINATAL = "perinatal"
MALE_ONLY = "male-only"
FEMALE_ONLY = "female-only"

# Where each rule comes from:
_CH15 = ("Tabular ch. 15 note: 'codes from this chapter are for use only on maternal "
         "records'; CMS Medicare Code Editor (MCE) maternity age 12-55")
_MCE_MAT = "CMS MCE maternity diagnoses (age 12-55); Official Guidelines I.C.15.b, I.C.21.c.11"
_CH16 = ("Tabular ch. 16 note: 'for use on newborn records only'; Official Guidelines "
         "I.C.16.a.4 allows P codes later in life, so no upper age: warn, do not block")
_MCE_NB = "CMS MCE newborn diagnoses (age 0); Official Guidelines I.C.16.a, I.C.21.c.12"
_TITLE_M = "Tabular title names male genital organs; CMS MCE diagnoses for males only"
_TITLE_F = "Tabular title names female genital organs; CMS MCE diagnoses for females only"

_MATERNAL_AGES = {"age_min": 12, "age_max": 55}

EDIT_RULES: tuple[EditRule, ...] = (
    # Maternity: the whole of chapter 15, and the Z codes used only on the mother's record.
    EditRule(MATERNITY, "O00", "O9A", "F", **_MATERNAL_AGES, source=_CH15),
    EditRule(MATERNITY, "Z33", "Z34", "F", **_MATERNAL_AGES, source=_MCE_MAT),
    EditRule(MATERNITY, "Z36", "Z37", "F", **_MATERNAL_AGES, source=_MCE_MAT),
    EditRule(MATERNITY, "Z39", "Z39", "F", **_MATERNAL_AGES, source=_MCE_MAT),
    EditRule(MATERNITY, "Z3A", "Z3A", "F", **_MATERNAL_AGES, source=_MCE_MAT),
    # Newborn: the birth record and newborn-only encounters.
    EditRule(PERINATAL, "P00", "P96", "", 0, None, source=_CH16),
    EditRule(NEWBORN, "Z38", "Z38", "", 0, 0, source=_MCE_NB),
    EditRule(NEWBORN, "Z05", "Z05", "", 0, 0, source=_MCE_NB),
    EditRule(NEWBORN, "Z0011", "Z0011", "", 0, 0, source=_MCE_NB + " (newborn health exam)"),
    # Male only.
    EditRule(MALE_ONLY, "C60", "C63", "M", source=_TITLE_M + " (block C60-C63)"),
    EditRule(MALE_ONLY, "D074", "D076", "M", source=_TITLE_M + " (carcinoma in situ)"),
    EditRule(MALE_ONLY, "D29", "D29", "M", source=_TITLE_M),
    EditRule(MALE_ONLY, "D40", "D40", "M", source=_TITLE_M),
    EditRule(MALE_ONLY, "E29", "E29", "M", source="Tabular: testicular dysfunction; MCE"),
    EditRule(MALE_ONLY, "N40", "N53", "M", source=_TITLE_M + " (block N40-N53)"),
    EditRule(MALE_ONLY, "Q53", "Q55", "M", source=_TITLE_M + " (congenital, Q53-Q55)"),
    EditRule(MALE_ONLY, "R86", "R86", "M", source=_TITLE_M + " (specimen findings)"),
    EditRule(MALE_ONLY, "Z125", "Z125", "M", source="Tabular: screening of prostate; MCE"),
    EditRule(MALE_ONLY, "Z1271", "Z1271", "M", source="Tabular: screening of testis; MCE"),
    EditRule(MALE_ONLY, "Z1503", "Z1503", "M", source="Tabular: susceptibility, prostate"),
    EditRule(MALE_ONLY, "Z8545", "Z8548", "M", source="Tabular: history, male genital organs"),
    EditRule(MALE_ONLY, "Z8549", "Z8549", "M", source="Tabular: history, male genital organs"),
    # Female only.
    EditRule(FEMALE_ONLY, "C51", "C58", "F", source=_TITLE_F + " (block C51-C58)"),
    EditRule(FEMALE_ONLY, "D06", "D06", "F", source=_TITLE_F + " (cervix uteri)"),
    EditRule(FEMALE_ONLY, "D070", "D073", "F", source=_TITLE_F + " (carcinoma in situ)"),
    EditRule(FEMALE_ONLY, "D25", "D28", "F", source=_TITLE_F + " (uterus, ovary, other)"),
    EditRule(FEMALE_ONLY, "D39", "D39", "F", source=_TITLE_F),
    EditRule(FEMALE_ONLY, "E28", "E28", "F", source="Tabular: ovarian dysfunction; MCE"),
    EditRule(FEMALE_ONLY, "F53", "F53", "F", source="Tabular: disorders of the puerperium"),
    EditRule(FEMALE_ONLY, "N70", "N77", "F", source="Tabular block N70-N77: female pelvic "
                                                    "organs; MCE"),
    EditRule(FEMALE_ONLY, "N80", "N98", "F", source="Tabular block N80-N98: female genital "
                                                    "tract; MCE"),
    EditRule(FEMALE_ONLY, "N992", "N993", "F", source="Tabular: vagina, vaginal vault"),
    EditRule(FEMALE_ONLY, "Q50", "Q52", "F", source=_TITLE_F + " (congenital, Q50-Q52)"),
    EditRule(FEMALE_ONLY, "R87", "R87", "F", source=_TITLE_F + " (specimen findings)"),
    EditRule(FEMALE_ONLY, "Z0141", "Z0141", "F", source="Tabular: gynecological exam; MCE"),
    EditRule(FEMALE_ONLY, "Z124", "Z124", "F", source="Tabular: screening of cervix; MCE"),
    EditRule(FEMALE_ONLY, "Z1272", "Z1273", "F", source="Tabular: screening, vagina/ovary"),
    EditRule(FEMALE_ONLY, "Z1502", "Z1502", "F", source="Tabular: susceptibility, ovary"),
    EditRule(FEMALE_ONLY, "Z1504", "Z1504", "F", source="Tabular: susceptibility, endometrium"),
    EditRule(FEMALE_ONLY, "Z320", "Z320", "F", source="Tabular: pregnancy test; MCE"),
    EditRule(FEMALE_ONLY, "Z4002", "Z4003", "F", source="Tabular: removal of ovary/tube"),
    EditRule(FEMALE_ONLY, "Z8540", "Z8544", "F", source="Tabular: history, female genital"),
    EditRule(FEMALE_ONLY, "Z854A", "Z854A", "F", source="Tabular: history, fallopian tube"),
    EditRule(FEMALE_ONLY, "Z875", "Z875", "F", source="Tabular: history of pregnancy "
                                                      "complications; MCE"),
    EditRule(FEMALE_ONLY, "Z9071", "Z9072", "F", source="Tabular: absence of uterus/ovaries"),
    # Breast cancer is split by sex at the 5th character: C50.x1 female, C50.x2 male.
    *(EditRule(FEMALE_ONLY, f"C50{site}1", f"C50{site}1", "F",
               source="Tabular: C50 subcodes '..., female'") for site in "012345689"),
    *(EditRule(MALE_ONLY, f"C50{site}2", f"C50{site}2", "M",
               source="Tabular: C50 subcodes '..., male'") for site in "012345689"),
)


def edit_rule_for(code: str, last: str = "") -> EditRule | None:
    """The most specific rule covering a dotless code, or, for a block or chapter spanning
    `code`..`last`, the rule covering both ends (a block partly covered gets none)."""
    found = [r for r in _rules_near(code[:3]) if r.covers(code) and (not last or r.covers(last))]
    return max(found, key=lambda r: len(r.first), default=None)


@cache
def _rules_near(category: str) -> tuple[EditRule, ...]:
    """The rules that may cover codes of one category (a load asks ~98,000 times)."""
    return tuple(r for r in EDIT_RULES if r.first[:3] <= category <= r.last[:3])


# --- search words ------------------------------------------------------------------------------
_WORD = re.compile(r"[a-z0-9]+")


def search_words(text: str) -> list[str]:
    """Lower-case ASCII words as search matches them: accents dropped ("Ménière" → meniere),
    apostrophes joined ("Crohn's" → crohns), other punctuation splits ("T-cell" → t, cell).
    The index and typed queries both go through this function."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _WORD.findall(plain.lower().replace("'", ""))


# --- reading -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Icd10Entry:
    """One row of the tabular: a chapter, block, category, subcategory or 7th-character
    extension. `notes` maps keys of NOTE_KEYS to their lines (empty keys left out)."""

    code: str
    kind: str
    description: str
    billable: bool
    parent: str
    chapter: str
    block: str
    notes: dict[str, list[str]] = field(default_factory=dict)
    sex: str = ""
    age_min: int | None = None
    age_max: int | None = None
    edit_rule: str = ""


@dataclass(frozen=True)
class Tabular:
    """A whole release: its fiscal year (from `<version>`), the SHA-256 of the XML, and every
    entry in tabular order."""

    fiscal_year: int
    sha256: str
    entries: list[Icd10Entry]

    @property
    def billable_count(self) -> int:
        return sum(1 for e in self.entries if e.billable)


def dotless(name: str) -> str:
    return name.replace(".", "").strip().upper()


def _lines(el: ET.Element, where: str) -> list[str]:
    out = []
    for note in el:
        text = " ".join((note.text or "").split())
        if not text:
            raise TabularError(f"{where}: an empty <{el.tag}> note; the file is damaged.")
        out.append(text)
    return out


def _text(el: ET.Element, tag: str, where: str) -> str:
    child = el.find(tag)
    text = " ".join((child.text or "").split()) if child is not None else ""
    if not text:
        raise TabularError(f"{where} has no <{tag}>; the file is damaged or not an ICD-10-CM "
                           "tabular.")
    return text


@dataclass
class _Walk:
    """State of one pass over the XML."""

    valid: set[str] | None
    entries: list[Icd10Entry] = field(default_factory=list)

    def add(self, code: str, kind: str, description: str, billable: bool, parent: str,
            chapter: str, block: str, notes: dict[str, list[str]],
            rule: EditRule | None) -> None:
        self.entries.append(Icd10Entry(
            code, kind, description, billable, parent, chapter, block, notes,
            rule.sex if rule else "", rule.age_min if rule else None,
            rule.age_max if rule else None, rule.name if rule else ""))


def _notes(el: ET.Element, where: str) -> dict[str, list[str]]:
    notes: dict[str, list[str]] = {}
    for child in el:
        key = NOTE_ELEMENTS.get(child.tag)
        if key:
            notes.setdefault(key, []).extend(_lines(child, where))
    return notes


def _seven(el: ET.Element, where: str) -> tuple[dict[str, str], list[str]]:
    """This element's 7th characters ({char: meaning}) and the lines of its 7th-char note."""
    chars: dict[str, str] = {}
    last = ""
    for ext in el.findall("sevenChrDef/*"):
        text = " ".join((ext.text or "").split())
        if ext.tag == "extension":
            last = ext.get("char", "")
            if not last:
                raise TabularError(f"{where}: a 7th character without its letter.")
            chars[last] = text
        elif ext.tag == "note" and last and text:
            chars[last] += "/" + text  # a continuation of the previous character's meaning
    note = [" ".join((n.text or "").split()) for n in el.findall("sevenChrNote/note")]
    lines = [n for n in note if n] + [f"{c} - {m}" for c, m in chars.items()] if chars else []
    return chars, lines


def _diag(w: _Walk, el: ET.Element, parent: str, chapter: str, block: str,
          seven: dict[str, str]) -> None:
    name = _text(el, "name", f"A code under {parent}")
    code = dotless(name)
    where = f"Code {name}"
    desc = _text(el, "desc", where)
    notes = _notes(el, where)
    own_seven, seven_lines = _seven(el, where)
    if seven_lines:
        notes["seven_chr_note"] = seven_lines
    seven = own_seven or seven
    children = el.findall("diag")
    extensions = [] if children or not seven else _extensions(w, code, desc, seven)
    kind = CATEGORY if len(code) == 3 else SUBCATEGORY
    rule = edit_rule_for(code)
    w.add(code, kind, desc, not children and not extensions, parent, chapter, block, notes,
          rule)
    for child in children:
        _diag(w, child, code, chapter, block, seven)
    for ext_code, ext_desc in extensions:
        w.add(ext_code, EXTENSION, ext_desc, True, code, chapter, block, {}, rule)


def _extensions(w: _Walk, code: str, desc: str, seven: dict[str, str]) -> list[tuple[str, str]]:
    """The 7th-character codes of a leaf: padded with the placeholder X to six characters
    (Guidelines I.A.4), kept when the release's code list has them."""
    base = code.ljust(6, "X")
    out = [(base + ch, f"{desc}, {meaning}") for ch, meaning in seven.items()]
    return [(c, d) for c, d in out if w.valid is None or c in w.valid]


def parse_tabular(xml: bytes, code_list: str | None = None, *, name: str = "tabular") -> Tabular:
    """Read a whole tabular XML. `code_list` is the release's list of codes (one per line,
    the code first, dots optional); without it every 7th-character combination is kept.
    Raises TabularError naming `name` when the file is not a readable tabular."""
    try:
        root = ET.fromstring(xml)  # noqa: S314 - CMS reference data, not untrusted input
    except ET.ParseError as exc:
        line, col = exc.position
        raise TabularError(f"{name}, line {line}, column {col}: not valid XML; the file is "
                           "damaged or not an ICD-10-CM tabular.") from None
    if root.tag != "ICD10CM.tabular":
        raise TabularError(f"{name} is not an ICD-10-CM tabular (it holds <{root.tag}>).")
    try:
        fiscal_year = int((root.findtext("version") or "").strip())
    except ValueError:
        raise TabularError(f"{name} has no <version> year; it is not an ICD-10-CM tabular.") \
            from None
    valid = None if code_list is None else {
        dotless(line.split()[0]) for line in code_list.splitlines() if line.strip()}
    w = _Walk(valid)
    try:
        for chapter_el in root.findall("chapter"):
            _chapter(w, chapter_el)
    except TabularError as exc:
        raise TabularError(f"{name}: {exc}") from None
    if not w.entries:
        raise TabularError(f"{name} has no chapters; it is not an ICD-10-CM tabular.")
    return Tabular(fiscal_year, hashlib.sha256(xml).hexdigest(), w.entries)


def _chapter(w: _Walk, el: ET.Element) -> None:
    number = _text(el, "name", "A chapter")
    where = f"Chapter {number}"
    sections = el.findall("section")
    if not sections:
        raise TabularError(f"{where} has no blocks.")
    ranges = [_block_range(s, where) for s in sections]
    w.add(number, CHAPTER, _text(el, "desc", where), False, "", number, "", _notes(el, where),
          edit_rule_for(ranges[0][0], ranges[-1][1]))
    for section, (first, last) in zip(sections, ranges, strict=True):
        block = f"{first}-{last}"
        bwhere = f"Block {block}"
        w.add(block, BLOCK, _text(section, "desc", bwhere), False, number, number, block,
              _notes(section, bwhere), edit_rule_for(first, last))
        for diag in section.findall("diag"):
            _diag(w, diag, block, number, block, {})


def _block_range(section: ET.Element, where: str) -> tuple[str, str]:
    ident = (section.get("id") or "").strip().upper()
    if not ident:
        raise TabularError(f"{where}: a block without its id.")
    first, _, last = ident.partition("-")
    return first, last or first


def _bundled_folder() -> Path:
    """The package's data folder, found without importing the package: its __init__ builds
    the package's whole code tree (2 s) that we do not use."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise TabularError("The ICD-10-CM tabular that ships with ClinicClerk is missing from "
                           "this installation (package simple-icd-10-cm). Reinstall ClinicClerk.")
    return Path(next(iter(spec.submodule_search_locations))) / BUNDLED_DATA


def bundled_files() -> tuple[Path, Path, date]:
    """The tabular XML and code list inside simple-icd-10-cm, and the date of the update the
    file name gives ("icd10c-tabular-April-1-2026.xml" → 2026-04-01)."""
    xml = code_list = None
    when = None
    for item in _bundled_folder().iterdir():
        m = _TABULAR_NAME.search(item.name)
        if m:
            xml = Path(str(item))
            month = _MONTHS.index(m[1].lower()[:3]) + 1
            when = date(int(m[3]), month, int(m[2]))
        elif _CODE_LIST_NAME.search(item.name):
            code_list = Path(str(item))
    if xml is None or code_list is None or when is None:
        raise TabularError("The ICD-10-CM tabular that ships with ClinicClerk is missing from "
                           "this installation (package simple-icd-10-cm). Reinstall ClinicClerk.")
    return xml, code_list, when


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@dataclass(frozen=True)
class BundledRelease:
    version: str
    effective_from: date
    source: str
    tabular: Tabular


def fiscal_year_start(fiscal_year: int) -> date:
    """US federal fiscal year N starts on October 1 of year N-1 (ICD-10-CM releases follow it)."""
    return date(fiscal_year - 1, 10, 1)


def release_version(fiscal_year: int, update: date | None = None) -> str:
    """'FY2026', or 'FY2026 (April 1, 2026 update)' for a mid-year update."""
    if update is None or update == fiscal_year_start(fiscal_year):
        return f"FY{fiscal_year}"
    return f"FY{fiscal_year} ({update:%B} {update.day}, {update.year} update)"


def bundled_tabular() -> BundledRelease:
    """The release that ships with the app, read from the simple-icd-10-cm package: FY2026
    with the April 1, 2026 update, in force from the fiscal year's start (2025-10-01)."""
    xml_path, list_path, update = bundled_files()
    tab = parse_tabular(xml_path.read_bytes(), list_path.read_text(encoding="utf-8"),
                        name=xml_path.name)
    return BundledRelease(release_version(tab.fiscal_year, update),
                          fiscal_year_start(tab.fiscal_year),
                          f"simple-icd-10-cm: {xml_path.name}", tab)

