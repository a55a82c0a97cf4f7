"""CMS-1500 (02/12) claims as a PDF (reportlab), on the grid of app.formats.cms1500.

Two modes:
- "data": only the claim's data in black Courier 12 pt (10 characters per inch, 6 lines per
  inch), for the pre-printed red OCR form (NUCC: typed, upper case, no form lines printed).
- "form": the 02/12 form drawn in red vector lines with its box numbers and short captions,
  shaded rows and the data on top; for the records and to check alignment by eye. The form
  is drawn from measurements of the printed 02/12 form (points from the top-left corner of a
  Letter page), not from a picture; every box outline sits where the red form has it, so the
  data lands in the same boxes on both.

`Printing` offsets (tenths of an inch, positive right/down) move everything on the page, so a
printer that pulls the paper a little off can be corrected; `alignment_page` prints a test
page to measure that offset against a blank red form. Built-in Courier and Helvetica only: no
font files. Output is reproducible (no time stamps). No database, no Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from io import BytesIO

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from app.formats.claim_data import ClaimDocument, Printing
from app.formats.cms1500 import (
    CHAR_PT,
    CHECKS,
    FIELDS,
    LEFT_PT,
    LINE_PT,
    TOP_PT,
    ClaimFormError,
    Placed,
    layout,
    line_field,
)

MODES = ("data", "form")
NO_OFFSET = Printing()
PAGE_W, PAGE_H = letter
TENTH_PT = 7.2  # one tenth of an inch
DATA_FONT, DATA_SIZE = "Courier", 12

RED = Color(0.93, 0.13, 0.16)
SHADE = Color(1.0, 0.86, 0.88)  # the shaded halves of box 24 and other shaded fields
LIGHT = Color(1.0, 0.93, 0.94)  # the dotted separators of box 24
THIN, THICK = 0.7, 2.2

# The form, in points from the top-left corner (y down), measured on the 02/12 form.
LEFT, RIGHT = 20.6, 591.7  # outer border
MID_L, MID_R = 227.8, 373.3  # the three columns of the top half
TOP, BOTTOM = 94.7, 755.9  # thick lines above box 1 and below 31–33
ROWS_24 = (526.1, 550.2, 574.8, 598.3, 623.0, 646.6, 670.5)  # box 24 row lines
SHADED_24 = 12.2  # height of the shaded top half of each 24 row

# (y, x0, x1, width)
H_LINES: tuple[tuple[float, float, float, float], ...] = (
    (TOP, LEFT, RIGHT, THICK),
    (119.4, LEFT, RIGHT, THIN), (142.2, LEFT, RIGHT, THIN), (167.0, LEFT, RIGHT, THIN),
    (190.3, LEFT, MID_L, THIN), (190.3, MID_R, RIGHT, THIN),
    (215.5, LEFT, RIGHT, THIN),
    (238.3, LEFT, MID_L, THIN), (238.6, MID_R, RIGHT, THIN),
    (261.6, LEFT, MID_L, THIN), (263.8, MID_R, RIGHT, THIN),
    (287.3, LEFT, MID_L, THIN), (286.7, MID_R, RIGHT, THIN),
    (311.3, LEFT, RIGHT, THIN), (335.3, LEFT, RIGHT, THIN),
    (383.3, LEFT, RIGHT, THICK),
    (406.6, LEFT, RIGHT, THIN), (418.7, 214.1, MID_R, THIN),
    (430.5, LEFT, RIGHT, THIN), (455.0, LEFT, RIGHT, THIN), (478.8, MID_R, RIGHT, THIN),
    (503.6, LEFT, RIGHT, THIN),
    *((y, LEFT, RIGHT, THIN) for y in ROWS_24),
    (694.7, LEFT, RIGHT, THIN), (741.8, 177.8, RIGHT, THIN),
    (BOTTOM, LEFT, RIGHT, THICK),
)

# (x, y0, y1, width)
V_LINES: tuple[tuple[float, float, float, float], ...] = (
    (LEFT, TOP, BOTTOM, THIN), (RIGHT, TOP, BOTTOM, THIN),
    (MID_R, TOP, 503.6, THIN), (MID_L, 119.4, 335.3, THIN),
    (201.1, 167.0, 190.3, THIN), (114.2, 190.3, 215.5, THIN),  # 5: city|state, zip|phone
    (544.8, 167.0, 190.3, THIN), (466.3, 190.3, 215.5, THIN),  # 7
    (214.1, 383.3, 430.5, THIN), (230.4, 406.6, 430.5, THIN), (246.0, 406.6, 430.5, THIN),
    (457.0, 442.1, 455.0, THIN), (526.7, 442.1, 455.0, THIN),  # 20 $ charges
    (456.4, 466.3, 478.8, THIN),  # 22 code | original ref. no.
    # 24 heading
    *((x, 503.6, ROWS_24[0], THIN)
      for x in (148.1, 171.1, 193.0, 336.5, 373.3, 437.5, 466.6, 481.4, 502.6)),
    (481.3, ROWS_24[0], ROWS_24[-1], THIN), (502.4, ROWS_24[0], ROWS_24[-1], THIN),
    # 25–33
    (177.8, 670.5, BOTTOM, THIN), (283.7, 670.5, 694.7, THIN), (MID_R, 670.5, BOTTOM, THIN),
    (454.6, 670.5, 694.7, THIN), (523.2, 670.5, 694.7, THIN),
    (261.8, 741.8, BOTTOM, THIN), (457.0, 741.8, BOTTOM, THIN),
)

# Lines in the unshaded half of every 24 row, and the dotted separators (x0, x1) there.
LINE_24_X = (40.1, 61.1, 83.4, 104.4, 127.1, 148.0, 171.0, 192.8, 245.4, 271.0, 292.6, 314.2,
             336.4, 373.4, 419.2, 437.4, 466.4)
SEPARATORS_24 = ((188.9, 197.0), (242.0, 248.6), (369.0, 377.0))

# Short dashed ticks between the parts of dates and before qualifiers: (x, y0, y1).
TICKS: tuple[tuple[float, float, float], ...] = (
    (256.9, 128.5, 142.2), (279.0, 128.5, 142.2),  # 3
    (416.3, 252.0, 263.8), (437.6, 252.0, 263.8),  # 11a
    (47.4, 393.1, 406.6), (68.8, 393.1, 406.6), (127.0, 393.1, 406.6),  # 14
    (235.0, 393.1, 406.6), (260.8, 393.1, 406.6), (301.0, 393.1, 406.6),
    (322.3, 393.1, 406.6),  # 15
    *((x, y, y + 13.2) for y in (393.1, 417.3)
      for x in (421.3, 445.4, 523.8, 544.8)),  # 16, 18
    (41.5, 417.1, 430.5),  # 17 qualifier
    (434.8, 680.0, 694.7), (506.4, 680.0, 694.7), (571.3, 680.0, 694.7),  # 28-30 cents
    (390.7, 268.0, 285.0),  # 11b qualifier
    (245.4, 519.0, ROWS_24[0]),  # 24D code | modifiers
    (316.7, 455.0, 463.0), (330.5, 455.0, 463.0),  # 21 ICD Ind.
)

# Check boxes (x0, y0, x1, y1).
CHECK_BOXES: tuple[tuple[float, float, float, float], ...] = (
    (LEFT, 105.6, 32.2, 117.8), (70.1, 105.6, 81.2, 117.8), (120.7, 105.9, 131.8, 117.9),
    (185.8, 105.6, 196.9, 117.8), (236.6, 105.6, 247.7, 117.7), (294.4, 105.9, 305.5, 117.8),
    (337.9, 105.6, 349.0, 117.7),  # 1
    (316.1, 129.4, 327.2, 142.2), (352.2, 129.4, 363.4, 142.2),  # 3 sex
    (251.0, 154.2, 262.2, 166.2), (287.5, 154.2, 298.7, 166.2), (316.2, 154.2, 327.4, 166.2),
    (352.4, 154.2, 363.5, 166.2),  # 6
    *((x, y, x + 11.1, y + 11.6) for y in (250.7, 274.4, 298.1) for x in (265.8, 309.2)),
    (503.9, 250.0, 514.9, 261.7), (554.9, 250.0, 565.9, 261.7),  # 11a sex
    (388.2, 321.8, 399.2, 333.8), (424.6, 321.8, 435.7, 333.8),  # 11d
    (389.0, 441.8, 400.1, 453.6), (425.5, 441.8, 436.7, 453.6),  # 20
    (136.7, 681.6, 147.8, 693.6), (151.0, 681.6, 162.2, 693.6),  # 25
    (288.2, 681.8, 299.4, 693.8), (324.2, 681.8, 335.4, 693.8),  # 27
    (LEFT, 85.0, 28.1, 95.5), (28.1, 85.0, 35.0, 95.5), (35.0, 85.0, 42.2, 95.5),  # PICA
    (570.6, 84.0, 577.7, 95.0), (577.7, 84.0, 584.6, 95.0), (584.6, 84.0, RIGHT, 95.0),
)

# Shaded fields (x0, y0, x1, y1) besides the 24 rows.
SHADED: tuple[tuple[float, float, float, float], ...] = (
    (246.0, 406.6, MID_R, 418.7),  # 17a other ID
    (261.8, 741.8, MID_R, BOTTOM), (457.0, 741.8, RIGHT, BOTTOM),  # 32b, 33b
)

# Box 21: y of the underline of A–L (the fourth column sits a little lower on the form).
DX_LINES_Y = (477.6, 477.6, 477.6, 478.8, 489.4, 489.4, 489.4, 490.9, 501.5, 501.5, 501.5, 501.8)

# Captions: (x, y baseline, text, size, style) with style "", "b", "i" or "bi".
S = 6.3  # caption size
CAPTIONS: tuple[tuple[float, float, str, float, str], ...] = (
    (43.5, 88.5, "PICA", S, ""), (553.5, 88.5, "PICA", S, ""),
    (23.0, 102.6, "1.", S, ""), (35.5, 102.6, "MEDICARE", S, ""),
    (84.0, 102.6, "MEDICAID", S, ""), (136.0, 102.6, "TRICARE", S, ""),
    (199.0, 102.6, "CHAMPVA", S, ""), (251.0, 102.0, "GROUP", S, ""),
    (251.0, 107.6, "HEALTH PLAN", S, ""), (308.0, 102.0, "FECA", S, ""),
    (308.0, 107.8, "BLK LUNG", S, ""), (351.5, 102.6, "OTHER", S, ""),
    (34.0, 114.5, "(Medicare#)", S, "i"), (83.5, 114.5, "(Medicaid#)", S, "i"),
    (134.0, 114.5, "(ID#/DoD#)", S, "i"), (198.5, 114.5, "(Member ID#)", S, "i"),
    (249.5, 114.5, "(ID#)", S, "i"), (308.0, 114.3, "(ID#)", S, "i"),
    (351.5, 114.5, "(ID#)", S, "i"),
    (376.5, 102.6, "1a. INSURED'S I.D. NUMBER", S, ""),
    (571.5, 102.6, "(For Program in Item 1)", S, "r"),
    (23.0, 126.8, "2. PATIENT'S NAME (Last Name, First Name, Middle Initial)", S, ""),
    (230.5, 126.8, "3. PATIENT'S BIRTH DATE", S, ""), (333.0, 126.8, "SEX", S, ""),
    (243.0, 131.0, "MM", 5.5, ""), (265.0, 131.0, "DD", 5.5, ""), (291.0, 131.0, "YY", 5.5, ""),
    (309.5, 138.5, "M", S, ""), (345.5, 138.5, "F", S, ""),
    (376.5, 126.8, "4. INSURED'S NAME (Last Name, First Name, Middle Initial)", S, ""),
    (23.0, 149.0, "5. PATIENT'S ADDRESS (No., Street)", S, ""),
    (230.5, 149.0, "6. PATIENT RELATIONSHIP TO INSURED", S, ""),
    (238.0, 161.8, "Self", S, ""), (266.0, 161.8, "Spouse", S, ""),
    (302.0, 161.8, "Child", S, ""), (333.0, 161.8, "Other", S, ""),
    (376.5, 149.0, "7. INSURED'S ADDRESS (No., Street)", S, ""),
    (23.0, 175.0, "CITY", S, ""), (204.0, 175.0, "STATE", S, ""),
    (230.5, 175.0, "8. RESERVED FOR NUCC USE", S, ""),
    (376.5, 175.0, "CITY", S, ""), (549.0, 175.0, "STATE", S, ""),
    (23.0, 199.0, "ZIP CODE", S, ""), (117.0, 199.0, "TELEPHONE (Include Area Code)", S, ""),
    (376.5, 199.0, "ZIP CODE", S, ""), (469.0, 199.0, "TELEPHONE (Include Area Code)", S, ""),
    (23.0, 223.5, "9. OTHER INSURED'S NAME (Last Name, First Name, Middle Initial)", S, ""),
    (230.5, 223.5, "10. IS PATIENT'S CONDITION RELATED TO:", S, ""),
    (376.5, 223.5, "11. INSURED'S POLICY GROUP OR FECA NUMBER", S, ""),
    (23.0, 246.5, "a. OTHER INSURED'S POLICY OR GROUP NUMBER", S, ""),
    (230.5, 246.5, "a. EMPLOYMENT? (Current or Previous)", S, ""),
    (376.5, 246.5, "a. INSURED'S DATE OF BIRTH", S, ""), (527.0, 246.5, "SEX", S, ""),
    (401.0, 251.5, "MM", 5.5, ""), (423.0, 251.5, "DD", 5.5, ""), (448.0, 251.5, "YY", 5.5, ""),
    (497.5, 258.3, "M", S, ""), (548.0, 258.3, "F", S, ""),
    (23.0, 270.0, "b. RESERVED FOR NUCC USE", S, ""),
    (230.5, 270.0, "b. AUTO ACCIDENT?", S, ""), (330.5, 272.5, "PLACE (State)", S, ""),
    (376.5, 271.5, "b. OTHER CLAIM ID (Designated by NUCC)", S, ""),
    (23.0, 294.0, "c. RESERVED FOR NUCC USE", S, ""),
    (230.5, 294.0, "c. OTHER ACCIDENT?", S, ""),
    (376.5, 295.0, "c. INSURANCE PLAN NAME OR PROGRAM NAME", S, ""),
    *((x, 260.5 + dy, word, S, "") for dy in (0.0, 23.7, 47.4)
      for x, word in ((280.0, "YES"), (323.0, "NO"))),
    (23.0, 319.5, "d. INSURANCE PLAN NAME OR PROGRAM NAME", S, ""),
    (230.5, 319.5, "10d. CLAIM CODES (Designated by NUCC)", S, ""),
    (376.5, 319.5, "d. IS THERE ANOTHER HEALTH BENEFIT PLAN?", S, ""),
    (402.0, 331.3, "YES", S, ""), (438.5, 331.3, "NO", S, ""),
    (466.0, 331.0, "If yes,", S, "bi"),
    (488.5, 331.0, "complete items 9, 9a, and 9d.", S, ""),
    (199.0, 343.0, "READ BACK OF FORM BEFORE COMPLETING & SIGNING THIS FORM.", S, "bc"),
    (23.0, 349.5, "12. PATIENT'S OR AUTHORIZED PERSON'S SIGNATURE  I authorize the release of "
     "any medical or other information necessary", S, ""),
    (31.0, 357.0, "to process this claim. I also request payment of government benefits either "
     "to myself or to the party who accepts assignment", S, ""),
    (31.0, 363.2, "below.", S, ""),
    (33.0, 379.0, "SIGNED", S, ""), (257.0, 379.0, "DATE", S, ""),
    (376.5, 343.0, "13. INSURED'S OR AUTHORIZED PERSON'S SIGNATURE  I authorize", S, ""),
    (385.0, 350.0, "payment of medical benefits to the undersigned physician or supplier for", S,
     ""),
    (385.0, 357.0, "services described below.", S, ""),
    (390.5, 379.0, "SIGNED", S, ""),
    (23.0, 389.8, "14. DATE OF CURRENT ILLNESS, INJURY, or PREGNANCY (LMP)", S, ""),
    (31.5, 395.5, "MM", 5.5, ""), (53.0, 395.5, "DD", 5.5, ""), (81.5, 395.5, "YY", 5.5, ""),
    (107.0, 403.0, "QUAL.", S, ""),
    (217.0, 389.8, "15. OTHER DATE", S, ""), (217.0, 400.5, "QUAL.", S, ""),
    (284.5, 395.0, "MM", 5.5, ""), (310.5, 395.0, "DD", 5.5, ""), (337.0, 395.0, "YY", 5.5, ""),
    (376.5, 390.5, "16. DATES PATIENT UNABLE TO WORK IN CURRENT OCCUPATION", S, ""),
    (23.0, 413.6, "17. NAME OF REFERRING PROVIDER OR OTHER SOURCE", S, ""),
    (216.5, 415.5, "17a.", S, ""), (216.5, 427.5, "17b.", S, ""), (233.0, 427.5, "NPI", S, ""),
    (376.5, 414.5, "18. HOSPITALIZATION DATES RELATED TO CURRENT SERVICES", S, ""),
    *((x, y, word, 5.5, "") for y in (396.0, 420.0)
      for x, word in ((408.0, "MM"), (430.0, "DD"), (458.0, "YY"), (508.0, "MM"),
                      (530.0, "DD"), (562.0, "YY"))),
    *((x, y, word, S, "") for y in (404.0, 427.5) for x, word in ((386.0, "FROM"),
                                                                  (494.5, "TO"))),
    (23.0, 437.6, "19. ADDITIONAL CLAIM INFORMATION (Designated by NUCC)", S, ""),
    (376.5, 438.5, "20. OUTSIDE LAB?", S, ""), (493.0, 438.5, "$ CHARGES", S, ""),
    (403.0, 451.5, "YES", S, ""), (439.5, 451.5, "NO", S, ""),
    (23.0, 461.6, "21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY  Relate A-L to service line "
     "below (24E)", 6.0, ""),
    (291.5, 464.5, "ICD Ind.", S, ""),
    *((25.0 + 93.8 * (i % 4), DX_LINES_Y[i] - 0.6, f"{letter}.", S, "")
      for i, letter in enumerate("ABCDEFGHIJKL")),
    (376.5, 462.0, "22. RESUBMISSION", S, ""), (386.0, 467.0, "CODE", S, ""),
    (468.0, 467.5, "ORIGINAL REF. NO.", S, ""),
    (376.5, 486.0, "23. PRIOR AUTHORIZATION NUMBER", S, ""),
    (23.0, 509.5, "24. A.", S, ""), (53.0, 509.5, "DATE(S) OF SERVICE", S, ""),
    (45.0, 517.0, "From", S, ""), (114.0, 517.0, "To", S, ""),
    *((x, 524.0, word, 5.8, "") for x, word in ((26.0, "MM"), (47.0, "DD"), (69.0, "YY"),
                                                 (88.0, "MM"), (109.0, "DD"), (132.0, "YY"))),
    (159.5, 509.5, "B.", S, "c"), (159.5, 517.0, "PLACE OF", 5.3, "c"),
    (159.5, 523.0, "SERVICE", 5.3, "c"), (182.0, 509.5, "C.", S, "c"),
    (182.0, 523.0, "EMG", S, "c"),
    (196.0, 509.5, "D. PROCEDURES, SERVICES, OR SUPPLIES", S, ""),
    (255.0, 517.0, "(Explain Unusual Circumstances)", S, "c"),
    (200.5, 524.0, "CPT/HCPCS", S, ""), (277.0, 524.0, "MODIFIER", S, ""),
    (354.9, 509.5, "E.", S, "c"), (354.9, 517.0, "DIAGNOSIS", S, "c"),
    (354.9, 524.0, "POINTER", S, "c"), (405.4, 509.5, "F.", S, "c"),
    (405.4, 524.0, "$ CHARGES", S, "c"),
    (452.0, 508.5, "G.", S, "c"), (452.0, 513.5, "DAYS", 5.0, "c"),
    (452.0, 518.5, "OR", 5.0, "c"), (452.0, 523.5, "UNITS", 5.0, "c"),
    (474.0, 508.5, "H.", S, "c"), (474.0, 513.5, "EPSDT", 4.6, "c"),
    (474.0, 518.5, "Family", 4.6, "c"), (474.0, 523.5, "Plan", 4.6, "c"),
    (492.0, 509.5, "I.", S, "c"), (492.0, 517.0, "ID.", S, "c"),
    (492.0, 524.0, "QUAL.", S, "c"),
    (547.0, 509.5, "J.", S, "c"), (547.0, 517.0, "RENDERING", S, "c"),
    (547.0, 524.0, "PROVIDER ID. #", S, "c"),
    *((491.8, row + SHADED_24 + 8.5, "NPI", S, "c") for row in ROWS_24[:-1]),
    (23.0, 677.5, "25. FEDERAL TAX I.D. NUMBER", S, ""), (137.5, 677.5, "SSN", S, ""),
    (151.5, 677.5, "EIN", S, ""),
    (180.5, 677.5, "26. PATIENT'S ACCOUNT NO.", S, ""),
    (286.5, 677.0, "27. ACCEPT ASSIGNMENT?", S, ""),
    (329.0, 682.5, "(For govt. claims, see back)", 4.6, "c"),
    (302.0, 691.5, "YES", S, ""), (338.0, 691.5, "NO", S, ""),
    (376.0, 677.5, "28. TOTAL CHARGE", S, ""), (379.0, 691.5, "$", S, ""),
    (457.5, 677.5, "29. AMOUNT PAID", S, ""), (460.0, 691.5, "$", S, ""),
    (526.0, 677.5, "30. Rsvd for NUCC Use", S, ""),
    (23.0, 701.5, "31. SIGNATURE OF PHYSICIAN OR SUPPLIER", S, ""),
    (33.6, 708.5, "INCLUDING DEGREES OR CREDENTIALS", S, ""),
    (33.6, 715.9, "(I certify that the statements on the reverse", S, ""),
    (33.6, 722.5, "apply to this bill and are made a part thereof.)", S, ""),
    (23.0, 753.0, "SIGNED", S, ""), (132.0, 753.0, "DATE", S, ""),
    (180.5, 702.5, "32. SERVICE FACILITY LOCATION INFORMATION", S, ""),
    (376.0, 702.5, "33. BILLING PROVIDER INFO & PH #", S, ""),
    (180.5, 749.0, "a.", S, ""), (264.0, 749.0, "b.", S, ""),
    (376.0, 749.0, "a.", S, ""), (459.5, 749.0, "b.", S, ""),
    (20.6, 764.5, "NUCC Instruction Manual available at: www.nucc.org", 8.0, ""),
    (252.0, 764.5, "PLEASE PRINT OR TYPE", 8.0, "bi"),
    (RIGHT, 764.5, "APPROVED OMB-0938-1197 FORM 1500 (02-12)", 8.0, "r"),
)

# Captions squeezed to the width they have on the form (its type is condensed): text → points.
FIT = {
    "12. PATIENT'S OR AUTHORIZED PERSON'S SIGNATURE  I authorize the release of any medical or "
    "other information necessary": 347.0,
    "to process this claim. I also request payment of government benefits either to myself or "
    "to the party who accepts assignment": 319.0,
    "13. INSURED'S OR AUTHORIZED PERSON'S SIGNATURE  I authorize": 203.0,
    "payment of medical benefits to the undersigned physician or supplier for": 200.0,
    "14. DATE OF CURRENT ILLNESS, INJURY, or PREGNANCY (LMP)": 189.0,
    "16. DATES PATIENT UNABLE TO WORK IN CURRENT OCCUPATION": 192.0,
    "18. HOSPITALIZATION DATES RELATED TO CURRENT SERVICES": 186.0,
    "21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY  Relate A-L to service line below (24E)": 255.0,
}

# Parentheses around the area codes: (x, baseline).
PARENS = ((120.5, 211.5, "("), (144.5, 211.5, ")"), (479.5, 211.5, "("), (506.0, 211.5, ")"),
          (488.0, 706.5, "("), (513.0, 706.5, ")"))

# The right margin: (label, top, bottom) of each bracketed section.
MARGIN = (("CARRIER", 20.0, 91.0), ("PATIENT AND INSURED INFORMATION", 97.0, 380.0),
          ("PHYSICIAN OR SUPPLIER INFORMATION", 386.0, BOTTOM))
MARGIN_X = 597.2


def grid_x(col: int) -> float:
    """x (points from the left edge) where column `col` starts."""
    return LEFT_PT + CHAR_PT * (col - 1)


def grid_baseline(line: int) -> float:
    """The baseline of `line`, in points from the top edge."""
    return TOP_PT + LINE_PT * line


def render_claims(claims: Sequence[ClaimDocument], *, mode: str,
                  printing: Printing = NO_OFFSET, printed_on: date) -> bytes:
    """All pages of all `claims`, one after another, as one PDF. `mode` "data" prints only the
    data (for pre-printed red forms), "form" draws the form too."""
    if mode not in MODES:
        raise ValueError(f"mode is 'data' or 'form', not {mode!r}")
    pages = [page for claim in claims for page in layout(claim, printed_on=printed_on)]
    if not pages:
        raise ClaimFormError("There are no claims to print.")
    c, buf = _canvas("CMS-1500 claims")
    for fields in pages:
        _shifted(c, printing)
        if mode == "form":
            draw_form(c)
        draw_data(c, fields)
        c.restoreState()
        c.showPage()
    c.save()
    return buf.getvalue()


def _canvas(title: str) -> tuple[Canvas, BytesIO]:
    buf = BytesIO()
    c = Canvas(buf, pagesize=letter, invariant=True, pageCompression=1)
    c.setTitle(title)  # never patient data: the document's metadata is visible in viewers
    c.setCreator("ClinicClerk")
    return c, buf


def _shifted(c: Canvas, printing: Printing) -> None:
    """Start a page with everything moved by the printer's offsets (positive = right/down)."""
    c.saveState()
    c.translate(printing.offset_x_tenths * TENTH_PT, -printing.offset_y_tenths * TENTH_PT)


