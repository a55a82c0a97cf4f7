"""Why a payer paid what it did: the codes of an 835 remittance in a clerk's words, a reason
category for the work queues, and an importer for the full code lists X12 publishes.

Sources:

- X12 external code lists "Claim Adjustment Reason Codes" (code source 139, CAS02/05/08/...
  and MIA/MOA) and "Remittance Advice Remark Codes" (code source 411, LQ02 and MIA/MOA
  remarks), published at x12.org/codes/claim-adjustment-reason-codes and
  x12.org/codes/remittance-advice-remark-codes (formerly on wpc-edi.com).
- 005010X221A1 (835 Health Care Claim Payment/Advice): CAS01 claim adjustment group codes
  (element 1033; 5010 uses CO, OA, PI and PR, CR is the 4010 "corrections and reversals"
  group still seen on old remittances), LQ01 "HE" remark codes, CLP02 claim status codes
  (element 1029: 1, 2, 3, 4, 19, 20, 21, 22, 23, 25) and PLB03-1 provider adjustment reason
  codes (element 426; the 41 codes the implementation guide allows, 50 to WU).

The short wording in CARC_SHORT, RARC_SHORT, PLB_REASONS and CLP02_STATUS is our own plain
rewording of each code's meaning, not X12's text; the full X12 descriptions come only from a
list the clinic imports (`read_code_list`).

The lists X12 publishes, and what `read_code_list` reads:

- The web page saved from a browser (HTML). Each code is a table row
  ``<tr class="prod-set current|tobe|deactivated"><td class="code">45</td>
  <td class="description">Charge exceeds …<span class="dates"><br />Start: 01/01/1995 |
  Last Modified: 11/01/2015 | Stop: …<br /><i>Notes: …</i></span></td></tr>`` (the older
  wpc-edi.com page used the same cells with ``class="prod_set current"``). A table without
  those classes is read by position: code in the first cell, description in the second.
- The page copied as plain text: a code and its description on a line (tab or spaces
  between), the next line "Start: MM/DD/YYYY | Last Modified: MM/DD/YYYY | Stop: MM/DD/YYYY"
  (only Start is always there), then an optional "Notes: …" line. The page's heading and
  footer, copied along with the table, are passed over. A list with no Start lines at all
  (one "code description" per line, as older WPC text lists were) is read too.
- A CSV (or tab/semicolon separated) file whose first line names the columns: code and
  description, optionally start, last modified, stop and notes, in any order and any case
  (also "effective date", "deactivation date" and the like; other columns are read past).
  X12 sells its lists as spreadsheets to subscribers; their exact column names could not be
  checked, hence the generous column names. The older lists converted from LibreHealth
  (``code,description``, UTF-8, CRLF) are this form.

Dates are MM/DD/YYYY or YYYY-MM-DD. A code's Stop date is the last day it may be used in a
new 835 (X12: it "can no longer be used … after that date"); it still describes older
remittances and reversals, so stopped codes are kept.

Imports are all-or-nothing: every problem is collected and `FileProblems` (a UserError) names
the file and each line; nothing is returned. A code may appear once per file, except that a
row repeated word for word in the X12 page, saved or copied (a page may show a code in more
than one view), counts once. A CARC list holds 1-3 character codes (45, A1, B7, P1; codes
that look like remark codes, M…/MA…/N…, are refused); a RARC list holds M, MA or N and
digits (M15, MA130, N522). A file of the other kind is refused as a whole. UTF-8 with or
without a byte-order mark, UTF-16 with one, else Windows-1252.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

from app.errors import UserError
from app.formats.fee_csv import FileProblems, ProblemList, parse_date
from app.formats.names import fold

# --- group codes, claim status, provider adjustments ----------------------------------------
# CAS01 — Claim Adjustment Group Code.
GROUP_CODES: dict[str, str] = {
    "CO": "Contractual obligation (write off)",
    "PR": "Patient responsibility (bill the patient)",
    "OA": "Other adjustment",
    "PI": "Payer-initiated reduction (do not bill the patient)",
    "CR": "Correction or reversal of an earlier claim",
}

# CLP02 — Claim Status Code (005010X221A1 allows these ten).
CLP02_STATUS: dict[str, str] = {
    "1": "Processed as primary",
    "2": "Processed as secondary",
    "3": "Processed as tertiary",
    "4": "Denied",
    "19": "Processed as primary and forwarded to another payer",
    "20": "Processed as secondary and forwarded to another payer",
    "21": "Processed as tertiary and forwarded to another payer",
    "22": "Reversal of an earlier payment",
    "23": "Not this payer's claim; forwarded to another payer",
    "25": "Predetermination pricing only; no payment",
}

# PLB03-1 (and PLB05-1 …) — Adjustment Reason Code (element 426), the 5010 list. A negative
# PLB amount adds to the check, a positive one takes from it.
PLB_REASONS: dict[str, str] = {
    "50": "Late charge (late filing penalty)",
    "51": "Interest penalty charge",
    "72": "Authorized return (a refund you sent, acknowledged)",
    "90": "Early payment allowance",
    "AH": "Origination fee",
    "AM": "Applied to borrower's account",
    "AP": "Acceleration of benefits",
    "B2": "Rebate",
    "B3": "Recovery allowance",
    "BD": "Bad debt adjustment",
    "BN": "Bonus",
    "C5": "Temporary allowance",
    "CR": "Capitation interest",
    "CS": "Adjustment (see the reference number)",
    "CT": "Capitation payment",
    "CV": "Capital pass-through",
    "CW": "Nurse anesthetist (CRNA) pass-through",
    "DM": "Direct medical education pass-through",
    "E3": "Withholding",
    "FB": "Forwarding balance (carried to or from another remittance)",
    "FC": "Fund allocation",
    "GO": "Graduate medical education pass-through",
    "HM": "Hemophilia clotting factor supplement",
    "IP": "Incentive premium payment",
    "IR": "IRS withholding",
    "IS": "Interim settlement",
    "J1": "Nonreimbursable",
    "L3": "Penalty",
    "L6": "Interest owed (interest on late-paid claims)",
    "LE": "Levy",
    "LS": "Lump sum",
    "OA": "Organ acquisition pass-through",
    "OB": "Offset for affiliated providers",
    "PI": "Periodic interim payment",
    "PL": "Payment final",
    "RA": "Retroactive adjustment",
    "RE": "Return on equity",
    "SL": "Student loan repayment",
    "TL": "Third-party liability",
    "WO": "Overpayment recovery (money taken back for an earlier claim)",
    "WU": "Unspecified recovery",
}

# --- claim adjustment reason codes (CARC) ----------------------------------------------------
# Our short wording of the codes a small clinic sees most. Checked against the X12 list's
# meaning of each code; the full text comes from the imported list.
CARC_SHORT: dict[str, str] = {
    "1": "Deductible: the patient owes this amount",
    "2": "Coinsurance: the patient's percentage share",
    "3": "Copay: the patient's fixed share",
    "4": "Procedure code and modifier do not fit, or a modifier is missing",
    "5": "Procedure code does not fit the place of service",
    "6": "Procedure code does not fit the patient's age",
    "7": "Procedure code does not fit the patient's sex",
    "8": "Procedure code does not fit the provider's type or specialty",
    "9": "Diagnosis does not fit the patient's age",
    "10": "Diagnosis does not fit the patient's sex",
    "11": "Diagnosis does not support the procedure",
    "15": "Authorization number missing, invalid, or not for this service",
    "16": "Missing information or billing error (see the remark codes)",
    "18": "Exact duplicate of a claim or service already sent",
    "19": "Work injury: the workers' compensation carrier is liable",
    "20": "Injury covered by a liability carrier",
    "21": "Injury is the no-fault carrier's liability",
    "22": "Another payer may cover this (coordination of benefits)",
    "23": "Effect of the earlier payer's payment and adjustments",
    "24": "Covered under a capitation or managed care agreement",
    "26": "Service was before the coverage started",
    "27": "Service was after the coverage ended",
    "29": "The filing deadline has passed",
    "31": "Payer cannot identify the patient as its member",
    "32": "Dependent is not eligible under this plan",
    "33": "The subscriber has no dependent coverage",
    "34": "The subscriber has no newborn coverage",
    "35": "Lifetime benefit maximum reached",
    "39": "Authorization was denied when it was requested",
    "40": "Does not qualify as emergency or urgent care",
    "45": "Charge is above the fee schedule or contracted rate",
    "49": "Routine or preventive exam (or a screening with one) not covered",
    "50": "Payer says it is not medically necessary",
    "51": "Not covered: pre-existing condition",
    "55": "Payer deems it experimental or investigational",
    "56": "Payer deems it not proven effective",
    "58": "Place of service not appropriate or not valid for this service",
    "59": "Reduced under multiple or concurrent procedure rules",
    "66": "Blood deductible",
    "96": "Not covered (see the remark codes)",
    "97": "Included in the payment for another service already paid",
    "100": "Payment was made to the patient or insured",
    "104": "Managed care withholding",
    "107": "Related or qualifying service not identified on this claim",
    "109": "Not covered by this payer: send the claim to the right payer",
    "110": "Billing date is before the date of service",
    "119": "Benefit maximum for this period or occurrence reached",
    "129": "Earlier processing information looks wrong (see the remarks)",
    "131": "Negotiated discount for this claim",
    "136": "The prior payer's coverage rules were not followed",
    "140": "Member ID and patient name do not match",
    "142": "Monthly Medicaid patient liability amount",
    "146": "Diagnosis code not valid on the date of service",
    "149": "Lifetime maximum reached for this service or benefit category",
    "150": "Payer says the records do not support this level of service",
    "151": "Payer says the records do not support this many services",
    "152": "Payer says the records do not support this length of service",
    "167": "Diagnosis is not covered",
    "170": "Not paid when billed by this type of provider",
    "171": "Not paid for this provider type in this type of facility",
    "177": "Patient did not meet the eligibility requirements",
    "181": "Procedure code not valid on the date of service",
    "182": "Modifier not valid on the date of service",
    "183": "Referring provider may not refer this service",
    "185": "Rendering provider may not perform this service",
    "187": "Paid from a spending account (FSA, HSA or HRA)",
    "189": "Unlisted code billed where a specific code exists",
    "197": "Prior authorization or notification missing",
    "198": "Authorized services or units exceeded",
    "199": "Revenue code and procedure code do not match",
    "200": "Service during a lapse in coverage",
    "201": "Patient owes this under a set-aside arrangement",
    "204": "Not covered under the patient's current benefit plan",
    "208": "NPI does not match the payer's records",
    "226": "Information asked of the provider not sent, late or incomplete",
    "227": "Information asked of the patient not sent or incomplete",
    "234": "This procedure is not paid separately",
    "236": "Not allowed with another procedure the same day (NCCI)",
    "242": "Service not by a network or primary care provider",
    "243": "Service not authorized by the network or primary care provider",
    "251": "Attachment received was incomplete; the information is still needed",
    "252": "An attachment or other documentation is needed",
    "253": "Sequestration: federal payment reduction",
    "256": "Not payable under the managed care contract",
    "258": "Not covered while the patient is in custody",
    "272": "Coverage or program guidelines not met",
    "273": "Coverage or program guidelines exceeded",
    "288": "Referral missing",
    "A1": "Claim or service denied (see the remark codes)",
    "B7": "Provider not certified or eligible for this service on this date",
    "B9": "Patient is enrolled in hospice",
    "B11": "Sent on to the right payer; not covered by this one",
    "B13": "May have been paid already in an earlier payment",
    "B15": "Needs a qualifying service that was not received or covered",
    "B16": "New patient requirements not met",
    "B20": "Service partly or fully provided by another provider",
}

# --- remittance advice remark codes (RARC) ---------------------------------------------------
RARC_SHORT: dict[str, str] = {
    "M15": "Billed separately but bundled as parts of one procedure",
    "M20": "HCPCS code missing, incomplete or invalid",
    "M51": "Procedure code missing, incomplete or invalid",
    "M53": "Days or units of service missing or invalid",
    "M62": "Treatment authorization code missing or invalid",
    "M76": "Diagnosis missing, incomplete or invalid",
    "M80": "Not covered on the same day as a service already processed",
    "M86": "Same or similar service already paid within the time limit",
    "M119": "NDC missing, invalid, deactivated or withdrawn",
    "M127": "Medical record for this service is missing",
    "MA01": "Alert: how to appeal if you disagree with the decision",
    "MA04": "Secondary claim needs the primary payer's name or payment",
    "MA07": "Alert: claim also forwarded to Medicaid",
    "MA18": "Alert: claim also forwarded to the patient's supplemental insurer",
    "MA63": "Principal diagnosis missing or invalid",
    "MA120": "CLIA number missing or invalid",
    "MA130": "Unprocessable claim: send a new, corrected claim (no appeal)",
    "N4": "Prior insurer's EOB missing, incomplete or invalid",
    "N10": "Adjusted after a review (peer, medical or review organization)",
    "N19": "Procedure is incidental to the main procedure",
    "N20": "Not payable with another service on the same date",
    "N30": "Patient not eligible for this service",
    "N54": "Claim does not match the authorized services",
    "N56": "Procedure code not right for the service or date billed",
    "N95": "This provider type or specialty may not bill this service",
    "N115": "Decision based on a Local Coverage Determination (LCD)",
    "N130": "See the plan's benefit documents for limits on this service",
    "N174": "Not covered; the patient owes only what is shown under PR",
    "N179": "Information requested from the member; will be reconsidered",
    "N211": "Alert: this decision cannot be appealed",
    "N290": "Rendering provider ID missing or invalid",
    "N350": "Description missing for an unlisted or NOC code",
    "N362": "Days or units exceed the payer's maximum",
    "N381": "Alert: see your contract for limits on these charges",
    "N386": "Decision based on a National Coverage Determination (NCD)",
    "N432": "Alert: adjusted after a Recovery Audit",
    "N479": "Other payer's EOB missing (coordination of benefits)",
    "N519": "These modifiers are not a valid combination",
    "N522": "Duplicate of a claim sent, or to be sent, as a crossover",
    "N525": "Not covered within another service's global period",
    "N569": "Not covered for the diagnosis reported",
    "N640": "More services than allowed within the time period",
    "N657": "Bill this with the right code for the service",
    "N674": "Not covered unless a prerequisite service was provided",
    "N702": "Decided after reviewing earlier or pending similar claims",
    "N781": "Alert: Medicaid/QMB patient; do not collect the deductible",
    "N782": "Alert: Medicaid/QMB patient; do not collect the coinsurance",
    "N807": "Payment adjusted under MIPS (Merit-based Incentive Payment System)",
}


# --- reason categories for the work queues ---------------------------------------------------
@dataclass(frozen=True)
class DenialCategory:
    """A reason category: its key, what the clerk sees, and what to do next."""

    key: str
    label: str
    next_step: str


DENIAL_CATEGORIES: dict[str, DenialCategory] = {c.key: c for c in (
    DenialCategory("patient_responsibility", "Patient responsibility",
                   "Bill the patient for this amount (it goes on their next statement)"),
    DenialCategory("contractual", "Contractual adjustment",
                   "Compare with the contract rate; write off if it matches, appeal if not"),
    DenialCategory("eligibility", "Eligibility",
                   "Check coverage for the date of service (run an eligibility check) and bill "
                   "the right payer"),
    DenialCategory("coordination_of_benefits", "Other insurance (coordination of benefits)",
                   "Bill the other payer first, or send this payer the other payer's EOB"),
    DenialCategory("authorization", "Authorization or referral",
                   "Find the authorization or referral number and resubmit, or ask for a "
                   "retro-authorization and appeal"),
    DenialCategory("provider_enrollment", "Provider not eligible or enrolled",
                   "Check the provider's enrollment, NPI and taxonomy with this payer, then "
                   "resubmit"),
    DenialCategory("coding", "Coding",
                   "Check codes, modifiers and place of service against the notes; correct and "
                   "resubmit"),
    DenialCategory("missing_information", "Missing or wrong claim information",
                   "Read the remark codes; correct the claim or send the documents asked for"),
    DenialCategory("duplicate", "Duplicate",
                   "Check whether the first claim was paid; if this is another service, resubmit "
                   "with the right modifier"),
    DenialCategory("timely_filing", "Timely filing",
                   "Find proof of timely filing (the 999/277CA or print log) and appeal"),
    DenialCategory("medical_necessity", "Medical necessity",
                   "Check the diagnosis against the payer's policy; appeal with the visit notes"),
    DenialCategory("non_covered", "Not covered by the plan",
                   "Bill the patient if they signed a waiver (ABN) or the plan allows; else "
                   "write off"),
    DenialCategory("bundled", "Bundled into another service",
                   "Check modifiers (25, 59/X{EPSU}) and the related service; write off if "
                   "correct"),
    DenialCategory("other", "Other",
                   "Read the remark codes and the payer's notes; call the payer if unclear"),
)}

# Reason code → category. Decisions worth stating:
# - 16, 17 (retired), 125 (retired), 226, 227, 251, 252 and 110 are "missing_information": the
#   claim goes back out once the information or documents are supplied.
# - 58 (place of service not valid) sits with "coding" next to 5: a wrong POS on the claim is
#   the usual cause in a clinic, and the fix is a corrected claim.
# - 59 (multiple-procedure reduction), 24 (capitation) and 104 (managed care withholding) are
#   "contractual": the payer priced the service under its contract; there is nothing to chase
#   unless the rate is wrong.
# - 109 (not this payer) and 140 (ID and name do not match) are "eligibility": both are fixed
#   by checking the coverage on file. 19, 20, 21 (workers' comp, liability, no-fault), 22, 23,
#   136, 129, B9 (hospice) and B11 (sent on to the right payer) are "coordination_of_benefits":
#   another payer comes first.
# - 107 and B15 (a qualifying service is missing) are "bundled" with 97, 234 and 236: they are
#   judged against another service on the claim or in history.
# - B13 (maybe paid before) is a "duplicate"; 170, 171, 183, 185, 208, B7 concern the
#   provider's enrollment, not the patient's coverage.
# - 1, 2, 3, 66, 100 (paid to the patient), 142, 187 and 201 are the patient's; so is a
#   contractual reason under group PR, such as PR-45 (an out-of-network balance; category_of).
# - 17, 38, 57, 62 and 125 are retired but still categorized: old claims come back on appeal.
_PATIENT_SHARE = frozenset({"1", "2", "3", "66", "100", "142", "187", "201"})
CARC_CATEGORIES: dict[str, str] = {
    **{code: "patient_responsibility" for code in _PATIENT_SHARE},
    **dict.fromkeys(("24", "45", "59", "104", "131", "253"), "contractual"),
    **dict.fromkeys(("26", "27", "31", "32", "33", "34", "109", "140", "177", "200"),
                    "eligibility"),
    **dict.fromkeys(("19", "20", "21", "22", "23", "129", "136", "B9", "B11"),
                    "coordination_of_benefits"),
    **dict.fromkeys(("15", "38", "39", "62", "197", "198", "243", "288"), "authorization"),
    **dict.fromkeys(("170", "171", "183", "185", "208", "B7"), "provider_enrollment"),
    **dict.fromkeys(("4", "5", "6", "7", "8", "9", "10", "11", "12", "58", "146", "181", "182",
                     "189", "199", "B16"), "coding"),
    **dict.fromkeys(("16", "17", "110", "125", "226", "227", "251", "252"),
                    "missing_information"),
    **dict.fromkeys(("18", "B13"), "duplicate"),
    "29": "timely_filing",
    **dict.fromkeys(("40", "50", "55", "56", "57", "150", "151", "152", "167"),
                    "medical_necessity"),
    **dict.fromkeys(("35", "49", "51", "96", "119", "149", "204", "242", "256", "258", "272",
                     "273"), "non_covered"),
    **dict.fromkeys(("97", "107", "234", "236", "B15"), "bundled"),
    **dict.fromkeys(("A1", "B20"), "other"),
}


def category_of(group: str, carc: str) -> str:
    """The work-queue category key (a key of DENIAL_CATEGORIES) of a CAS group and reason.
    The reason decides, except that a contractual reason under group PR (e.g. PR-45, the
    balance of an out-of-network charge) is the patient's to pay. Unknown codes are "other"."""
    category = CARC_CATEGORIES.get(_reason(carc), "other")
    if category == "contractual" and _clean(group) == "PR":
        return "patient_responsibility"
    return category


