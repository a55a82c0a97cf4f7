"""Where the clinic passphrase comes from: `CLINIC_CLERK_PASSPHRASE` for headless use, else the
OS keyring on this workstation when the admin allowed it (DESIGN.md §5). Never written to disk
in clear, logged, or put in an exception."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import keyring
from keyring.errors import KeyringError

log = logging.getLogger(__name__)

SERVICE = "ClinicClerk"
ENV_PASSPHRASE = "CLINIC_CLERK_PASSPHRASE"  # noqa: S105 - the variable name
MIN_PASSPHRASE = 12


def check_passphrase_rules(passphrase: str) -> str | None:
    if len(passphrase) < MIN_PASSPHRASE:
        return f"The clinic passphrase needs at least {MIN_PASSPHRASE} characters."
    return None


def _account(db_path: Path) -> str:
    return str(db_path.resolve())


def keyring_usable() -> bool:
    """True when a real keyring backend is available (not the null or fail backends)."""
    try:
        backend = keyring.get_keyring()
        priority = getattr(backend, "priority", 0)
    except Exception:  # noqa: BLE001 - any backend failure means "not usable"
        return False
    name = type(backend).__module__
    return priority > 0 and not name.endswith(("null", "fail"))


def from_environment() -> str | None:
    return os.environ.get(ENV_PASSPHRASE) or None


def remembered(db_path: Path) -> str | None:
    if not keyring_usable():
        return None
    try:
        return keyring.get_password(SERVICE, _account(db_path))
    except KeyringError:
        log.warning("keyring could not be read; asking for the passphrase")
        return None


def remember(db_path: Path, passphrase: str) -> bool:
    """Keep the passphrase in the keyring; False when there is no usable keyring."""
    if not keyring_usable():
        return False
    try:
        keyring.set_password(SERVICE, _account(db_path), passphrase)
        return True
    except KeyringError:
        log.warning("keyring could not store the passphrase")
        return False


def forget(db_path: Path) -> None:
    if not keyring_usable():
        return
    try:
        keyring.delete_password(SERVICE, _account(db_path))
    except KeyringError:
        pass
