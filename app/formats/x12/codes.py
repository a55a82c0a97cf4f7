"""Code values of the 005010X279A1 eligibility pair (270 inquiry, 271 response) with short
plain-English words for the clerk.

Lists: EB01 eligibility or benefit information (X12 element 1390), EB02 coverage level (1207),
EB03/EQ01 service type (1365, the whole 005010 list), EB04 insurance type (1336), EB06 time
period qualifier (615), EB09/HSD01 quantity qualifier (673), HSD03 unit or basis, EB11
authorization and EB12 in-plan-network indicators (1073), EB13-1 product/service ID qualifier,
AAA03 reject reasons (901) each with what the clerk should do, AAA04 follow-up actions (889),
DTP01 date qualifiers of loops 2100C/D and 2110C/D, INS02 relationships (1069), 2120C/D NM101
benefit-related entities, REF01 qualifiers of loops 2100C/D and 2110C/D, and PER contact
number qualifiers.

Meanings follow the X12 code names (checked against the X279A1 code lists as published in open
implementations); a code we could not confirm is left out, and `words` shows it as "code XX"
rather than guess.
"""

from __future__ import annotations

# EB01 — Eligibility or Benefit Information Code.
ELIGIBILITY_CODES = {
    "1": "Active coverage",
    "2": "Active coverage - full risk capitation",
    "3": "Active coverage - services capitated",
    "4": "Active coverage - services capitated to primary care physician",
    "5": "Active coverage - pending investigation",
    "6": "Inactive",
    "7": "Inactive - pending eligibility update",
    "8": "Inactive - pending investigation",
    "A": "Co-insurance",
    "B": "Co-payment",
    "C": "Deductible",
    "CB": "Coverage basis",
    "D": "Benefit description",
    "E": "Exclusions",
    "F": "Limitations",
    "G": "Out of pocket (stop loss)",
    "H": "Unlimited",
    "I": "Not covered",
    "J": "Cost containment",
    "K": "Reserve",
    "L": "Primary care provider",
    "M": "Pre-existing condition",
    "MC": "Managed care coordinator",
    "N": "Services restricted to the following provider",
    "O": "Not deemed a medical necessity",
    "P": "Benefit disclaimer",
    "Q": "Second surgical opinion required",
    "R": "Other or additional payer",
    "S": "Prior year(s) history",
    "T": "Card(s) reported lost or stolen",
    "U": "Contact the following entity for eligibility or benefit information",
    "V": "Cannot process",
    "W": "Other source of data",
    "X": "Health care facility",
    "Y": "Spend down",
}
ACTIVE_CODES = frozenset({"1", "2", "3", "4", "5"})
INACTIVE_CODES = frozenset({"6", "7", "8"})
STATUS_CODES = ACTIVE_CODES | INACTIVE_CODES
ACCUMULATOR_CODES = frozenset({"C", "G"})  # deductible and out of pocket: total vs remaining

# EB02 — Coverage Level Code.
COVERAGE_LEVELS = {
    "CHD": "children only",
    "DEP": "dependents only",
    "ECH": "employee and children",
    "EMP": "employee only",
    "ESP": "employee and spouse",
    "FAM": "family",
    "IND": "individual",
    "SPC": "spouse and children",
    "SPO": "spouse only",
}