# --- describing codes ------------------------------------------------------------------------
DESCRIPTION_LIMIT = 100  # characters of an imported description shown in a list or ledger line
# Where the X12 descriptions' technical asides begin; the clerk's line stops before them.
_ASIDE = re.compile(r"\s+(?:Usage:|Notes?:|At least one Remark Code|This change (?:to be )?"
                    r"effective)", re.IGNORECASE)


def _clean(code: str) -> str:
    return "".join(code.split()).upper()


def _reason(code: str) -> str:
    """A CARC as the lists write it: "045" → "45" (numeric codes carry no leading zeros)."""
    c = _clean(code)
    return str(int(c)) if c.isdigit() and int(c) else c


def shorten(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """An imported description cut for one line: without X12's usage notes, and at a word
    boundary with "…" when still longer than `limit`."""
    t = " ".join(text.split())
    m = _ASIDE.search(t)
    if m and m.start() > 0:
        t = t[:m.start()]
    if len(t) <= limit:
        return t
    cut = t.rfind(" ", 0, limit)
    return t[:cut if cut > limit // 2 else limit - 1].rstrip(" ,;:-") + "…"


def describe_adjustment(group: str, reason: str,
                        imported: Mapping[str, str] | None = None) -> str:
    """"<group in words>: <reason in words>" for a CAS adjustment: our short wording, else the
    imported X12 description (shortened), else a note that the code is not in the list."""
    code, grp = _reason(reason), _clean(group)
    if code in CARC_SHORT:
        words = CARC_SHORT[code]
    elif imported and imported.get(code, "").strip():
        words = shorten(imported[code])
    elif code:
        words = f"Reason code {code} (not in the code list; import the current list in Admin)"
    else:
        words = "No reason code given"
    if not grp:
        return words
    return f"{GROUP_CODES.get(grp, f'Group {grp}')}: {words}"


def describe_remark(code: str, imported: Mapping[str, str] | None = None) -> str:
    """A remark code in words: our short wording, else the imported X12 description
    (shortened), else a note that the code is not in the list."""
    c = _clean(code)
    if c in RARC_SHORT:
        return RARC_SHORT[c]
    if imported and imported.get(c, "").strip():
        return shorten(imported[c])
    return f"Remark code {c} (not in the code list; import the current list in Admin)"


# --- the importer ----------------------------------------------------------------------------
KINDS: dict[str, str] = {
    "carc": "claim adjustment reason codes (CARC)",
    "rarc": "remittance advice remark codes (RARC)",
}
# Remark codes start with M, MA or N; adjustment reason codes are 1-3 digits or a letter and
# 1-2 digits (A1, B7, P1, W1, Y1), never M or N, so the two lists cannot be mistaken.
CODE_PATTERNS: dict[str, re.Pattern[str]] = {
    "carc": re.compile(r"[1-9]\d{0,2}|[A-LO-Z]\d{1,2}"),
    "rarc": re.compile(r"(?:MA|M|N)\d{1,4}"),
}
_ANY_CODE = re.compile("|".join(p.pattern for p in CODE_PATTERNS.values()))
_EXAMPLES = {"carc": "45, A1, B7 or P1", "rarc": "M15, MA130 or N522"}
_ONE = {"carc": "claim adjustment reason code (CARC)",
        "rarc": "remittance advice remark code (RARC)"}

# Column names a CSV header may use (compared folded: lower case, letters and digits only).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "codes", "carc", "rarc", "carccode", "rarccode", "reasoncode",
             "remarkcode", "adjustmentreasoncode", "codevalue", "value"),
    "description": ("description", "desc", "descriptions", "codedescription", "definition",
                    "text", "message", "longdescription"),
    "start": ("start", "startdate", "effective", "effectivedate", "begin", "begindate"),
    "last_modified": ("lastmodified", "lastmodifieddate", "modified", "modifieddate",
                      "revised", "reviseddate"),
    "stop": ("stop", "stopdate", "deactivated", "deactivation", "deactivationdate",
             "deactivatedon", "end", "enddate", "terminationdate", "expirationdate"),
    "notes": ("notes", "note", "comments", "comment"),
}
_BY_ALIAS = {alias: name for name, aliases in _COLUMNS.items() for alias in aliases}
# An unknown column whose name says it holds a date is refused rather than read past: a stop
# date lost that way would leave retired codes looking current.
_DATE_WORDS = frozenset({"date", "start", "stop", "end", "modified", "deactivated",
                         "deactivation", "effective", "expiration", "expires", "retired"})
