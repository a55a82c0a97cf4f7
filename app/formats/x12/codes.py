"""Code values of the 005010X279A1 eligibility pair, with the app's short words for them.

EB01 eligibility or benefit information, EB02 coverage level, EB03/EQ01 service type (X12
element 1365, the values clinics meet; others show as "service type XX"), EB06 time period,
EB09 quantity qualifier, EB11/EB12 indicators, AAA03 reject reasons with what the clerk should
do, AAA04 follow-up actions, and the DTP date qualifiers of the 271."""

from __future__ import annotations

BENEFIT_CODES = {
    "1": "Active coverage", "2": "Active – full risk capitation",
    "3": "Active – services capitated", "4": "Active – services capitated to primary care",
    "5": "Active – pending investigation", "6": "Inactive",
    "7": "Inactive – pending eligibility update", "8": "Inactive – pending investigation",
    "A": "Coinsurance", "B": "Copay", "C": "Deductible", "CB": "Coverage basis",
    "D": "Benefit description", "E": "Exclusions", "F": "Limitations",
    "G": "Out-of-pocket maximum", "H": "Unlimited", "I": "Not covered", "J": "Cost containment",
    "K": "Reserve", "L": "Primary care provider", "M": "Pre-existing condition",
    "MC": "Managed care coordinator", "N": "Services restricted to the following provider",
    "O": "Not deemed a medical necessity", "P": "Benefit disclaimer",
    "Q": "Second surgical opinion required", "R": "Other or additional payer",
    "S": "Prior year(s) history", "T": "Card(s) reported lost or stolen",
    "U": "Contact the following entity for benefit information", "V": "Cannot process",
    "W": "Other source of data", "X": "Health care facility", "Y": "Spend down",
}
ACTIVE_CODES = {"1", "2", "3", "4", "5"}
INACTIVE_CODES = {"6", "7", "8"}

COVERAGE_LEVELS = {
    "CHD": "children only", "DEP": "dependents only", "ECH": "employee and children",
    "EMP": "employee only", "ESP": "employee and spouse", "FAM": "family",
    "IND": "individual", "SPC": "spouse and children", "SPO": "spouse only",
}

SERVICE_TYPES = {
    "1": "Medical care", "2": "Surgical", "3": "Consultation", "4": "Diagnostic X-ray",
    "5": "Diagnostic lab", "6": "Radiation therapy", "7": "Anesthesia",
    "8": "Surgical assistance", "12": "Durable medical equipment purchase",
    "18": "Durable medical equipment rental", "20": "Second surgical opinion",
    "30": "Health benefit plan coverage", "33": "Chiropractic", "35": "Dental care",
    "40": "Oral surgery", "42": "Home health care", "45": "Hospice", "47": "Hospital",
    "48": "Hospital – inpatient", "50": "Hospital – outpatient",
    "51": "Hospital – emergency accident", "52": "Hospital – emergency medical",
    "53": "Hospital – ambulatory surgical", "60": "General benefits", "62": "MRI/CAT scan",
    "65": "Newborn care", "68": "Well baby care", "73": "Diagnostic medical", "76": "Dialysis",
    "78": "Chemotherapy", "80": "Immunizations", "81": "Routine physical",
    "82": "Family planning", "86": "Emergency services", "88": "Pharmacy", "93": "Podiatry",
    "98": "Professional (physician) visit – office",
    "99": "Professional (physician) visit – inpatient",
    "A0": "Professional (physician) visit – outpatient",
    "A3": "Professional (physician) visit – home", "A4": "Psychiatric", "A6": "Psychotherapy",
    "A7": "Psychiatric – inpatient", "A8": "Psychiatric – outpatient",
    "AD": "Occupational therapy", "AE": "Physical medicine", "AF": "Speech therapy",
    "AG": "Skilled nursing care", "AI": "Substance abuse", "AJ": "Alcoholism",
    "AK": "Drug addiction", "AL": "Vision (optometry)", "BG": "Cardiac rehabilitation",
    "BH": "Pediatric", "DM": "Durable medical equipment", "MH": "Mental health",
    "PT": "Physical therapy", "UC": "Urgent care",
}

TIME_PERIODS = {
    "6": "per hour", "7": "per day", "13": "per 24 hours", "21": "per year",
    "22": "per service year", "23": "per calendar year", "24": "year to date",
    "25": "per contract", "26": "per episode", "27": "per visit", "28": "outlier",
    "29": "remaining", "30": "exceeded", "31": "not exceeded", "32": "lifetime",
    "33": "lifetime remaining", "34": "per month", "35": "per week", "36": "per admission",
}
REMAINING = {"29", "33"}

