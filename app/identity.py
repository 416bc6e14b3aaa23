"""Who is asking: users, roles, and what each role may do (docs/api.md, Auth)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from geo.alert_rules import Narrowing


class Role(StrEnum):
    """The four roles of docs/api.md; a liaison is further scoped to a set of zones."""

    ADMIN = "admin"
    OFFICER = "officer"
    ANALYST = "analyst"
    LIAISON = "liaison"


ALL_ROLES = frozenset(Role)
#: Those who read everything (not scoped): everyone but the liaison.
READERS = frozenset({Role.ADMIN, Role.OFFICER, Role.ANALYST})
#: Those who edit zones, watchlist and assets, and act on alerts.
EDITORS = frozenset({Role.ADMIN, Role.OFFICER})


@dataclass(frozen=True, slots=True)
class User:
    """An authenticated identity; ``token_id`` is the token this request came with."""

    username: str
    role: Role
    zones: tuple[str, ...] | None = None
    token_id: str | None = None
    #: A disabled user keeps its row (audit history, tokens) but no token or password works.
    disabled: bool = False
    #: The alert rules' narrowings that apply to this user (docs/alerts.md): each keeps only
    #: some of the alerts the user may see, never more.
    narrow: tuple[Narrowing, ...] = ()

    @property
    def is_liaison(self) -> bool:
        return self.role is Role.LIAISON

    @property
    def zone_scope(self) -> frozenset[str] | None:
        """Return the zones a liaison is limited to, None for unscoped roles."""
        if not self.is_liaison:
            return None
        return frozenset(self.zones or ())

    def to_json(self) -> dict[str, Any]:
        """Return the API's ``User`` object."""
        return {
            "username": self.username,
            "role": self.role.value,
            "zones": list(self.zones) if self.zones is not None else None,
            "disabled": self.disabled,
        }