_COLUMN_TITLES = {"code": "code", "description": "description", "start": "start",
                  "last_modified": "last modified", "stop": "stop", "notes": "notes"}

_START_LINE = re.compile(r"start\s*:", re.IGNORECASE)
_INLINE_START = re.compile(r"\bstart\s*:\s*(?=\d)", re.IGNORECASE)
_NOTES = re.compile(r"\bnotes?\s*:\s*", re.IGNORECASE)
_DATE_LABEL = re.compile(r"\s*(?=\b(?:last\s+modified|stop)\s*:)", re.IGNORECASE)
_ENTRY_LINE = re.compile(r"(?P<code>[A-Za-z]{0,2}\d{1,4})(?:\s*[-\u2013\u2014:]\s+|\s+|$)"
                         r"(?P<text>.*)")
_HTML = re.compile(r"<\s*(?:!doctype\s+html|html|table|tr)\b", re.IGNORECASE)
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class CodeEntry:
    """One code of an imported list. `stop` is the last day the code may be used in a new
    remittance; `notes` is X12's note on the code (often which code replaces it)."""

    code: str
    description: str
    start: date | None = None
    last_modified: date | None = None
    stop: date | None = None
    notes: str = ""

    def active_on(self, day: date) -> bool:
        """Whether the code is in use on `day`: from its start date through its stop date."""
        if self.start is not None and day < self.start:
            return False
        return self.stop is None or day <= self.stop