def draw_data(c: Canvas, fields: Sequence[Placed]) -> None:
    """The fields in black Courier 12 pt on the grid."""
    c.setFillColor(black)
    c.setFont(DATA_FONT, DATA_SIZE)
    for f in fields:
        c.drawString(grid_x(f.col), PAGE_H - grid_baseline(f.line), f.text)


# --- the form -----------------------------------------------------------------------------------
def draw_form(c: Canvas) -> None:
    """The 02/12 form in red: shading, lines, check boxes, captions, title, margins."""
    c.saveState()
    _shading(c)
    c.setStrokeColor(RED)
    c.setFillColor(RED)
    for y, x0, x1, w in H_LINES:
        _line(c, x0, y, x1, y, w)
    for x, y0, y1, w in V_LINES:
        _line(c, x, y0, x, y1, w)
    for top in ROWS_24[:-1]:
        for x in LINE_24_X:
            _line(c, x, top + SHADED_24, x, top + 24.1, THIN * 0.8)
        c.setDash(3, 2)
        _line(c, 481.3, top + SHADED_24, RIGHT, top + SHADED_24, THIN * 0.8)
        c.setDash()
    c.setDash(1.6, 1.2)
    for x, y0, y1 in TICKS:
        _line(c, x, y0, x, y1, THIN * 0.8)
    c.setDash()
    for x0, y0, x1, y1 in CHECK_BOXES:
        c.setLineWidth(THIN)
        c.rect(x0, PAGE_H - y1, x1 - x0, y1 - y0, stroke=1, fill=0)
    _diagnosis_lines(c)
    _signature_lines(c)
    _captions(c)
    _title_and_margins(c)
    c.restoreState()