# EB03 / EQ01 — Service Type Code, the whole 005010 list.
SERVICE_TYPES = {
    "1": "Medical care", "2": "Surgical", "3": "Consultation", "4": "Diagnostic X-ray",
    "5": "Diagnostic lab", "6": "Radiation therapy", "7": "Anesthesia",
    "8": "Surgical assistance", "9": "Other medical", "10": "Blood charges",
    "11": "Used durable medical equipment", "12": "Durable medical equipment purchase",
    "13": "Ambulatory service center facility", "14": "Renal supplies in the home",
    "15": "Alternate method dialysis", "16": "Chronic renal disease (CRD) equipment",
    "17": "Pre-admission testing", "18": "Durable medical equipment rental",
    "19": "Pneumonia vaccine", "20": "Second surgical opinion", "21": "Third surgical opinion",
    "22": "Social work", "23": "Diagnostic dental", "24": "Periodontics", "25": "Restorative",
    "26": "Endodontics", "27": "Maxillofacial prosthetics", "28": "Adjunctive dental services",
    "30": "Health benefit plan coverage", "32": "Plan waiting period", "33": "Chiropractic",
    "34": "Chiropractic office visits", "35": "Dental care", "36": "Dental crowns",
    "37": "Dental accident", "38": "Orthodontics", "39": "Prosthodontics",
    "40": "Oral surgery", "41": "Routine (preventive) dental", "42": "Home health care",
    "43": "Home health prescriptions", "44": "Home health visits", "45": "Hospice",
    "46": "Respite care", "47": "Hospital", "48": "Hospital - inpatient",
    "49": "Hospital - room and board", "50": "Hospital - outpatient",
    "51": "Hospital - emergency accident", "52": "Hospital - emergency medical",
    "53": "Hospital - ambulatory surgical", "54": "Long term care", "55": "Major medical",
    "56": "Medically related transportation", "57": "Air transportation", "58": "Cabulance",
    "59": "Licensed ambulance", "60": "General benefits", "61": "In-vitro fertilization",
    "62": "MRI/CAT scan", "63": "Donor procedures", "64": "Acupuncture", "65": "Newborn care",
    "66": "Pathology", "67": "Smoking cessation", "68": "Well baby care", "69": "Maternity",
    "70": "Transplants", "71": "Audiology exam", "72": "Inhalation therapy",
    "73": "Diagnostic medical", "74": "Private duty nursing", "75": "Prosthetic device",
    "76": "Dialysis", "77": "Otological exam", "78": "Chemotherapy", "79": "Allergy testing",
    "80": "Immunizations", "81": "Routine physical", "82": "Family planning",
    "83": "Infertility", "84": "Abortion", "85": "AIDS", "86": "Emergency services",
    "87": "Cancer", "88": "Pharmacy", "89": "Free standing prescription drug",
    "90": "Mail order prescription drug", "91": "Brand name prescription drug",
    "92": "Generic prescription drug", "93": "Podiatry", "94": "Podiatry - office visits",
    "95": "Podiatry - nursing home visits", "96": "Professional (physician)",
    "97": "Anesthesiologist", "98": "Physician visit - office",
    "99": "Physician visit - inpatient", "A0": "Physician visit - outpatient",
    "A1": "Physician visit - nursing home", "A2": "Physician visit - skilled nursing facility",
    "A3": "Physician visit - home", "A4": "Psychiatric", "A5": "Psychiatric - room and board",
    "A6": "Psychotherapy", "A7": "Psychiatric - inpatient", "A8": "Psychiatric - outpatient",
    "A9": "Rehabilitation", "AA": "Rehabilitation - room and board",
    "AB": "Rehabilitation - inpatient", "AC": "Rehabilitation - outpatient",
    "AD": "Occupational therapy", "AE": "Physical medicine", "AF": "Speech therapy",
    "AG": "Skilled nursing care", "AH": "Skilled nursing care - room and board",
    "AI": "Substance abuse", "AJ": "Alcoholism", "AK": "Drug addiction",
    "AL": "Vision (optometry)", "AM": "Frames", "AN": "Routine exam", "AO": "Lenses",
    "AQ": "Nonmedically necessary physical", "AR": "Experimental drug therapy",
    "B1": "Burn care", "B2": "Brand name prescription drug - formulary",
    "B3": "Brand name prescription drug - non-formulary",
    "BA": "Independent medical evaluation", "BB": "Partial hospitalization (psychiatric)",
    "BC": "Day care (psychiatric)", "BD": "Cognitive therapy", "BE": "Massage therapy",
    "BF": "Pulmonary rehabilitation", "BG": "Cardiac rehabilitation", "BH": "Pediatric",
    "BI": "Nursery", "BJ": "Skin", "BK": "Orthopedic", "BL": "Cardiac", "BM": "Lymphatic",
    "BN": "Gastrointestinal", "BP": "Endocrine", "BQ": "Neurology", "BR": "Eye",
    "BS": "Invasive procedures", "BT": "Gynecological", "BU": "Obstetrical",
    "BV": "Obstetrical/gynecological", "BW": "Mail order prescription drug: brand name",
    "BX": "Mail order prescription drug: generic", "BY": "Physician visit - office: sick",
    "BZ": "Physician visit - office: well", "C1": "Coronary care",
    "CA": "Private duty nursing - inpatient", "CB": "Private duty nursing - home",
    "CC": "Surgical benefits - professional (physician)", "CD": "Surgical benefits - facility",
    "CE": "Mental health provider - inpatient", "CF": "Mental health provider - outpatient",
    "CG": "Mental health facility - inpatient", "CH": "Mental health facility - outpatient",
    "CI": "Substance abuse facility - inpatient",
    "CJ": "Substance abuse facility - outpatient", "CK": "Screening X-ray",
    "CL": "Screening laboratory", "CM": "Mammogram, high risk patient",
    "CN": "Mammogram, low risk patient", "CO": "Flu vaccination",
    "CP": "Eyewear and eyewear accessories", "CQ": "Case management", "DG": "Dermatology",
    "DM": "Durable medical equipment", "DS": "Diabetic supplies",
    "GF": "Generic prescription drug - formulary",
    "GN": "Generic prescription drug - non-formulary", "GY": "Allergy", "IC": "Intensive care",
    "MH": "Mental health", "NI": "Neonatal intensive care", "ON": "Oncology",
    "PT": "Physical therapy", "PU": "Pulmonary", "RN": "Renal",
    "RT": "Residential psychiatric treatment", "TC": "Transitional care",
    "TN": "Transitional nursery care", "UC": "Urgent care",
}