@dataclass
class _Row:
    """A code as read, before checking; dates are still text."""

    line: int
    code: str
    description: str = ""
    start: str = ""
    last_modified: str = ""
    stop: str = ""
    notes: str = ""
    dated: bool = False  # a Start/Last Modified/Stop text was found for it
    bad_dates: str = ""  # a part of that text that is none of the three
    raw_dates: str = ""  # the Start line of a copied page, split once the row is complete


def read_code_list(data: bytes | str, filename: str, kind: str) -> list[CodeEntry]:
    """Every code of an X12 CARC or RARC list (`kind` "carc" or "rarc"), checked, in file
    order. Raises FileProblems (a UserError naming each bad line) or UserError for a file that
    cannot be read at all; nothing is returned then."""
    if kind not in KINDS:
        raise ValueError(f"kind must be 'carc' or 'rarc', not {kind!r}")
    text = _decode(data, filename) if isinstance(data, bytes) else data.lstrip("\ufeff")
    if not text.strip():
        raise UserError(f"{filename} is empty. Nothing was imported; choose the file saved "
                        f"from the X12 list of {KINDS[kind]}.")
    problems = ProblemList()
    header = None
    from_page = True  # the X12 page, saved or copied (where a row may show twice)
    if _HTML.search(text):
        rows = _read_html(text)
    elif any(_START_LINE.match(line.strip()) for line in text.splitlines()):
        rows = _read_text(text, problems)
    elif (header := _csv_header(text)) is not None:
        rows, from_page = _read_csv(text, header, problems), False
    else:
        rows, from_page = _read_text(text, problems), False
    if not rows and not problems and header is not None:
        raise UserError(f"Nothing was imported from {filename}: it has a header line but no "
                        "codes below it.")
    if not rows and not problems:
        raise UserError(f"Nothing was imported from {filename}: it holds no {KINDS[kind]}. "
                        "Choose the X12 code list page saved from the browser (or its text), "
                        "or a CSV file whose first line names the code and description "
                        "columns.")
    _check_kind(rows, kind, filename)
    entries = _entries(rows, kind, problems, from_page=from_page)
    problems.raise_for(filename)
    return entries