def _line(c: Canvas, x0: float, y0: float, x1: float, y1: float, width: float) -> None:
    c.setLineWidth(width)
    c.line(x0, PAGE_H - y0, x1, PAGE_H - y1)


def _fill(c: Canvas, x0: float, y0: float, x1: float, y1: float) -> None:
    c.rect(x0, PAGE_H - y1, x1 - x0, y1 - y0, stroke=0, fill=1)


def _shading(c: Canvas) -> None:
    c.setFillColor(SHADE)
    for top in ROWS_24[:-1]:
        _fill(c, LEFT, top, RIGHT, top + SHADED_24)
    for x0, y0, x1, y1 in SHADED:
        _fill(c, x0, y0, x1, y1)
    c.setFillColor(LIGHT)
    for top in ROWS_24[:-1]:
        for x0, x1 in SEPARATORS_24:
            _fill(c, x0, top + SHADED_24, x1, top + 24.1)


def _signature_lines(c: Canvas) -> None:
    """The lines after SIGNED and DATE in boxes 12 and 13."""
    for y, x0, x1 in ((379.4, 56.9, 237.6), (379.8, 273.8, 371.0), (379.8, 415.0, 589.0)):
        _line(c, x0, y, x1, y, THIN * 0.8)
    # 10b: the bracket under PLACE (State) where the state goes
    _line(c, 337.2, 285.0, 358.0, 285.0, THIN * 0.8)
    for x in (337.2, 358.0):
        _line(c, x, 281.0, x, 285.0, THIN * 0.8)


