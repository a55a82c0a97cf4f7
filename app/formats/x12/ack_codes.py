"""Code values of the two acknowledgements a clearinghouse returns for an 837P batch, with short
plain-English words for the clerk (our own wording of the X12 code names).

999 Implementation Acknowledgment (005010X231A1): AK101 functional identifier codes (X12
element 479), IK304 implementation segment syntax error codes (620), IK403 implementation data
element syntax error codes (621), IK501 transaction set acknowledgment codes (717), IK502–IK506
implementation transaction set syntax error codes (618), AK901 functional group acknowledge
codes (715) and AK905–AK909 functional group syntax error codes (716).

277CA Claim Acknowledgment (005010X214): STC01-1/STC10-1/STC11-1 claim status category codes
(X12 external code source 507, the whole list in use), STC01-2 claim status codes (code source
508: the ~80 an acknowledgment commonly carries, not the whole list — an unlisted code reads
"claim status code N"), STC01-3 entity identifier codes (98) and STC03 action codes (306).

Accepted and rejected (005010X214 STC notes; X12 interpretation RFI 2203): the 277CA uses
only the acknowledgement categories A0–A8 and the error categories E0–E4. A claim is *rejected*
when a status carries A3 (returned as unprocessable), A4 (not found), A6 (missing information),
A7 (invalid information) or A8 (relational field in error), or its action code STC03 is "U"
(reject); it is *accepted* otherwise when a status carries A1 (received), A2 (accepted into
adjudication), A5 (split on acceptance) or A0 (forwarded to another entity, the clearinghouse's
way of saying it took the claim and passed it on). A claim with only E0–E4 or other categories
is neither: the clerk has to look.
"""

from __future__ import annotations

# --- 999 -----------------------------------------------------------------------------------------
# AK101 / GS01 — Functional Identifier Code (the kinds of group an acknowledgement may answer).
FUNCTIONAL_IDS = {
    "BE": "benefit enrollment (834)",
    "FA": "acknowledgement (999/997)",
    "HB": "eligibility response (271)",
    "HC": "health care claim (837)",
    "HI": "services review (278)",
    "HN": "claim status notification (277)",
    "HP": "claim payment advice (835)",
    "HR": "claim status request (276)",
    "HS": "eligibility inquiry (270)",
    "RA": "payment order/remittance advice (820)",
}

# IK501 — Transaction Set Acknowledgment Code.
TRANSACTION_STATUS = {
    "A": "Accepted",
    "E": "Accepted with errors noted",
    "M": "Rejected: message authentication failed",
    "R": "Rejected",
    "W": "Rejected: assurance failed validity tests",
    "X": "Rejected: content could not be analysed after decryption",
}

# AK901 — Functional Group Acknowledge Code.
GROUP_STATUS = {
    **TRANSACTION_STATUS,
    "P": "Partially accepted: at least one transaction was rejected",
}
ACCEPTED_STATUS = frozenset({"A", "E"})

# IK304 — Implementation Segment Syntax Error Code.
SEGMENT_ERRORS = {
    "1": "Segment ID not recognised",
    "2": "Segment not expected here",
    "3": "Required segment missing",
    "4": "Loop repeats more times than allowed",
    "5": "Segment repeats more times than allowed",
    "6": "Segment is not part of this transaction set",
    "7": "Segment out of order",
    "8": "Segment has element errors",
    "I4": "Segment marked 'not used' in the implementation guide is present",
    "I6": "Segment the implementation guide requires in this situation is missing",
    "I7": "Loop occurs fewer times than the implementation guide requires",
    "I8": "Segment occurs fewer times than the implementation guide requires",
    "I9": "Segment the implementation guide says not to send in this situation is present",
}

# IK403 — Implementation Data Element Syntax Error Code.
ELEMENT_ERRORS = {
    "1": "Required element missing",
    "2": "Conditionally required element missing",
    "3": "Too many elements",
    "4": "Element too short",
    "5": "Element too long",
    "6": "Invalid character in element",
    "7": "Invalid code value",
    "8": "Invalid date",
    "9": "Invalid time",
    "10": "Element present that must be left out (exclusion condition)",
    "12": "Too many repetitions",
    "13": "Too many components",
    "I6": "Code value not used by the implementation guide",
    "I9": "Element the implementation guide requires in this situation is missing",
    "I10": "Element marked 'not used' in the implementation guide is present",
    "I11": "Too few repetitions for the implementation guide",
    "I12": "Value does not match the pattern the implementation guide requires",
    "I13": "Element the implementation guide says not to send in this situation is present",
}