QUANTITY_QUALIFIERS = {
    "8H": "minimum", "99": "used", "CA": "covered (actual)", "CE": "covered (estimated)",
    "D3": "coinsurance days", "DY": "days", "HS": "hours", "M2": "maximum", "MN": "months",
    "P6": "services or procedures", "QA": "approved", "VS": "visits", "YY": "years",
}

NETWORK = {"Y": "in network", "N": "out of network", "W": "in or out of network",
           "U": "network unknown"}
AUTH = {"Y": "authorisation required", "N": "no authorisation required",
        "U": "authorisation unknown"}

# AAA03: what went wrong, and what the clerk should do about it.
REJECT_REASONS = {
    "04": "The authorised quantity is exceeded.",
    "15": "Required information is missing from the inquiry; check the coverage and resend.",
    "41": "The payer restricts access to this information; call the payer.",
    "42": "The payer could not answer at this time; send the inquiry again later.",
    "43": "The payer does not accept the clinic's NPI; check the practice NPI in Admin.",
    "44": "The payer does not accept the provider name; check the practice in Admin.",
    "45": "The provider specialty is missing or invalid; check the practice taxonomy.",
    "47": "The provider's state is missing or invalid; check the practice address.",
    "50": "The clinic is not allowed to send eligibility inquiries to this payer; enrol with "
          "the payer or check by phone or portal.",
    "51": "The payer does not have the clinic on file; enrol with the payer.",
    "52": "The date of service is outside the clinic's enrolment with the plan.",
    "56": "A date in the inquiry is not acceptable to the payer.",
    "57": "The date of service is missing or invalid.",
    "58": "The date of birth is missing or invalid; check the patient's or subscriber's DOB.",
    "60": "The date of birth is after the date of service; check the DOB.",
    "61": "The payer has a date of death before the date of service; check with the payer.",
    "62": "The date of service is outside the period the payer answers for.",
    "63": "The date of service is in the future beyond what the payer accepts.",
    "64": "The patient ID is missing or invalid; check the member ID.",
    "65": "The patient's name is missing or invalid; check the spelling against the card.",
    "66": "The patient's sex is missing or invalid.",
    "67": "The payer cannot find the patient; check the name, DOB and member ID on the card.",
    "68": "The payer has the patient ID more than once; call the payer.",
    "69": "The inquiry does not fit the patient's age.",
    "70": "The inquiry does not fit the patient's sex.",
    "71": "The DOB does not match the payer's records; check it with the patient.",
    "72": "The payer does not recognise the member ID. Check the insurance card and correct "
          "the member ID on the coverage.",
    "73": "The subscriber's name is missing or invalid; check it against the card.",
    "74": "The subscriber's sex is missing or invalid.",
    "75": "The payer cannot find the subscriber; check the member ID, name and DOB, or ask "
          "the patient for a new card.",
    "76": "The payer has the subscriber ID more than once; call the payer.",
    "77": "The payer found the subscriber but not this patient; check the dependent's "
          "details.",
    "78": "The subscriber is not in the group or plan named; check the group number.",
    "79": "The participant identification is invalid; check the submitter set-up.",
    "80": "No response came back; send the inquiry again.",
    "97": "The provider address is missing or invalid; check the practice address.",
    "AA": "The authorisation number was not found.",
    "AE": "Primary care physician authorisation is required.",
    "AF": "A diagnosis code is missing or invalid.",
    "AG": "A procedure code is missing or invalid.",
    "T4": "The payer name or ID is missing; check the payer in the directory.",
}
FOLLOW_UP = {
    "C": "Correct and resend.", "N": "Do not resend.", "P": "Resend the original inquiry.",
    "R": "Resending is allowed.", "S": "Do not resend; the payer asked a third party.",
    "W": "Wait 30 days and resend.", "X": "Wait 10 days and resend.",
    "Y": "Do not resend; the payer will answer by other means.",
}

DATE_QUALIFIERS = {
    "102": "issue", "152": "effective date of change", "193": "period start",
    "194": "period end", "198": "completion", "290": "coordination of benefits",
    "291": "plan", "292": "benefit", "295": "primary care provider",
    "304": "latest visit or consultation", "307": "eligibility", "318": "added",
    "340": "COBRA begin", "341": "COBRA end", "342": "premium paid to date begin",
    "343": "premium paid to date end", "346": "plan begin", "347": "plan end",
    "348": "benefit begin", "349": "benefit end", "356": "eligibility begin",
    "357": "eligibility end", "382": "enrolment", "435": "admission", "442": "date of death",
    "458": "certification", "472": "service", "539": "policy effective",
    "540": "policy expiration", "636": "date of last update", "771": "status",
}


def words(table: dict[str, str], code: str, what: str) -> str:
    return table.get(code, f"{what} {code}") if code else ""


def reject_message(code: str) -> str:
    return REJECT_REASONS.get(code, f"The payer rejected the inquiry (reason code {code}); "
                                    "call the payer.")