def _diagnosis_lines(c: Canvas) -> None:
    """Box 21 A–L: an underline with a short upright at its left end, 4 a line."""
    for i, y in enumerate(DX_LINES_Y):
        x0 = 34.5 + 93.8 * (i % 4)
        _line(c, x0, y, x0 + 51.5, y, THIN)
        _line(c, x0, y - 4.0, x0, y, THIN)


def _font(style: str) -> str:
    bold, italic = "b" in style, "i" in style
    return "Helvetica" + ("-BoldOblique" if bold and italic else "-Bold" if bold
                          else "-Oblique" if italic else "")


def _captions(c: Canvas) -> None:
    for x, y, text, size, style in CAPTIONS:
        c.setFont(_font(style), size)
        if text in FIT:
            _condensed(c, x, y, text, _font(style), size, FIT[text])
        elif "r" in style:
            c.drawRightString(x, PAGE_H - y, text)
        elif "c" in style:
            c.drawCentredString(x, PAGE_H - y, text)
        else:
            c.drawString(x, PAGE_H - y, text)
    c.setFont("Helvetica", 11)
    for x, y, text in PARENS:
        c.drawString(x, PAGE_H - y, text)
    c.setFont("Helvetica", 12)
    for i, top in enumerate(ROWS_24[:-1], start=1):
        c.drawString(12.0, PAGE_H - (top + 16.5), str(i))
    c.setFont("Helvetica-Bold", 16.7)
    c.setFillColor(Color(1.0, 0.8, 0.82))  # the NPI watermark of 32a and 33a
    for x in (213.5, 409.0):
        c.drawString(x, PAGE_H - 753.6, "NPI")
    c.setFillColor(RED)