# IK502–IK506 — Implementation Transaction Set Syntax Error Code.
TRANSACTION_ERRORS = {
    "1": "Transaction set not supported",
    "2": "Transaction set trailer (SE) missing",
    "3": "Control numbers in ST and SE do not match",
    "4": "Segment count in SE does not match the segments sent",
    "5": "One or more segments in error",
    "6": "Transaction set identifier missing or invalid",
    "7": "Transaction set control number missing or invalid",
    "8": "Authentication key name unknown",
    "9": "Encryption key name unknown",
    "10": "Requested authentication or encryption not available",
    "11": "Security recipient unknown",
    "12": "Incorrect message length (encryption)",
    "13": "Message authentication code failed",
    "15": "Security originator unknown",
    "16": "Syntax error in decrypted text",
    "17": "Security not supported",
    "18": "Transaction set not inside a functional group",
    "19": "Implementation convention reference (ST03) invalid",
    "23": "Transaction set control number repeated within the functional group",
    "24": "S3E security end segment missing for S3S",
    "25": "S3S security start segment missing for S3E",
    "26": "S4E security end segment missing for S4S",
    "27": "S4S security start segment missing for S4E",
    "I5": "One or more segments break the implementation guide",
    "I6": "Implementation convention not supported",
}

# AK905–AK909 — Functional Group Syntax Error Code (005010 values).
GROUP_ERRORS = {
    "1": "Functional group not supported",
    "2": "Functional group version not supported",
    "3": "Functional group trailer (GE) missing",
    "4": "Group control numbers in GS and GE do not agree",
    "5": "Transaction count in GE does not match the transactions sent",
    "6": "Group control number is not valid",
    "10": "Authentication key name unknown",
    "11": "Encryption key name unknown",
    "12": "Requested authentication or encryption not available",
    "13": "Security recipient unknown",
    "14": "Security originator unknown",
    "15": "Syntax error in decrypted text",
    "16": "Security not supported",
    "17": "Incorrect message length (encryption)",
    "18": "Message authentication code failed",
    "19": "Group control number repeated within the interchange",
    "23": "S3E security end segment missing for S3S",
    "24": "S3S security start segment missing for S3E",
    "25": "S4E security end segment missing for S4S",
    "26": "S4S security start segment missing for S4E",
}

# --- 277CA ---------------------------------------------------------------------------------------
# STC01-1 — Claim Status Category Code (code source 507).
CATEGORIES = {
    "A0": "Forwarded to another entity",
    "A1": "Received (not yet accepted for adjudication)",
    "A2": "Accepted into the adjudication system",
    "A3": "Rejected: returned as unprocessable",
    "A4": "Rejected: claim not found",
    "A5": "Accepted and split into more than one claim",
    "A6": "Rejected for missing information",
    "A7": "Rejected for invalid information",
    "A8": "Rejected: related fields disagree",
    "D0": "No status found for the search given",
    "E0": "No response possible: error in the request",
    "E1": "No response possible: system status",
    "E2": "Information holder not responding; send again later",
    "E3": "Correction required: related fields in error",
    "E4": "Correction required by the trading partner agreement",
    "F0": "Finalized",
    "F1": "Finalized: paid",
    "F2": "Finalized: denied",
    "F3": "Finalized: adjudication revised",
    "F3F": "Finalized and forwarded to the next payer",
    "F3N": "Finalized and not forwarded",
    "F4": "Finalized: adjudicated, no payment coming",
    "P0": "Pending",
    "P1": "Pending: in process",
    "P2": "Pending: payer review",
    "P3": "Pending: information requested from the provider",
    "P4": "Pending: information requested from the patient",
    "P5": "Pending: payer administrative or system hold",
    "R0": "Information requested: general",
    "R1": "Information requested about an entity",
    "R3": "Information requested: claim or line data",
    "R4": "Information requested: supporting documents",
    "R5": "Information requested: more specific detail",
    "R6": "Information requested: regulatory requirements",
    "R7": "Information requested: care consistent with plan policy",
    "R8": "Information requested: care consistent with plan exceptions",
    "R9": "Information requested: medical necessity",
    "R10": "Information requested: to support a grievance or appeal",
    "R11": "Information requested: pre-payment review",
    "R12": "Information requested: justification of a procedure code",
    "R13": "Information requested: documents were unreadable",
    "R14": "Information requested: documents were not what was asked",
    "R15": "Information requested: workers' compensation coverage",
    "R16": "Information requested: eligibility",
    "R17": "Replaces an earlier request for information",
}
ACCEPTED_CATEGORIES = frozenset({"A0", "A1", "A2", "A5"})
REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8"})
REJECT_ACTION = "U"

