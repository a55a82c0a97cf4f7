"""Adjustment and remark codes of an 835 (app.formats.adjustment_codes): our short wording and
its fallbacks, the work-queue category of representative codes, and the code list importer
reading each form X12 publishes (saved page, copied page text, CSV) and refusing bad files
with the file and line named."""

from __future__ import annotations

from datetime import date

import pytest

from app.errors import UserError
from app.formats import adjustment_codes as ac
from app.formats.adjustment_codes import (
    CARC_SHORT,
    CLP02_STATUS,
    DENIAL_CATEGORIES,
    GROUP_CODES,
    PLB_REASONS,
    RARC_SHORT,
    CodeEntry,
    category_of,
    describe_adjustment,
    describe_remark,
    read_code_list,
)
from app.formats.fee_csv import FileProblems

ADMIN_HINT = "not in the code list; import the current list in Admin"


# --- the wording -----------------------------------------------------------------------------
def test_group_codes_are_the_five_cas_groups() -> None:
    assert set(GROUP_CODES) == {"CO", "PR", "OA", "PI", "CR"}
    assert "write off" in GROUP_CODES["CO"]
    assert "patient" in GROUP_CODES["PR"].lower()


def test_short_wording_covers_the_common_codes_in_a_line_each() -> None:
    common = ("1 2 3 4 5 6 11 15 16 18 19 22 23 24 26 27 29 31 32 33 35 39 40 45 49 50 51 55 56 "
              "58 59 96 97 100 104 107 109 110 119 129 131 136 140 146 150 151 167 170 171 181 "
              "182 183 185 187 189 197 198 204 208 226 227 234 236 242 243 252 253 256 258 272 "
              "273 A1 B7 B9 B11 B13 B15 B16 B20").split()
    assert set(common) <= set(CARC_SHORT)
    remarks = ("M15 M20 M51 M76 M80 M86 MA01 MA04 MA07 MA18 MA130 N4 N20 N30 N56 N115 N130 N179 "
               "N211 N290 N362 N381 N386 N432 N479 N519 N522 N657 N807").split()
    assert set(remarks) <= set(RARC_SHORT)
    for table in (CARC_SHORT, RARC_SHORT, PLB_REASONS, CLP02_STATUS, GROUP_CODES):
        for code, words in table.items():
            assert words.strip() == words and 0 < len(words) <= 70, code
    assert "Sequestration" in CARC_SHORT["253"]
    assert "Deductible" in CARC_SHORT["1"] and "Coinsurance" in CARC_SHORT["2"]


def test_plb_and_claim_status_codes_are_the_835_lists() -> None:
    assert {"WO", "L6", "FB", "CS", "72", "J1", "IR", "B2", "50", "90", "AP", "BD", "C5", "E3",
            "GO", "HM", "IP", "L3", "LE", "LS", "OA", "OB", "PI", "PL", "RA", "SL", "TL",
            "WU"} <= set(PLB_REASONS)
    assert len(PLB_REASONS) == 41  # element 426 as 005010X221A1 allows it in PLB03-1
    assert set(CLP02_STATUS) == {"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"}
    assert CLP02_STATUS["4"] == "Denied" and "Reversal" in CLP02_STATUS["22"]


def test_an_adjustment_reads_group_then_reason() -> None:
    assert describe_adjustment("CO", "45") == f"{GROUP_CODES['CO']}: {CARC_SHORT['45']}"
    assert describe_adjustment(" pr ", " 1") == f"{GROUP_CODES['PR']}: {CARC_SHORT['1']}"
    assert describe_adjustment("", "045") == CARC_SHORT["45"]  # no group, leading zero
    assert describe_adjustment("XX", "2").startswith("Group XX: ")


def test_our_wording_wins_over_the_imported_list() -> None:
    imported = {"45": "Charge exceeds fee schedule/maximum allowable or contracted/legislated "
                      "fee arrangement."}
    assert describe_adjustment("CO", "45", imported).endswith(CARC_SHORT["45"])
    assert describe_remark("M15", {"M15": "X12's long text"}) == RARC_SHORT["M15"]


def test_an_imported_description_is_shortened_for_one_line() -> None:
    long = ("The procedure code is inconsistent with the patient's gender in a way that needs "
            "far more words than a ledger line can hold for it. Usage: Refer to the 835 "
            "Healthcare Policy Identification Segment (loop 2110 Service Payment Information "
            "REF), if present.")
    words = describe_adjustment("CO", "Z9", {"Z9": long})
    assert words.startswith(GROUP_CODES["CO"] + ": The procedure code is inconsistent")
    assert words.endswith("…") and "Usage" not in words
    reason = words.split(": ", 1)[1]
    assert len(reason) <= ac.DESCRIPTION_LIMIT
    assert describe_remark("N999", {"N999": "Alert: Short. Note: detail."}) == "Alert: Short."