# --- reading the bytes -----------------------------------------------------------------------
def _decode(data: bytes, filename: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").lstrip("\ufeff")
        except UnicodeDecodeError:
            pass
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise UserError(f"{filename} is an Excel workbook, not text. Nothing was imported; "
                        "open it and save it as \"CSV UTF-8\", then import the CSV.")
    if data.startswith(b"%PDF"):
        raise UserError(f"{filename} is a PDF. Nothing was imported; save the X12 code list "
                        "page from the browser (as a web page) or copy it as text instead.")
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise UserError(f"{filename} holds binary data, not text. Nothing was imported; "
                        "choose the saved X12 page or a CSV file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; Latin-1 maps every byte.
        return data.decode("latin-1")


# --- the saved web page ----------------------------------------------------------------------
@dataclass
class _Cell:
    header: bool
    classes: frozenset[str]
    text: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)


@dataclass
class _HtmlRow:
    line: int
    cells: list[_Cell] = field(default_factory=list)


_VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "wbr", "col", "source"})


class _TableParser(HTMLParser):
    """Collects table rows: each cell's text, with what sits inside an element of class
    "dates" (X12's Start/Last Modified/Stop and Notes) kept apart; <br> becomes a new line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[_HtmlRow] = []
        self._row: _HtmlRow | None = None
        self._cell: _Cell | None = None
        self._open: list[tuple[str, bool]] = []  # elements open inside the cell: (tag, dates)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = frozenset((dict(attrs).get("class") or "").lower().split())
        if tag == "tr":
            self._end_row()
            self._row = _HtmlRow(self.getpos()[0])
        elif tag in ("td", "th") and self._row is not None:
            self._end_cell()
            self._cell = _Cell(tag == "th", classes)
            self._row.cells.append(self._cell)
        elif self._cell is not None:
            if tag == "br":
                self._add("\n")
            elif tag not in _VOID:
                self._open.append((tag, "dates" in classes))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("tr", "table", "tbody", "thead"):
            self._end_row()
        elif tag in ("td", "th"):
            self._end_cell()
        elif self._cell is not None and any(t == tag for t, _ in self._open):
            while self._open and self._open.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._add(data)

    def close(self) -> None:
        super().close()
        self._end_row()

    def _add(self, text: str) -> None:
        assert self._cell is not None
        in_dates = any(dates for _, dates in self._open)
        (self._cell.dates if in_dates else self._cell.text).append(text)

    def _end_cell(self) -> None:
        self._cell = None
        self._open = []

    def _end_row(self) -> None:
        self._end_cell()
        if self._row is not None and self._row.cells:
            self.rows.append(self._row)
        self._row = None


def _read_html(text: str) -> list[_Row]:
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    marked = [r for r in parser.rows if any("code" in c.classes for c in r.cells)]
    if marked:  # X12's layout: cells of class "code" and "description"
        return [_html_row(r.line, _classed(r, "code"), _classed(r, "description"))
                for r in marked]
    out = []
    for r in parser.rows:  # any other table: code, description by position
        cells = [c for c in r.cells if not c.header]
        if len(cells) >= 2 and _ANY_CODE.fullmatch(_cell_code(cells[0])):
            out.append(_html_row(r.line, cells[0], cells[1]))
    return out


def _classed(row: _HtmlRow, name: str) -> _Cell | None:
    return next((c for c in row.cells if name in c.classes), None)


def _cell_code(cell: _Cell | None) -> str:
    return _clean("".join(cell.text)) if cell else ""


def _html_row(line: int, code: _Cell | None, description: _Cell | None) -> _Row:
    row = _Row(line, _cell_code(code))
    if description is not None:
        _fill(row, "".join(description.text), "".join(description.dates))
    return row


def _fill(row: _Row, text: str, dates: str = "") -> None:
    """Set the description, dates and notes from a description and the text of its dates
    (which, copied or saved some ways, trails the description on the same line)."""
    if not dates:
        m = _INLINE_START.search(text)
        if m:
            text, dates = text[:m.start()], text[m.start():]
    notes = ""
    m = _NOTES.search(dates)
    if m:
        dates, notes = dates[:m.start()], dates[m.end():]
    row.description = " ".join(text.split())
    row.notes = " ".join(notes.split())
    if dates.strip():
        row.dated = True
        _split_dates(row, dates)


def _split_dates(row: _Row, text: str) -> None:
    """'Start: 01/01/1995 | Last Modified: 09/30/2007 | Stop: 07/01/2009' into the row."""
    text = _DATE_LABEL.sub(" | ", " ".join(text.split()))
    for part in filter(None, (p.strip() for p in text.split("|"))):
        label, _, value = part.partition(":")
        key = fold(label)
        name = {"start": "start", "lastmodified": "last_modified", "stop": "stop"}.get(key)
        if name is None:
            row.bad_dates = row.bad_dates or part
        else:
            setattr(row, name, value.strip())


# --- the page copied as text -----------------------------------------------------------------
def _read_text(text: str, problems: ProblemList) -> list[_Row]:
    """Codes from text: "code  description" lines, each (on the X12 page) followed by its
    Start line and maybe a Notes line. Lines above the first code and below the last are the
    page's heading and footer; any other line that fits nowhere is a problem."""
    lines = text.splitlines()
    page = any(_START_LINE.match(s.strip()) for s in lines)
    rows = _text_rows(lines, page, problems)
    for row in rows:
        notes = row.notes
        if row.raw_dates:
            _fill(row, row.description, f"{row.raw_dates}\n{notes}")
        else:
            _fill(row, row.description)
            row.notes = row.notes or " ".join(_NOTES.sub("", notes, count=1).split())
        if page and not row.dated:
            problems.add(row.line, "Start", f"code {row.code} has no \"Start: MM/DD/YYYY\" "
                                            "line below its description; copy its whole row "
                                            "from the X12 list again.")
    return rows