def _title_and_margins(c: Canvas) -> None:
    _condensed(c, LEFT, 68.5, "HEALTH INSURANCE CLAIM FORM", "Helvetica-Bold", 13.4, 186.0)
    _condensed(c, LEFT, 78.5, "APPROVED BY NATIONAL UNIFORM CLAIM COMMITTEE (NUCC) 02/12",
               "Helvetica", 6.7, 203.0)
    for label, top, bottom in MARGIN:
        _margin_bracket(c, label, top, bottom)


def _condensed(c: Canvas, x: float, y: float, text: str, font: str, size: float,
               width: float) -> None:
    """`text` squeezed (never stretched) to `width` points, as the form's condensed type is."""
    t = c.beginText(x, PAGE_H - y)
    t.setFont(font, size)
    t.setHorizScale(min(100.0, 100.0 * width / c.stringWidth(text, font, size)))
    t.textOut(text)
    c.drawText(t)


def _margin_bracket(c: Canvas, label: str, top: float, bottom: float) -> None:
    """A vertical label between arrowheads, reading bottom to top, in the right margin."""
    size = 7.0
    half = c.stringWidth(label, "Helvetica-Bold", size) / 2 + 3
    middle = (top + bottom) / 2
    _line(c, MARGIN_X, top, MARGIN_X, middle - half, THIN)
    _line(c, MARGIN_X, middle + half, MARGIN_X, bottom, THIN)
    for tip, back in ((top, top + 4.0), (bottom, bottom - 4.0)):
        path = c.beginPath()
        path.moveTo(MARGIN_X, PAGE_H - tip)
        path.lineTo(MARGIN_X - 2.0, PAGE_H - back)
        path.lineTo(MARGIN_X + 2.0, PAGE_H - back)
        path.close()
        c.drawPath(path, stroke=0, fill=1)
    c.saveState()
    c.translate(MARGIN_X + 2.5, PAGE_H - middle)
    c.rotate(90)
    c.setFont("Helvetica-Bold", size)
    c.drawCentredString(0, 0, label)
    c.restoreState()