# EB04 — Insurance Type Code.
INSURANCE_TYPES = {
    "12": "Medicare secondary, working aged beneficiary or spouse with employer group health "
          "plan",
    "13": "Medicare secondary, end-stage renal disease beneficiary in the coordination period "
          "with an employer's group health plan",
    "14": "Medicare secondary, no-fault insurance including auto is primary",
    "15": "Medicare secondary, workers' compensation",
    "16": "Medicare secondary, Public Health Service (PHS) or other federal agency",
    "41": "Medicare secondary, black lung",
    "42": "Medicare secondary, Veterans Administration",
    "43": "Medicare secondary, disabled beneficiary under 65 with large group health plan",
    "47": "Medicare secondary, other liability insurance is primary",
    "AP": "Auto insurance policy", "C1": "Commercial", "CO": "COBRA",
    "CP": "Medicare conditionally primary", "D": "Disability", "DB": "Disability benefits",
    "EP": "Exclusive provider organization (EPO)", "FF": "Family or friends",
    "GP": "Group policy", "HM": "HMO", "HN": "HMO - Medicare risk",
    "HS": "Special low income Medicare beneficiary", "IN": "Indemnity",
    "IP": "Individual policy", "LC": "Long term care", "LD": "Long term policy",
    "LI": "Life insurance", "LT": "Litigation", "MA": "Medicare Part A",
    "MB": "Medicare Part B", "MC": "Medicaid", "MH": "Medigap Part A", "MI": "Medigap Part B",
    "MP": "Medicare primary", "OT": "Other", "PE": "Property insurance - personal",
    "PL": "Personal", "PP": "Personal payment (cash - no insurance)", "PR": "PPO",
    "PS": "Point of service (POS)", "QM": "Qualified Medicare beneficiary",
    "RP": "Property insurance - real", "SP": "Supplemental policy", "TF": "TEFRA",
    "WC": "Workers' compensation", "WU": "Wrap up policy",
}

# EB06 / HSD05 — Time Period Qualifier, as the words after an amount ("1,500.00 per …").
TIME_PERIODS = {
    "6": "per hour", "7": "per day", "13": "per 24 hours", "21": "per year",
    "22": "per service year", "23": "per calendar year", "24": "year to date",
    "25": "per contract", "26": "per episode", "27": "per visit", "28": "outlier",
    "29": "remaining", "30": "exceeded", "31": "not exceeded", "32": "lifetime",
    "33": "lifetime remaining", "34": "per month", "35": "per week", "36": "per admission",
}
REMAINING = frozenset({"29", "33"})  # the amount still to meet, not the plan's total
YEAR_TO_DATE = "24"

# EB09 / HSD01 — Quantity Qualifier (HSD01 also uses FL units).
QUANTITY_QUALIFIERS = {
    "8H": "minimum", "99": "used", "CA": "covered (actual)", "CE": "covered (estimated)",
    "D3": "co-insurance days", "DB": "deductible blood units", "DY": "days",
    "FL": "units", "HS": "hours", "LA": "lifetime reserve days (actual)",
    "LE": "lifetime reserve days (estimated)", "M2": "maximum", "MN": "months",
    "P6": "services or procedures", "QA": "approved", "S7": "age, high value",
    "S8": "age, low value", "VS": "visits", "YY": "years",
}

# HSD03 — Unit or Basis for Measurement Code.
UNITS = {"DA": "days", "MO": "months", "VS": "visits", "WK": "weeks", "YR": "years"}

