"""Who may do what: the one table of roles and permissions (ONC 170.315(d)(1)).

Services enforce it (`UserContext.require`); the UI only hides what a role cannot do, and the
Admin tab shows this table as it is.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    FRONT_DESK = "front_desk"
    CODER = "coder"
    BILLER = "biller"


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Administrator",
    Role.FRONT_DESK: "Front desk",
    Role.CODER: "Coder",
    Role.BILLER: "Biller",
}


class Permission(StrEnum):
    VIEW_PATIENTS = "view_patients"
    EDIT_PATIENTS = "edit_patients"
    VIEW_FULL_SSN = "view_full_ssn"
    MERGE_PATIENTS = "merge_patients"
    IMPORT_PATIENTS = "import_patients"
    EDIT_HISTORY = "edit_history"
    CODE_ENCOUNTERS = "code_encounters"
    MANAGE_CODE_SETS = "manage_code_sets"
    MANAGE_FEES = "manage_fees"
    VIEW_LEDGER = "view_ledger"
    EDIT_COVERAGE = "edit_coverage"
    MANAGE_CLAIMS = "manage_claims"
    POST_PAYMENTS = "post_payments"
    TAKE_PAYMENTS = "take_payments"
    MANAGE_PLANS = "manage_plans"
    RUN_STATEMENTS = "run_statements"
    OVERRIDE_REMITTANCE = "override_remittance"
    WORK_FOLLOW_UP = "work_follow_up"
    CLOSE_DAY = "close_day"
    VIEW_QUALITY = "view_quality"
    MANAGE_MEASURES = "manage_measures"
    VIEW_DIRECTORY = "view_directory"
    MANAGE_PRACTICE = "manage_practice"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    EXPORT_AUDIT = "export_audit"
    MANAGE_SETTINGS = "manage_settings"
    BACKUP = "backup"
    RESTORE = "restore"


PERMISSION_LABELS: dict[Permission, str] = {
    Permission.VIEW_PATIENTS: "Find patients, open charts, print summaries",
    Permission.EDIT_PATIENTS: "Register patients and edit their details",
    Permission.VIEW_FULL_SSN: "Show a patient's full SSN (audited)",
    Permission.MERGE_PATIENTS: "Merge duplicate patient records and undo a merge",
    Permission.IMPORT_PATIENTS: "Import patients from a CSV file",
    Permission.EDIT_HISTORY: "Record problems, medications, allergies, encounters, "
                             "observations and documents",
    Permission.CODE_ENCOUNTERS: "Code encounters into charges and correct them",
    Permission.MANAGE_CODE_SETS: "Import and edit code sets, modifiers and providers' "
                                 "quick-pick lists",
    Permission.MANAGE_FEES: "Edit the fee schedule and payer contract rates; import "
                            "NCCI/MUE edits",
    Permission.VIEW_LEDGER: "See charges, payments and balances",
    Permission.EDIT_COVERAGE: "Enter coverages, verify benefits, exchange 270/271 files and "
                              "accept what a payer reports",
    Permission.MANAGE_CLAIMS: "Build, check, print and send claims; import 999 and 277CA "
                              "acknowledgements",
    Permission.POST_PAYMENTS: "Import 835 remittances, post paper EOBs, refunds, transfers "
                              "and write-offs",
    Permission.TAKE_PAYMENTS: "Take patient payments at the desk and print receipts",
    Permission.MANAGE_PLANS: "Set up, renegotiate, pause and cancel payment plans; apply "
                             "payments to them",
    Permission.RUN_STATEMENTS: "Run patient statements, put accounts on hold and hand them to "
                               "a collection agency",
    Permission.OVERRIDE_REMITTANCE: "Post a remittance that does not balance, with a "
                                    "written reason",
    Permission.WORK_FOLLOW_UP: "Work the follow-up queues, log payer calls, write appeals, "
                               "see A/R aging",
    Permission.CLOSE_DAY: "Close the day: print the day sheet and lock its entries",
    Permission.VIEW_QUALITY: "Evaluate quality measures, see their patient lists and data "
                             "gaps, export and compare runs",
    Permission.MANAGE_MEASURES: "Add and edit quality measure definitions, restore the "
                                "shipped ones",
    Permission.VIEW_DIRECTORY: "See the practice, providers, facilities and payers",
    Permission.MANAGE_PRACTICE: "Edit the practice, providers, facilities and payers",
    Permission.MANAGE_USERS: "Create, disable, unlock users and reset passwords",
    Permission.VIEW_AUDIT: "Read the audit log and verify its chain",
    Permission.EXPORT_AUDIT: "Export the audit log to CSV",
    Permission.MANAGE_SETTINGS: "Change clinic settings",
    Permission.BACKUP: "Make a backup of the database",
    Permission.RESTORE: "Restore the database from a backup",
}

_EVERYONE = frozenset({Permission.VIEW_DIRECTORY, Permission.VIEW_PATIENTS})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.FRONT_DESK: _EVERYONE | {Permission.EDIT_PATIENTS, Permission.IMPORT_PATIENTS,
                                 Permission.EDIT_HISTORY, Permission.EDIT_COVERAGE,
                                 Permission.TAKE_PAYMENTS, Permission.MANAGE_PLANS},
    # Quality lists name patients by condition and result: the coder keeps the coded
    # history they are built from, the biller reports them (MIPS quality); front desk does
    # not need clinical lists. Only the administrator edits what a measure counts.
    Role.CODER: _EVERYONE | {Permission.EDIT_HISTORY, Permission.CODE_ENCOUNTERS,
                            Permission.MANAGE_CODE_SETS, Permission.VIEW_LEDGER,
                            Permission.VIEW_QUALITY},
    Role.BILLER: _EVERYONE | {Permission.BACKUP, Permission.VIEW_FULL_SSN,
                             Permission.CODE_ENCOUNTERS, Permission.MANAGE_FEES,
                             Permission.VIEW_LEDGER, Permission.EDIT_COVERAGE,
                             Permission.MANAGE_CLAIMS, Permission.POST_PAYMENTS,
                             Permission.TAKE_PAYMENTS, Permission.MANAGE_PLANS,
                             Permission.RUN_STATEMENTS, Permission.WORK_FOLLOW_UP,
                             Permission.CLOSE_DAY, Permission.VIEW_QUALITY},
}


def role_allows(role: str, permission: Permission) -> bool:
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False