def test_an_unknown_code_says_to_import_the_list() -> None:
    assert describe_adjustment("CO", "299") == (
        f"{GROUP_CODES['CO']}: Reason code 299 ({ADMIN_HINT})")
    assert describe_adjustment("OA", "299", {"298": "Other"}).endswith(f"({ADMIN_HINT})")
    assert describe_remark("n9999") == f"Remark code N9999 ({ADMIN_HINT})"
    assert describe_remark("N9999", {"N9999": "  "}) == f"Remark code N9999 ({ADMIN_HINT})"


# --- categories ------------------------------------------------------------------------------
@pytest.mark.parametrize(("group", "carc", "category"), [
    ("PR", "1", "patient_responsibility"), ("PR", "2", "patient_responsibility"),
    ("PR", "3", "patient_responsibility"), ("OA", "100", "patient_responsibility"),
    ("CO", "45", "contractual"), ("PR", "45", "patient_responsibility"),
    ("CO", "253", "contractual"), ("CO", "59", "contractual"),
    ("CO", "27", "eligibility"), ("CO", "31", "eligibility"), ("CO", "109", "eligibility"),
    ("OA", "23", "coordination_of_benefits"), ("CO", "22", "coordination_of_benefits"),
    ("CO", "197", "authorization"), ("CO", "15", "authorization"), ("CO", "288", "authorization"),
    ("CO", "4", "coding"), ("CO", "11", "coding"), ("CO", "181", "coding"),
    ("CO", "16", "missing_information"), ("CO", "252", "missing_information"),
    ("OA", "18", "duplicate"), ("CO", "B13", "duplicate"),
    ("CO", "29", "timely_filing"),
    ("CO", "50", "medical_necessity"), ("CO", "151", "medical_necessity"),
    ("CO", "96", "non_covered"), ("PR", "204", "non_covered"), ("CO", "119", "non_covered"),
    ("CO", "97", "bundled"), ("CO", "234", "bundled"), ("CO", "B15", "bundled"),
    ("CO", "185", "provider_enrollment"), ("CO", "A1", "other"), ("CO", "ZZZ", "other"),
    ("co", " 29 ", "timely_filing"), ("pr", "045", "patient_responsibility"),
])
def test_reason_categories(group: str, carc: str, category: str) -> None:
    assert category_of(group, carc) == category


def test_every_category_has_a_label_and_a_next_step() -> None:
    assert {"eligibility", "authorization", "coding", "missing_information", "duplicate",
            "timely_filing", "medical_necessity", "coordination_of_benefits", "non_covered",
            "bundled", "contractual", "patient_responsibility", "other"} <= set(DENIAL_CATEGORIES)
    for key, cat in DENIAL_CATEGORIES.items():
        assert cat.key == key and cat.label and cat.next_step
        assert len(cat.next_step) <= 110
    assert "timely filing" in DENIAL_CATEGORIES["timely_filing"].next_step
    assert set(ac.CARC_CATEGORIES.values()) <= set(DENIAL_CATEGORIES)
    assert set(CARC_SHORT) <= set(ac.CARC_CATEGORIES)  # every worded code is categorized


# --- CodeEntry ---------------------------------------------------------------------------------
def test_a_code_is_active_from_its_start_through_its_stop_date() -> None:
    code = CodeEntry("28", "Coverage not in effect", date(1995, 1, 1), None, date(2003, 10, 16))
    assert not code.active_on(date(1994, 12, 31))
    assert code.active_on(date(1995, 1, 1)) and code.active_on(date(2003, 10, 16))
    assert not code.active_on(date(2003, 10, 17))
    assert CodeEntry("45", "Charge exceeds", None, None, None).active_on(date(1900, 1, 1))
    with pytest.raises(AttributeError):
        code.code = "29"  # type: ignore[misc]


