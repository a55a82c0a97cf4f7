"""The three kinds of error (DESIGN.md §2.5), importable from every layer.

`UserError` messages are written for a clerk and shown as they are; they never carry patient
data, passphrases or passwords. `Cancelled` is silent. Anything else is a bug: logged without
patient data and shown in the crash dialog.
"""


class UserError(Exception):
    """A problem the clerk can fix; the message says what to do."""


class Cancelled(Exception):
    """The clerk cancelled; nothing to show."""


class PermissionDenied(UserError):
    """The signed-in user's role may not do this."""


class NotSignedIn(PermissionDenied):
    """A service was called with nobody signed in."""


class WrongPassphrase(UserError):
    """The clinic passphrase does not open the database file."""


class NotADatabase(UserError):
    """The file is missing, corrupt, or not a ClinicClerk database."""


class NewerDatabase(UserError):
    """The database was written by a newer ClinicClerk than this one."""


class ConflictError(UserError):
    """Someone else saved the same record first; their change is kept."""


class ValidationError(UserError):
    """Field problems, each with what to fix. `problems` maps field name to message."""

    def __init__(self, problems: dict[str, str], what: str = "record") -> None:
        self.problems = dict(problems)
        lines = "\n".join(f"• {field.replace('_', ' ')}: {msg}" for field, msg in problems.items())
        super().__init__(f"The {what} was not saved. Please fix:\n{lines}")