# --- the alignment test page --------------------------------------------------------------------
# Marks printed where the data of these boxes goes: (box label, line, column).
ALIGNMENT_MARKS = (("1 MEDICARE", 8, CHECKS["1"][1]["medicare"]),
                   ("1 OTHER", 8, CHECKS["1"][1]["other"]),
                   ("1a", FIELDS["1a"].line, FIELDS["1a"].col),
                   ("24A LINE 1", line_field("24A", 1)[1].line, 1),
                   ("24A LINE 6", line_field("24A", 6)[1].line, 1),
                   ("28", FIELDS["28"].line, FIELDS["28"].col + 2),
                   ("33", FIELDS["33"].line, FIELDS["33"].col),
                   ("25 EIN", 56, CHECKS["25.type"][1]["ein"]))
# Scales read against long red lines of the form: (direction, the line's x or y, where along).
ALIGNMENT_SCALES = (("ACROSS", MID_R, 203.0), ("ACROSS", 177.8, 725.0),
                    ("DOWN", 215.5, 120.0), ("DOWN", 694.7, 500.0))
SCALE_STEPS = 5  # ticks from -5 to +5 tenths

ALIGNMENT_TEXT = (
    "CMS-1500 (02/12) PRINTER ALIGNMENT TEST PAGE",
    "1. Print this page on plain paper at actual size (100%, no 'fit to page').",
    "2. Lay it on a blank red CMS-1500 form, edges together, and hold both against a window.",
    "3. Each X should sit inside its red box: box 1 (Medicare, Other), 1a, 25 (EIN), 28, 33,",
    "   and the first and last service lines of 24 (24A line 1 and line 6).",
    "4. Each scale crosses one long red line of the form; its 0 tick is where that line should be.",
    "   Find the numbered tick that lies on the red line: that number is the correction in",
    "   tenths of an inch (one tick = 0.1 inch).",
    "   ACROSS scales: + moves the print right, - moves it left.",
    "   DOWN scales: + moves the print down, - moves it up.",
    "5. Add the numbers you read to the offsets this page was printed with (below) and save",
    "   the sums as the printer's offsets. Print this page again: every scale should read 0.",
)