# --- reading: the X12 page saved as HTML -------------------------------------------------------
X12_PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>Claim Adjustment Reason Codes | X12</title></head>
<body><nav><ul><li><a href="/codes">Codes</a></li></ul></nav>
<table id="codelist" class="table">
<thead><tr><th>Code</th><th>Description</th></tr></thead>
<tbody>
<tr class="prod-set current"><td class="code">1</td><td class="description">Deductible Amount\
<span class="dates"><br />Start: 01/01/1995</span></td></tr>
<tr class="prod-set current"><td class="code">4</td><td class="description">The procedure code \
is inconsistent with the modifier used. Usage: Refer to the 835 Healthcare Policy \
Identification Segment (loop 2110 Service Payment Information REF), if present.\
<span class="dates"><br />Start: 01/01/1995 | Last Modified: 03/01/2020</span></td></tr>
<tr class="prod-set deactivated"><td class="code">28</td><td class="description">Coverage not \
in effect at the time the service was provided.<span class="dates"><br />Start: 01/01/1995 | \
Stop: 10/16/2003<br /><i>Notes: Redundant to codes 26 &amp; 27.</i></span></td></tr>
<tr class="prod-set current"><td class="code">18</td><td class="description">Exact duplicate \
claim/service (Use only with Group Code OA except where state workers&#39; compensation \
regulations requires CO)<span class="dates"><br />Start: 01/01/1995 | Last Modified: \
06/02/2013</span></td></tr>
</tbody></table>
<footer>&copy; X12</footer></body></html>
"""


def test_the_saved_x12_page_is_read_with_dates_and_notes() -> None:
    codes = read_code_list(X12_PAGE.encode("utf-8"), "carc.html", "carc")
    assert [c.code for c in codes] == ["1", "4", "28", "18"]
    assert codes[0] == CodeEntry("1", "Deductible Amount", date(1995, 1, 1), None, None)
    assert codes[1].last_modified == date(2020, 3, 1)
    assert codes[1].description.endswith("(loop 2110 Service Payment Information REF), if "
                                         "present.")
    assert codes[2].stop == date(2003, 10, 16)
    assert codes[2].notes == "Redundant to codes 26 & 27."
    assert "workers' compensation" in codes[3].description


def test_the_older_wpc_page_and_a_plain_table_are_read() -> None:
    wpc = ('<tr class="prod_set current"><td class="code">N4</td><td class="description">'
           'Missing/Incomplete/Invalid prior Insurance Carrier(s) EOB.<span class="dates"><br />'
           'Start: 01/01/1997 | Last Modified: 2008-03-01</span></td></tr>')
    assert read_code_list(wpc, "rarc.htm", "rarc") == [
        CodeEntry("N4", "Missing/Incomplete/Invalid prior Insurance Carrier(s) EOB.",
                  date(1997, 1, 1), date(2008, 3, 1), None)]
    plain = ("<html><table><tr><th>Code</th><th>Description</th></tr>"
             "<tr><td>Page 1 of 2</td><td>menu</td></tr>"
             "<tr><td>MA130</td><td>Unprocessable claim.<br>Start: 01/01/1999 | Stop: "
             "01/01/2030<br>Notes: kept</td></tr>"
             "<tr><td> M15 </td><td>Bundled.</td></tr></table></html>")
    codes = read_code_list(plain, "remarks.html", "rarc")
    assert codes == [CodeEntry("MA130", "Unprocessable claim.", date(1999, 1, 1), None,
                               date(2030, 1, 1), "kept"),
                     CodeEntry("M15", "Bundled.")]


def test_a_row_the_page_shows_twice_counts_once_unless_it_differs() -> None:
    row = ('<tr class="prod-set current"><td class="code">1</td><td class="description">'
           'Deductible Amount<span class="dates"><br />Start: 01/01/1995</span></td></tr>\n')
    assert len(read_code_list("<table>" + row + row + "</table>", "p.html", "carc")) == 1
    other = row.replace("Deductible Amount", "Deductible")
    with pytest.raises(FileProblems) as caught:
        read_code_list("<table>\n" + row + other + "</table>", "p.html", "carc")
    assert [(p.line, p.column) for p in caught.value.problems] == [(3, "code")]
    assert "1 is already on line 2" in str(caught.value)


def test_a_bad_date_on_the_page_names_the_row_line() -> None:
    page = X12_PAGE.replace("Stop: 10/16/2003", "Stop: 10/16/03")
    with pytest.raises(FileProblems) as caught:
        read_code_list(page, "carc.html", "carc")
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (9, "stop")  # the row's <tr>
    assert "\"10/16/03\" is not a date" in problem.reason
    assert str(caught.value).startswith("Nothing was imported from carc.html")


# --- reading: the page copied as text ----------------------------------------------------------
PAGE_TEXT = """Claim Adjustment Reason Codes
Last updated: see the X12 site
Code\tDescription
1\tDeductible Amount
Start: 01/01/1995
28\tCoverage not in effect at the time the service was provided.
Start: 01/01/1995 | Stop: 10/16/2003
Notes: Redundant to codes 26 and 27.
45
Charge exceeds fee schedule/maximum allowable or contracted/legislated fee arrangement.
Start: 01/01/1995 | Last Modified: 11/01/2015
B7\tThis provider was not certified/eligible to be paid for this procedure/service on this \
date of service.Start: 01/01/1997 | Last Modified: 2009-09-20
\u00a9 2025 X12. All rights reserved.
Privacy Policy
"""


def test_the_page_copied_as_text_is_read_past_its_heading_and_footer() -> None:
    codes = read_code_list(PAGE_TEXT, "carc.txt", "carc")
    assert [c.code for c in codes] == ["1", "28", "45", "B7"]
    assert codes[1] == CodeEntry("28", "Coverage not in effect at the time the service was "
                                       "provided.", date(1995, 1, 1), None, date(2003, 10, 16),
                                 "Redundant to codes 26 and 27.")
    assert codes[2].description.startswith("Charge exceeds fee schedule")  # code on its own line
    assert codes[2].last_modified == date(2015, 11, 1)
    assert codes[3].description.endswith("on this date of service.")  # dates on the same line
    assert codes[3].last_modified == date(2009, 9, 20)


def test_a_copied_code_without_its_start_line_is_refused() -> None:
    text = PAGE_TEXT.replace("Start: 01/01/1995 | Last Modified: 11/01/2015\n", "")
    with pytest.raises(FileProblems) as caught:
        read_code_list(text, "carc.txt", "carc")
    (problem,) = caught.value.problems
    assert problem.line == 9 and "code 45 has no \"Start: MM/DD/YYYY\" line" in problem.reason


def test_stray_text_between_copied_codes_is_refused() -> None:
    text = PAGE_TEXT.replace("Notes: Redundant to codes 26 and 27.\n",
                             "Notes: Redundant to codes 26 and 27.\nSubscribe to our news\n")
    with pytest.raises(FileProblems) as caught:
        read_code_list(text, "carc.txt", "carc")
    assert [(p.line, p.column) for p in caught.value.problems] == [(9, "(line)")]


def test_an_unknown_date_label_is_refused() -> None:
    text = "N4  Missing prior EOB.\nStart: 01/01/1997 | Retired: 01/01/2020\n"
    with pytest.raises(FileProblems, match="Retired: 01/01/2020") as caught:
        read_code_list(text, "rarc.txt", "rarc")
    assert caught.value.problems[0].line == 1


def test_a_plain_code_and_description_list_is_read() -> None:
    text = "1 Deductible Amount\n2\tCoinsurance Amount\nNote: the older WPC text list\n3 - Co-pay\n"
    assert read_code_list(text, "wpc.txt", "carc") == [
        CodeEntry("1", "Deductible Amount"), CodeEntry("2", "Coinsurance Amount", notes="the "
                                                       "older WPC text list"),
        CodeEntry("3", "Co-pay")]


# --- reading: CSV --------------------------------------------------------------------------------
def test_a_csv_with_columns_in_any_order_and_case() -> None:
    text = ("\ufeffDescription;CODE;Stop Date;Start Date;Last Modified;Notes;Status\r\n"
            "\"Charge exceeds fee schedule; see the contract\";45;;01/01/1995;2015-11-01;;"
            "current\r\n"
            "Coverage not in effect;28;10/16/2003;1995-01-01;;Use 26 or 27;deactivated\r\n"
            "\r\n")
    codes = read_code_list(text.encode("utf-8"), "carc.csv", "carc")
    assert codes == [
        CodeEntry("45", "Charge exceeds fee schedule; see the contract", date(1995, 1, 1),
                  date(2015, 11, 1), None),
        CodeEntry("28", "Coverage not in effect", date(1995, 1, 1), None, date(2003, 10, 16),
                  "Use 26 or 27"),
    ]


def test_the_older_code_description_csv_in_windows_1252() -> None:
    data = ("code,description\r\n"
            "N36,Claim must meet primary payer\u2019s processing requirements.\r\n"
            "MA130,\"Your claim contains incomplete and/or invalid information, and no appeal "
            "rights are afforded.\"\r\n").encode("cp1252")
    codes = read_code_list(data, "rarc.csv", "rarc")
    assert [c.code for c in codes] == ["N36", "MA130"]
    assert codes[0].description == "Claim must meet primary payer\u2019s processing requirements."
    assert codes[1].start is None and codes[1].active_on(date(2025, 1, 1))


def test_utf16_and_text_with_a_byte_order_mark_are_read() -> None:
    expected = [CodeEntry("45", "Charge exceeds fee schedule")]
    text = "code\tdescription\r\n45\tCharge exceeds fee schedule\r\n"
    assert read_code_list(text.encode("utf-16"), "carc.txt", "carc") == expected
    assert read_code_list("\ufeff" + text, "carc.txt", "carc") == expected


def test_every_bad_row_is_named_and_nothing_is_returned() -> None:
    text = ("code,description,start\n"
            "45,Charge exceeds fee schedule,01/01/1995\n"
            "N4,Prior EOB missing,\n"
            "4X,Bad code,13/45/2000\n"
            "45,Again,\n"
            ",No code,\n"
            "12,,\n"
            "16,Lacks information, see remarks,01/01/1995\n")
    with pytest.raises(FileProblems) as caught:
        read_code_list(text, "bad.csv", "carc")
    found = [(p.line, p.column) for p in caught.value.problems]
    assert found == [(3, "code"), (4, "code"), (4, "start"), (5, "code"), (6, "code"),
                     (7, "description"), (8, "(row)")]
    message = str(caught.value)
    assert message.startswith("Nothing was imported from bad.csv: it has 7 problems.")
    assert "line 3, code: N4 is a remittance advice remark code (RARC)" in message
    assert "line 4, start: \"13/45/2000\" is not a real date." in message
    assert "line 5, code: 45 is already on line 2; keep one of the two." in message
    assert "line 8, (row): has more values than the header" in message


def test_a_header_without_the_needed_columns_is_refused() -> None:
    with pytest.raises(FileProblems) as caught:
        read_code_list("Code,Effective On\n45,2020-01-01\n", "carc.csv", "carc")
    assert [(p.line, p.column) for p in caught.value.problems] == [
        (1, "Effective On"), (1, "description")]
    with pytest.raises(FileProblems, match="appears twice"):
        read_code_list("code,description,desc\n45,a,b\n", "carc.csv", "carc")
    # Other columns are read past, unless their name says they hold a date.
    assert read_code_list("Code,Description,Vendor,Category\n45,a,x,y\n", "c.csv", "carc") == [
        CodeEntry("45", "a")]
    with pytest.raises(FileProblems, match="Retired On: is a date column"):
        read_code_list("code,description,Retired On\n45,a,\n", "c.csv", "carc")


# --- refusals of a whole file ------------------------------------------------------------------
@pytest.mark.parametrize(("data", "words"), [
    (b"", "carc.csv is empty"),
    (b" \r\n\t\r\n", "carc.csv is empty"),
    (b"\xef\xbb\xbf", "carc.csv is empty"),
    (b"code,description\r\n", "a header line but no codes"),
    (b"Claim Adjustment Reason Codes\r\nNothing to see here.\r\n", "holds no claim adjustment"),
    (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
    (b"%PDF-1.7\n", "is a PDF"),
    (b"code\x00,description\x00", "binary data"),
])
def test_a_file_with_nothing_to_import_is_refused(data: bytes, words: str) -> None:
    with pytest.raises(UserError, match=words) as caught:
        read_code_list(data, "carc.csv", "carc")
    assert "carc.csv" in str(caught.value)


def test_a_list_of_the_other_kind_is_refused_as_a_whole() -> None:
    remarks = "code,description\nM15,Bundled.\nN4,Prior EOB missing.\n"
    with pytest.raises(UserError) as caught:
        read_code_list(remarks, "remarks.csv", "carc")
    assert not isinstance(caught.value, FileProblems)
    assert str(caught.value).startswith(
        "remarks.csv looks like a list of remittance advice remark codes (RARC) (it has codes "
        "such as M15), not claim adjustment reason codes (CARC). Nothing was imported")
    with pytest.raises(UserError, match="looks like a list of claim adjustment reason codes"):
        read_code_list("code,description\n45,Charge exceeds\nA1,Denied\n", "carc.csv", "rarc")


def test_codes_are_checked_against_the_kind() -> None:
    assert [c.code for c in read_code_list("code,description\n045,a\nP12,b\nY1,c\n", "c.csv",
                                           "carc")] == ["45", "P12", "Y1"]
    for bad in ("1000", "ABC", "0", "A123"):
        with pytest.raises(FileProblems, match="is not a claim adjustment reason code"):
            read_code_list(f"code,description\n45,a\n{bad},b\n", "c.csv", "carc")
    with pytest.raises(FileProblems, match="is not a remittance advice remark code"):
        read_code_list("code,description\nN4,a\nMX1,b\n", "r.csv", "rarc")


def test_the_kind_must_be_carc_or_rarc() -> None:
    with pytest.raises(ValueError, match="kind"):
        read_code_list("code,description\n45,a\n", "c.csv", "CARC")