# EB11 — Authorization or Certification Indicator; EB12 — In Plan Network Indicator.
AUTHORIZATION = {"Y": "authorization or certification required",
                 "N": "no authorization or certification required",
                 "U": "authorization unknown"}
NETWORK = {"Y": "in network", "N": "out of network",
           "W": "in or out of network (not applicable)", "U": "network unknown"}

# EB13-1 — Product/Service ID Qualifier.
PROCEDURE_QUALIFIERS = {"AD": "ADA dental code", "CJ": "CPT code", "HC": "HCPCS/CPT code",
                        "ID": "ICD-9-CM procedure", "IV": "Home infusion (HIEC) code",
                        "N4": "National Drug Code (5-4-2)", "ZZ": "mutually defined"}

# AAA03 — Reject Reason Code: the X12 name, then what it means for the clerk and what to do.
REJECT_REASONS = {
    "04": "Authorized quantity exceeded",
    "15": "Required application data missing",
    "33": "Input errors",
    "35": "Out of network",
    "41": "Authorization/access restrictions",
    "42": "Unable to respond at current time",
    "43": "Invalid/missing provider identification",
    "44": "Invalid/missing provider name",
    "45": "Invalid/missing provider specialty",
    "46": "Invalid/missing provider phone number",
    "47": "Invalid/missing provider state",
    "48": "Invalid/missing referring provider identification number",
    "49": "Provider is not primary care physician",
    "50": "Provider ineligible for inquiries",
    "51": "Provider not on file",
    "52": "Service dates not within provider plan enrollment",
    "53": "Inquired benefit inconsistent with provider type",
    "54": "Inappropriate product/service ID qualifier",
    "55": "Inappropriate product/service ID",
    "56": "Inappropriate date",
    "57": "Invalid/missing date(s) of service",
    "58": "Invalid/missing date of birth",
    "60": "Date of birth follows date(s) of service",
    "61": "Date of death precedes date(s) of service",
    "62": "Date of service not within allowable inquiry period",
    "63": "Date of service in future",
    "64": "Invalid/missing patient ID",
    "65": "Invalid/missing patient name",
    "66": "Invalid/missing patient gender code",
    "67": "Patient not found",
    "68": "Duplicate patient ID number",
    "69": "Inconsistent with patient's age",
    "70": "Inconsistent with patient's gender",
    "71": "Patient birth date does not match that for the patient on the database",
    "72": "Invalid/missing subscriber/insured ID",
    "73": "Invalid/missing subscriber/insured name",
    "74": "Invalid/missing subscriber/insured gender code",
    "75": "Subscriber/insured not found",
    "76": "Duplicate subscriber/insured ID number",
    "77": "Subscriber found, patient not found",
    "78": "Subscriber/insured not in group/plan identified",
    "79": "Invalid participant identification",
    "80": "No response received - transaction terminated",
    "97": "Invalid or missing provider address",
    "98": "Experimental service or procedure",
    "AA": "Authorization number not found",
    "AE": "Requires primary care physician authorization",
    "AF": "Invalid/missing diagnosis code(s)",
    "AG": "Invalid/missing procedure code(s)",
    "AO": "Additional patient condition information required",
    "CI": "Certification information does not match patient",
    "E8": "Requires medical review",
    "IA": "Invalid authorization number format",
    "MA": "Missing authorization number",
    "T4": "Payer name or identifier missing",
}
_CARD = "against the insurance card"
REJECT_MESSAGES = {
    "04": "The payer says the authorized quantity is exceeded. Call the payer before sending "
          "the inquiry again.",
    "15": "The payer says information it needs is missing from the inquiry. Check the "
          "coverage (member ID, names, dates of birth) and the practice details, then send "
          "it again.",
    "33": "The payer found errors in the inquiry. Check the coverage and the practice "
          "details, then send it again.",
    "35": "The payer says the provider is out of network for this plan. Check the plan's "
          "network and tell the patient before the visit.",
    "41": "The payer does not let the clinic see this information. Call the payer or use its "
          "portal.",
    "42": "The payer could not answer at this time. Send the inquiry again later.",
    "43": "The payer does not accept the provider's NPI. Check the practice NPI in Admin and "
          "the clinic's enrollment with this payer.",
    "44": "The payer does not accept the provider name. Check that the practice name in Admin "
          "matches the name enrolled with the payer.",
    "45": "The payer says the provider specialty is missing or invalid. Check the practice "
          "taxonomy code in Admin.",
    "46": "The payer says the provider phone number is missing or invalid. Check the practice "
          "phone number in Admin.",
    "47": "The payer says the provider's state is missing or invalid. Check the practice "
          "address in Admin.",
    "48": "The payer says the referring provider's ID is missing or invalid. Check the "
          "referring provider's NPI.",
    "49": "The payer says the provider is not the patient's primary care physician. Check who "
          "the patient's PCP is before the visit.",
    "50": "The payer does not take eligibility inquiries from this clinic. Check by phone or "
          "on the payer's portal, and ask the clearinghouse about enrollment.",
    "51": "The payer does not have the provider on file. Check the clinic's enrollment with "
          "this payer.",
    "52": "The date of service is outside the provider's enrollment with the plan. Check the "
          "visit date and the clinic's enrollment.",
    "53": "The payer says the benefit asked about does not fit this type of provider. Ask "
          "about general coverage (service type 30) instead.",
    "54": "The payer does not accept the kind of procedure code sent. Ask about a service "
          "type instead.",
    "55": "The payer does not accept the procedure code sent. Check the code or ask about a "
          "service type instead.",
    "56": "The payer does not accept a date in the inquiry. Check the visit date.",
    "57": "The date of service is missing or invalid. Check the visit date.",
    "58": f"The date of birth is missing or invalid. Check the date of birth {_CARD}.",
    "60": "The date of birth is after the date of service. Check the date of birth and the "
          "visit date.",
    "61": "The payer has a date of death before the date of service. Call the payer.",
    "62": "The date of service is outside the period the payer answers for. Check the visit "
          "date.",
    "63": "The date of service is too far in the future for the payer. Send the inquiry "
          "closer to the visit.",
    "64": f"The patient's ID is missing or invalid. Check the member ID {_CARD}.",
    "65": f"The patient's name is missing or invalid. Check the spelling {_CARD}.",
    "66": "The patient's sex is missing or invalid. Check the patient's details.",
    "67": f"The payer cannot find the patient. Check the name, date of birth and member ID "
          f"{_CARD}.",
    "68": "The payer has more than one patient with this ID. Call the payer.",
    "69": "The service asked about does not fit the patient's age. Check the date of birth "
          "or ask about general coverage.",
    "70": "The service asked about does not fit the patient's sex. Check the patient's details "
          "or ask about general coverage.",
    "71": "The date of birth does not match the payer's records. Check it with the patient and "
          "the insurance card.",
    "72": "The payer does not recognise the member ID. Check the insurance card and correct "
          "the member ID on the coverage.",
    "73": f"The subscriber's name is missing or invalid. Check the subscriber's name {_CARD}.",
    "74": "The subscriber's sex is missing or invalid. Check the subscriber's details on the "
          "coverage.",
    "75": f"The payer cannot find the subscriber. Check the member ID, name and date of birth "
          f"{_CARD}, or ask the patient for a new card.",
    "76": "The payer has more than one subscriber with this ID. Call the payer.",
    "77": "The payer found the subscriber but not this patient. Check the patient's name, "
          "date of birth and relationship to the subscriber.",
    "78": "The subscriber is not in the group or plan named. Check the group number on the "
          "coverage.",
    "79": "The payer does not recognise who sent the inquiry. Check the clearinghouse set-up "
          "(submitter and payer IDs).",
    "80": "No answer came back from the payer and the inquiry was dropped. Send it again "
          "later.",
    "97": "The payer says the provider address is missing or invalid. Check the practice "
          "address in Admin.",
    "98": "The payer says the service is experimental. Call the payer before the visit.",
    "AA": "The payer cannot find the authorization number. Check the authorization number.",
    "AE": "A primary care physician's authorization is required. Get the referral or "
          "authorization before the visit.",
    "AF": "A diagnosis code is missing or invalid. Check the diagnosis codes sent.",
    "AG": "A procedure code is missing or invalid. Check the procedure codes sent.",
    "AO": "The payer needs more information about the patient's condition. Call the payer.",
    "CI": "The certification information does not match the patient. Check the "
          "authorization details.",
    "E8": "The payer requires a medical review. Call the payer before the visit.",
    "IA": "The authorization number's format is invalid. Check the authorization number.",
    "MA": "The authorization number is missing. Add it and send the inquiry again.",
    "T4": "The payer name or payer ID is missing or unknown. Check the payer ID in the payer "
          "directory.",
}