def alignment_page(printing: Printing) -> bytes:
    """A one-page PDF to hold against a blank red form: X marks where the data of a few boxes
    goes, scales in tenths of an inch across the form's long red lines, rulers at the edges,
    and printed instructions; everything moved by `printing`, like the claims."""
    c, buf = _canvas("CMS-1500 alignment test page")
    _shifted(c, printing)
    c.setFillColor(black)
    c.setStrokeColor(black)
    for label, line, col in ALIGNMENT_MARKS:
        _mark(c, label, line, col)
    for direction, at, along in ALIGNMENT_SCALES:
        _scale(c, direction, at, along)
    _rulers(c)
    _instructions(c, printing)
    c.restoreState()
    c.showPage()
    c.save()
    return buf.getvalue()


def _mark(c: Canvas, label: str, line: int, col: int) -> None:
    """An X in Courier where the box's data goes, with corner brackets around its cell."""
    x, base = grid_x(col), grid_baseline(line)
    c.setFont(DATA_FONT, DATA_SIZE)
    c.drawString(x, PAGE_H - base, "X")
    top, bottom, right = base - 9.0, base + 2.0, x + CHAR_PT
    for cx, cy, dx, dy in ((x, top, 2.5, 2.5), (right, top, -2.5, 2.5),
                           (x, bottom, 2.5, -2.5), (right, bottom, -2.5, -2.5)):
        _line(c, cx, cy, cx + dx, cy, 0.5)
        _line(c, cx, cy, cx, cy + dy, 0.5)
    c.setFont("Helvetica", 5.5)
    c.drawString(x, PAGE_H - (base + 8.0), label)