def _text_rows(lines: list[str], page: bool, problems: ProblemList) -> list[_Row]:
    """The codes, their description lines, and their Start and Notes lines as text."""
    rows: list[_Row] = []
    state = ""  # "desc" (reading the description), "dates", "notes"
    stray = 0  # first line since the last code that fits nowhere
    for n, raw in enumerate(lines, start=1):
        line = raw.strip()
        m = _ENTRY_LINE.fullmatch(line)
        if m and _ANY_CODE.fullmatch(m["code"].upper()):
            if stray:
                problems.add(stray, "(line)", "is not part of a code: expected a code and its "
                                              "description, its Start line or its Notes line. "
                                              "Delete the line, or copy the list again.")
                stray = 0
            rows.append(_Row(n, _clean(m["code"]), m["text"]))
            state = "dates" if _INLINE_START.search(m["text"]) else "desc"
            continue
        if not line or not rows:
            continue  # blank, or the page's heading
        row = rows[-1]
        if page and state == "desc" and _START_LINE.match(line):
            row.raw_dates, state = line, "dates"
        elif (state in ("dates", "notes") or (state == "desc" and not page)) \
                and _NOTES.match(line) and not row.notes:
            row.notes, state = line, "notes"
        elif state == "desc":
            row.description = f"{row.description} {line}"
        elif state == "notes" and not page:
            row.notes = f"{row.notes} {line}"
        elif not stray:
            stray = n  # an error only if another code follows (else it is the footer)
    return rows