# STC01-2 — Claim Status Code (code source 508): the codes an acknowledgement commonly uses.
# "Entity" codes name the party in STC01-3 (billing provider, patient, payer, …).
STATUS_CODES = {
    "0": "No further status available electronically",
    "1": "See the remittance advice for details",
    "3": "Adjudicated; waiting for the payment cycle",
    "15": "One or more procedure codes were changed",
    "16": "Forwarded to the entity",
    "17": "Forwarded by a third party to the entity",
    "19": "Received by the entity",
    "20": "Accepted for processing",
    "21": "Missing or invalid information (the other codes say which)",
    "23": "Returned to the entity",
    "24": "Entity not approved to submit electronically",
    "25": "Entity not approved",
    "26": "Entity not found",
    "27": "Policy cancelled",
    "29": "Subscriber and policy number do not match",
    "30": "Subscriber and subscriber ID do not match",
    "31": "Subscriber and policyholder name do not match",
    "32": "Subscriber and policy number not found",
    "33": "Subscriber and subscriber ID not found",
    "35": "Claim not found",
    "54": "Duplicate of a claim or line already processed",
    "78": "Duplicate of a claim or line waiting to be processed",
    "85": "Entity is not the primary payer",
    "88": "Entity not eligible for benefits on these dates of service",
    "97": "Patient's eligibility not found with the entity",
    "116": "Claim sent to the wrong payer",
    "117": "Signature-on-file indicator required",
    "123": "More information requested from the entity",
    "125": "Entity's name",
    "128": "Entity's tax ID",
    "145": "Entity's specialty or taxonomy code",
    "153": "Entity's ID number",
    "155": "Entity's relationship to the patient",
    "158": "Entity's date of birth",
    "164": "Entity's contract or member number",
    "171": "Other insurance coverage information",
    "178": "Submitted charges",
    "187": "Date(s) of service",
    "189": "Facility admission date",
    "247": "Line information",
    "249": "Place of service",
    "252": "Entity's prior authorization or certification number",
    "254": "Principal diagnosis code",
    "255": "Diagnosis code",
    "400": "Claim is out of balance",
    "401": "Source of payment is not valid",
    "402": "Amount must be greater than zero",
    "454": "Procedure code for the services rendered",
    "464": "Payer's claim control number",
    "476": "Units of service missing or invalid",
    "477": "Diagnosis code pointer missing or invalid",
    "478": "Claim submitter's identifier",
    "479": "Other payer's ID missing or invalid",
    "480": "Entity's claim filing indicator",
    "481": "Claim or submission format is invalid",
    "487": "Claim not found; it should have been sent to or through the entity",
    "491": "Entity not eligible to submit encounters",
    "496": "Submitter not approved to send claims electronically for the entity",
    "500": "Entity's ZIP or postal code",
    "501": "Entity's state or province",
    "502": "Entity's city",
    "503": "Entity's street address",
    "504": "Entity's last name",
    "505": "Entity's first name",
    "507": "HCPCS code",
    "510": "Date is in the future",
    "511": "Invalid character",
    "512": "Length not valid for the receiver's system",
    "562": "Entity's National Provider Identifier (NPI)",
    "583": "Line item charge amount",
    "584": "Line item control number",
    "672": "Other payer's payment information is out of balance",
    "684": "Rejected for a syntax error; see the 999 for details",
    "697": "Invalid decimal precision",
    "700": "ICD-10 code",
    "704": "Claim note text",
    "718": "Not submitted within the timely filing limit",
    "732": "Information does not follow billing guidelines",
    "733": "Prefix of the entity's contract or member number",
    "745": "Identifier qualifier",
    "746": "Duplicate submission",
    "748": "Corrected data",
    "755": "Entity's primary identifier",
}

# STC01-3 — Entity Identifier Code: who a status code is about.
ENTITIES = {
    "03": "dependent",
    "1P": "provider",
    "2B": "third-party administrator",
    "40": "receiver",
    "41": "submitter",
    "45": "drop-off location",
    "71": "attending physician",
    "72": "operating physician",
    "77": "service location",
    "82": "rendering provider",
    "85": "billing provider",
    "87": "pay-to provider",
    "AY": "clearinghouse",
    "DK": "ordering physician",
    "DN": "referring provider",
    "DQ": "supervising physician",
    "FA": "facility",
    "GB": "other insured",
    "HK": "subscriber",
    "IL": "insured or subscriber",
    "LI": "independent lab",
    "P3": "primary care provider",
    "PR": "payer",
    "PRP": "primary payer",
    "PW": "pick-up address",
    "QB": "purchased service provider",
    "QC": "patient",
    "QD": "responsible party",
    "SEP": "secondary payer",
    "TTP": "tertiary payer",
    "TU": "third-party repricing organization",
}

# STC03 — Action Code.
ACTIONS = {"WQ": "accepted", "U": "rejected"}


def words(table: dict[str, str], code: str, unknown: str = "code") -> str:
    """The words for `code`; "<unknown> N" when the list does not have it; '' for no code."""
    if not code:
        return ""
    return table.get(code, f"{unknown} {code}")


def category_words(code: str) -> str:
    return words(CATEGORIES, code, "claim status category")


def status_words(code: str) -> str:
    return words(STATUS_CODES, code, "claim status code")