def _scale(c: Canvas, direction: str, at: float, along: float) -> None:
    """Ticks every tenth of an inch from -5 to +5 around a red line of the form."""
    c.setFont("Helvetica", 5.0)
    for k in range(-SCALE_STEPS, SCALE_STEPS + 1):
        length = 7.0 if k == 0 else 4.5
        pos = at + k * TENTH_PT
        label = f"{k:+d}" if k else "0"
        if direction == "ACROSS":
            _line(c, pos, along - length, pos, along + length, 0.5)
            if k % 2 == 0 or k in (-1, 1):
                c.drawCentredString(pos, PAGE_H - (along + length + 5.5), label)
        else:
            _line(c, along - length, pos, along + length, pos, 0.5)
            c.drawString(along + length + 1.5, PAGE_H - (pos + 1.8), label)
    c.setFont("Helvetica-Bold", 5.5)
    if direction == "ACROSS":
        _line(c, at - SCALE_STEPS * TENTH_PT, along, at + SCALE_STEPS * TENTH_PT, along, 0.4)
        c.drawString(at + SCALE_STEPS * TENTH_PT + 3, PAGE_H - (along + 2), "ACROSS")
    else:
        _line(c, along, at - SCALE_STEPS * TENTH_PT, along, at + SCALE_STEPS * TENTH_PT, 0.4)
        c.drawCentredString(along, PAGE_H - (at - SCALE_STEPS * TENTH_PT - 3), "DOWN")


def _rulers(c: Canvas) -> None:
    """Inch rulers with tenths along the top and the left edge (measured from the page edge)."""
    c.setFont("Helvetica", 5.0)
    for i in range(int(PAGE_W / TENTH_PT) + 1):
        x = i * TENTH_PT
        length = 8.0 if i % 10 == 0 else 5.0 if i % 5 == 0 else 3.0
        _line(c, x, 0, x, length, 0.4)
        if i % 10 == 0 and i:
            c.drawCentredString(x, PAGE_H - 14.0, f"{i // 10} in")
    for i in range(int(PAGE_H / TENTH_PT) + 1):
        y = i * TENTH_PT
        length = 8.0 if i % 10 == 0 else 5.0 if i % 5 == 0 else 3.0
        _line(c, 0, y, length, y, 0.4)
        if i % 10 == 0 and i:
            c.drawString(10.0, PAGE_H - (y + 1.8), f"{i // 10} in")


def _instructions(c: Canvas, printing: Printing) -> None:
    y = 330.0
    for i, text in enumerate(ALIGNMENT_TEXT):
        c.setFont("Helvetica-Bold" if i == 0 else "Helvetica", 8.5 if i == 0 else 7.5)
        c.drawString(60.0, PAGE_H - y, text)
        y += 10.0 if i else 13.0
    c.setFont("Helvetica-Bold", 7.5)
    c.drawString(120.0, PAGE_H - (y + 3.0),
                 f"This page was printed with offsets: across {printing.offset_x_tenths:+d}, "
                 f"down {printing.offset_y_tenths:+d} (tenths of an inch).")
