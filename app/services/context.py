"""The signed-in user, shared by every service of one window or CLI run."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import NotSignedIn, PermissionDenied
from app.services.permissions import ROLE_LABELS, Permission, Role, role_allows


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    full_name: str
    role: str

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(Role(self.role), self.role)


class UserContext:
    """Holds who is signed in. Services ask it before touching data."""

    def __init__(self) -> None:
        self._user: CurrentUser | None = None

    @property
    def user(self) -> CurrentUser | None:
        return self._user

    def set_user(self, user: CurrentUser | None) -> None:
        self._user = user

    def can(self, permission: Permission) -> bool:
        return self._user is not None and role_allows(self._user.role, permission)

    def require(self, permission: Permission) -> CurrentUser:
        """The current user, or `PermissionDenied` saying what their role may not do."""
        if self._user is None:
            raise NotSignedIn("Sign in first.")
        if not role_allows(self._user.role, permission):
            raise PermissionDenied(
                f"Your role ({self._user.role_label}) may not do this: "
                f"{permission.value.replace('_', ' ')}. Ask an administrator."
            )
        return self._user

    def require_signed_in(self) -> CurrentUser:
        if self._user is None:
            raise NotSignedIn("Sign in first.")
        return self._user