# --- CSV -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Header:
    line: int
    delimiter: str
    width: int  # how many columns the header names
    index: dict[str, int]
    problems: tuple[tuple[str, str], ...]  # (column, reason)


def _csv_header(text: str) -> _Header | None:
    """The header when the first non-blank line names columns (at least a code or a
    description column); None when the file is not a CSV."""
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        counts = {d: line.count(d) for d in (",", "\t", ";")}
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
        cells = next(csv.reader([line], delimiter=delimiter), [])
        names = [_BY_ALIAS.get(fold(c)) for c in cells]
        if not any(name in ("code", "description") for name in names):
            return None
        return _header(n, delimiter, cells, names)
    return None


def _header(line: int, delimiter: str, cells: list[str], names: list[str | None]) -> _Header:
    index: dict[str, int] = {}
    problems: list[tuple[str, str]] = []
    for i, (cell, name) in enumerate(zip(cells, names, strict=True)):
        if name is None:
            if _DATE_WORDS & set(re.findall(r"[a-z]+", cell.lower())):
                problems.append((cell.strip(), "is a date column ClinicClerk does not know; "
                                               "name it start, last modified or stop."))
        elif name in index:
            problems.append((cell.strip(), "appears twice; keep one of the two columns."))
        else:
            index[name] = i
    for name in ("code", "description"):
        if name not in index:
            problems.append((name, "the file has no such column; it is required."))
    return _Header(line, delimiter, len(cells), index, tuple(problems))