# AAA04 — Follow-up Action Code.
FOLLOW_UP = {
    "C": "Please correct and resubmit.",
    "N": "Resubmission not allowed.",
    "P": "Please resubmit the original transaction.",
    "R": "Resubmission allowed.",
    "S": "Do not resubmit; the inquiry was passed to a third party.",
    "W": "Please wait 30 days and resubmit.",
    "X": "Please wait 10 days and resubmit.",
    "Y": "Do not resubmit; the payer will hold the request and answer again shortly.",
}

# DTP01 — Date/Time Qualifier in loops 2100C/D (person) and 2110C/D (benefit).
DATE_QUALIFIERS = {
    "096": "discharge", "102": "issue", "152": "effective date of change",
    "193": "period start", "194": "period end", "198": "completion",
    "290": "coordination of benefits", "291": "plan", "292": "benefit",
    "295": "primary care provider", "304": "latest visit or consultation",
    "307": "eligibility", "318": "added", "340": "COBRA begin", "341": "COBRA end",
    "342": "premium paid to date begin", "343": "premium paid to date end",
    "346": "plan begin", "347": "plan end", "348": "benefit begin", "349": "benefit end",
    "356": "eligibility begin", "357": "eligibility end", "382": "enrollment",
    "435": "admission", "442": "date of death", "458": "certification", "472": "service",
    "539": "policy effective", "540": "policy expiration", "636": "date of last update",
    "771": "status",
}

