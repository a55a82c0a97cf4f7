"""ClinicClerk: the records and billing desk of one clinic, offline."""

__version__ = "0.1.0"
APP_NAME = "ClinicClerk"
