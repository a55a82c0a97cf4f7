"""Checks for the identifiers a claim carries. Each returns a message for the clerk, or None.

- NPI: 10 digits whose last is a Luhn check digit computed over the digits prefixed with 80840
  (CMS, "Requirements for NPI check digit", the ISO 7812 card-issuer prefix for US health).
- EIN: 9 digits (837P loop 2010AA REF*EI).
- Taxonomy: the NUCC Health Care Provider Taxonomy shape, 9 characters then "X" (PRV03).
- ZIP: 5 or 9 digits; the billing provider needs ZIP+4 (837P 2010AA N403).
"""

from __future__ import annotations

import re

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI AA AE AP".split()
)

CLAIM_FILING_INDICATORS: dict[str, str] = {
    "09": "Self-pay",
    "11": "Other non-federal program",
    "12": "PPO",
    "13": "POS",
    "14": "EPO",
    "15": "Indemnity insurance",
    "16": "HMO Medicare risk",
    "17": "Dental maintenance organization",
    "AM": "Automobile medical",
    "BL": "Blue Cross/Blue Shield",
    "CH": "CHAMPUS (TRICARE)",
    "CI": "Commercial insurance",
    "DS": "Disability",
    "FI": "Federal employees program",
    "HM": "HMO",
    "LM": "Liability medical",
    "MA": "Medicare Part A",
    "MB": "Medicare Part B",
    "MC": "Medicaid",
    "OF": "Other federal program",
    "TV": "Title V",
    "VA": "Veterans Affairs plan",
    "WC": "Workers' compensation",
    "ZZ": "Mutually defined",
}

# CMS Place of Service code set: the codes a physician office bills most.
PLACE_OF_SERVICE: dict[str, str] = {
    "02": "Telehealth other than in patient's home",
    "03": "School",
    "04": "Homeless shelter",
    "10": "Telehealth in patient's home",
    "11": "Office",
    "12": "Home",
    "13": "Assisted living facility",
    "19": "Off campus outpatient hospital",
    "20": "Urgent care facility",
    "21": "Inpatient hospital",
    "22": "On campus outpatient hospital",
    "23": "Emergency room, hospital",
    "24": "Ambulatory surgical center",
    "31": "Skilled nursing facility",
    "32": "Nursing facility",
    "49": "Independent clinic",
    "50": "Federally qualified health center",
    "53": "Community mental health center",
    "71": "Public health clinic",
    "72": "Rural health clinic",
    "81": "Independent laboratory",
    "99": "Other place of service",
}

_TAXONOMY = re.compile(r"^[0-9]{3}[0-9A-Z]{6}X$")


def digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def npi_check_digit(first_nine: str) -> str:
    """The tenth digit that makes `first_nine` a valid NPI."""
    for d in "0123456789":
        if luhn_ok("80840" + first_nine + d):
            return d
    raise ValueError("no check digit")  # unreachable: one of ten digits always fits


def check_npi(value: str) -> str | None:
    if not re.fullmatch(r"[0-9]{10}", value):
        return "An NPI is exactly 10 digits."
    if value[0] not in "12":
        return "An NPI starts with 1 or 2."
    if not luhn_ok("80840" + value):
        return "This NPI's check digit is wrong: look for a mistyped digit."
    return None


def check_ein(value: str) -> str | None:
    if not re.fullmatch(r"[0-9]{9}", value):
        return "An EIN (tax ID) is 9 digits, for example 12-3456789."
    return None


def check_taxonomy(value: str) -> str | None:
    if not _TAXONOMY.fullmatch(value):
        return "A taxonomy code is 10 characters ending in X, for example 207Q00000X."
    return None


def check_zip(value: str, *, plus4: bool = False) -> str | None:
    if plus4 and len(value) != 9:
        return "Enter the full ZIP+4 (9 digits): claims need it for the billing provider."
    if len(value) not in (5, 9) or not value.isdigit():
        return "A ZIP code is 5 or 9 digits."
    return None


def check_state(value: str) -> str | None:
    if value not in US_STATES:
        return "Use the two-letter postal code for the state, for example NY."
    return None


def check_phone(value: str, *, required: bool = True) -> str | None:
    if not value and not required:
        return None
    if len(value) != 10:
        return "A phone number is 10 digits with the area code."
    return None