# INS02 — Individual Relationship Code: 18 in 2100C; the others in 2100D of the 271.
RELATIONSHIPS = {
    "18": "self", "01": "spouse", "19": "child", "20": "employee", "21": "unknown",
    "39": "organ donor", "40": "cadaver donor", "53": "life partner",
    "G8": "other relationship",
}
# A 270's dependent (2100D INS02) takes only these.
INQUIRY_RELATIONSHIPS = {"01": "spouse", "19": "child", "34": "other adult"}

# NM101 — Entity Identifier Code of a 2120C/D benefit related entity.
ENTITY_CODES = {
    "13": "Contracted service provider", "1I": "Preferred provider organization (PPO)",
    "1P": "Provider", "2B": "Third-party administrator", "36": "Employer",
    "73": "Other physician", "FA": "Facility", "GP": "Gateway provider", "GW": "Group",
    "I3": "Independent physicians association (IPA)", "IL": "Insured or subscriber",
    "LR": "Legal representative", "P3": "Primary care provider",
    "P4": "Prior insurance carrier", "P5": "Plan sponsor", "PR": "Payer",
    "PRP": "Primary payer", "SEP": "Secondary payer", "TTP": "Tertiary payer",
    "VER": "Party performing verification", "VN": "Vendor",
    "VY": "Organization completing configuration change",
    "X3": "Utilization management organization", "Y2": "Managed care organization",
}

# REF01 — Reference Identification Qualifier in loops 2100C/D and 2110C/D.
REF_QUALIFIERS = {
    "18": "plan number", "1L": "group or policy number", "1W": "member ID", "3H": "case number",
    "49": "family unit number", "6P": "group number", "9F": "referral number",
    "ALS": "alternative list ID", "CLI": "coverage list ID",
    "CT": "contract number", "EA": "medical record number", "EJ": "patient account number",
    "F6": "health insurance claim (HIC) number", "FO": "drug formulary number",
    "G1": "prior authorization number", "GH": "identification card serial number",
    "HJ": "identity card number", "IG": "insurance policy number",
    "M7": "medical assistance category",
    "N6": "plan network ID", "NQ": "Medicaid recipient ID", "Q4": "prior ID number",
    "SY": "social security number", "Y4": "agency claim number",
}
GROUP_REFS = ("6P", "1L")

# PER03/05/07 — Communication Number Qualifier.
CONTACT_QUALIFIERS = {"TE": "phone", "EX": "extension", "FX": "fax", "EM": "email",
                      "UR": "website", "ED": "EDI access number"}

SEXES = {"F": "female", "M": "male", "U": "unknown"}


def words(table: dict[str, str], code: str) -> str:
    """The words for `code`, "code XX" when the list does not have it, '' for no code."""
    if not code:
        return ""
    return table.get(code, f"code {code}")


def reject_message(code: str) -> str:
    """What an AAA03 reject reason means for the clerk and what to do about it."""
    if code in REJECT_MESSAGES:
        return REJECT_MESSAGES[code]
    shown = f" (code {code})" if code else ""
    return f"The payer rejected the inquiry{shown}. Call the payer to find out why."