def _read_csv(text: str, header: _Header, problems: ProblemList) -> list[_Row]:
    for column, reason in header.problems:
        problems.add(header.line, column, reason)
    if header.problems:
        return []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=header.delimiter, strict=True)
    rows: list[_Row] = []
    needed = max(header.index.values()) + 1
    try:
        while reader.line_num < header.line:  # up to and including the header line
            if next(reader, None) is None:
                return rows
        while True:
            start = reader.line_num + 1
            values = next(reader, None)
            if values is None:
                return rows
            if not any(v.strip() for v in values):
                continue
            cells = {name: values[i].strip() if i < len(values) else ""
                     for name, i in header.index.items()}
            row = _Row(start, _clean(cells["code"]), " ".join(cells["description"].split()),
                       cells.get("start", ""), cells.get("last_modified", ""),
                       cells.get("stop", ""), " ".join(cells.get("notes", "").split()))
            if len(values) < needed and not cells["description"]:
                problems.add(start, "(row)", f"has {len(values)} value(s) but the header has "
                                             f"{header.width} columns; check the commas or "
                                             "quotes.")
                continue
            if any(v.strip() for v in values[header.width:]):
                problems.add(start, "(row)", "has more values than the header has columns; "
                                             "put a description holding commas in quotes.")
                continue
            rows.append(row)
    except csv.Error as exc:
        problems.add(reader.line_num, "(row)", f"not valid CSV ({exc}); check the quotes.")
    return rows


# --- checking --------------------------------------------------------------------------------
def _check_kind(rows: Iterable[_Row], kind: str, filename: str) -> None:
    """Refuse a file of the other kind as a whole (one message, not one per line)."""
    other = "rarc" if kind == "carc" else "carc"
    codes = [r.code for r in rows]
    if any(CODE_PATTERNS[kind].fullmatch(c) for c in codes):
        return
    sample = next((c for c in codes if CODE_PATTERNS[other].fullmatch(c)), None)
    if sample is not None:
        raise UserError(f"{filename} looks like a list of {KINDS[other]} (it has codes such "
                        f"as {sample}), not {KINDS[kind]}. Nothing was imported; import it as "
                        f"the other list, or choose the list of {KINDS[kind]}.")


def _entries(rows: list[_Row], kind: str, problems: ProblemList, *,
             from_page: bool) -> list[CodeEntry]:
    out: list[CodeEntry] = []
    first: dict[str, tuple[int, CodeEntry]] = {}
    for row in rows:
        entry = _entry(row, kind, problems)
        if entry is None:
            continue
        seen = first.get(entry.code)
        if seen is None:
            first[entry.code] = (row.line, entry)
            out.append(entry)
        elif not (from_page and seen[1] == entry):  # a page may show a row twice, word for word
            problems.add(row.line, "code", f"{entry.code} is already on line {seen[0]}; keep one "
                                           "of the two.")
    return out


def _entry(row: _Row, kind: str, problems: ProblemList) -> CodeEntry | None:
    code = _reason(row.code) if kind == "carc" else row.code
    ok = True
    reason = _code_problem(code, kind)
    if reason:
        problems.add(row.line, "code", reason)
        ok = False
    if not row.description:
        problems.add(row.line, "description", f"code {code or '(empty)'} has no description.")
        ok = False
    if row.bad_dates:
        problems.add(row.line, "dates", f"\"{row.bad_dates}\" is not a Start, Last Modified or "
                                        "Stop date; copy the row from the X12 list again.")
        ok = False
    dates: dict[str, date | None] = {}
    for name in ("start", "last_modified", "stop"):
        text = getattr(row, name)
        try:
            dates[name] = parse_date(text) if text else None
        except ValueError as exc:
            problems.add(row.line, _COLUMN_TITLES[name], str(exc))
            ok = False
    if not ok:
        return None
    return CodeEntry(code, row.description, dates["start"], dates["last_modified"],
                     dates["stop"], row.notes)


def _code_problem(code: str, kind: str) -> str | None:
    if not code:
        return "is empty; each row needs a code."
    if CODE_PATTERNS[kind].fullmatch(code):
        return None
    other = "rarc" if kind == "carc" else "carc"
    if CODE_PATTERNS[other].fullmatch(code):
        return (f"{code} is a {_ONE[other]}, not a {_ONE[kind]}; remove the line or import it "
                "with the other list.")
    return f"\"{code}\" is not a {_ONE[kind]} such as {_EXAMPLES[kind]}."


__all__ = [
    "CARC_CATEGORIES", "CARC_SHORT", "CLP02_STATUS", "CODE_PATTERNS", "DENIAL_CATEGORIES",
    "DESCRIPTION_LIMIT", "GROUP_CODES", "KINDS", "PLB_REASONS", "RARC_SHORT", "CodeEntry",
    "DenialCategory", "FileProblems", "category_of", "describe_adjustment", "describe_remark",
    "read_code_list", "shorten",
]
