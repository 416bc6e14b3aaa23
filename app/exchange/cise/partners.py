"""Partner agencies and what each agreement lets Mare send them (``MARE_CISE_PARTNERS_FILE``).

A JSON file an admin keeps, read at start and refused in one line when wrong (docs/cise.md,
Partners). Each partner is an authority with a CISE service id; Mare pushes it the alerts its
agreement covers (zones, kinds, minimum severity) to its endpoint, which must also be in
``MARE_CISE_ALLOWLIST``, and accepts pushes from it presented with its inbound token. Which
zones an agreement covers is decided by the liaison rule (`app.auth.scope.Scope`).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.auth.scope import Scope
from app.exchange.cise.errors import CiseError
from geo.events import EventKind, Severity

_SEVERITIES = [s.value for s in Severity]

Purpose = Literal[
    "DefenceMonitoring", "CSDPTask", "BorderMonitoring", "CounterTerrorism", "EnvironmentWarning",
    "EnvironmentMonitoring", "EnvironmentResponse", "CustomsMonitoring",
    "LawEnforcementMonitoring", "FisheriesOperation", "BorderOperation", "Safety", "Security",
    "SAR", "FisheriesWarning", "FisheriesMonitoring", "VTM", "Operation",
    "LawEnforcementOperation", "CustomsOperation", "NonSpecified",
]  # fmt: skip
SecurityLevel = Literal[
    "NonSpecified", "EUTopSecret", "EURestricted", "NonClassified", "EUSecret", "EUConfidential"
]
Sensitivity = Literal["White", "Red", "Green", "Amber", "NonSpecified"]


class CisePartnerFileError(CiseError):
    """A partners file that cannot be used, with the file and the reason."""


class Agreement(BaseModel):
    """What a partner receives: alerts of these zones and kinds, at least this severe.

    ``None`` for zones or kinds means all; an empty list means none.
    """

    model_config = ConfigDict(extra="forbid")

    zones: list[str] | None = None
    kinds: list[str] | None = None
    min_severity: Severity | None = None

    @model_validator(mode="after")
    def _known_kinds(self) -> Agreement:
        known = {k.value for k in EventKind}
        unknown = sorted(set(self.kinds or ()) - known)
        if unknown:
            raise ValueError(f"unknown event kinds {unknown}")
        return self


class Partner(BaseModel):
    """One partner authority, its endpoint, its agreement and the tokens of both directions."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,62}$")
    authority: str = Field(min_length=1, max_length=200)
    #: The partner's CISE service id: its pushes must name it as Sender, ours name it Recipient.
    service_id: str = Field(min_length=1, max_length=200)
    #: Where Mare pushes (its CISE adaptor or another Mare's ``/api/v1/cise/push``); None:
    #: receive only.
    url: str | None = None
    #: What it receives; None: nothing is sent.
    send: Agreement | None = None
    #: Bearer token Mare presents to the partner's endpoint.
    outbound_token: str | None = Field(default=None, min_length=1, max_length=500)
    #: Bearer token the partner presents to Mare's endpoint; None: Mare accepts nothing from it.
    inbound_token: str | None = Field(default=None, min_length=16, max_length=500)
    purpose: Purpose = "BorderMonitoring"
    security_level: SecurityLevel = "NonClassified"
    #: Traffic-light sensitivity of what Mare sends; Amber: the partner's organisation only.
    sensitivity: Sensitivity = "Amber"

    @model_validator(mode="after")
    def _sendable(self) -> Partner:
        if self.send is not None and not self.url:
            raise ValueError("an agreement to send needs the partner's url")
        return self

    def public(self) -> dict[str, Any]:
        """Return what an admin sees: everything but the tokens (only whether they are set)."""
        out = self.model_dump(exclude={"outbound_token", "inbound_token"}, mode="json")
        out["outbound_token_set"] = self.outbound_token is not None
        out["inbound_token_set"] = self.inbound_token is not None
        return out


class _PartnerFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partners: list[Partner]

    @model_validator(mode="after")
    def _unique(self) -> _PartnerFile:
        for field in ("id", "service_id", "inbound_token"):
            values = [getattr(p, field) for p in self.partners if getattr(p, field) is not None]
            if len(values) != len(set(values)):
                raise ValueError(f"two partners share one {field}")
        return self


def load_partners(path: Path) -> list[Partner]:
    """Read and check a partners file; `CisePartnerFileError` names the file and the fault."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CisePartnerFileError(f"partners file {path}: {exc}") from None
    try:
        return _PartnerFile.model_validate(raw).partners
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CisePartnerFileError(f"partners file {path}: {where}: {first['msg']}") from None


def covers(partner: Partner, alert: Mapping[str, Any]) -> bool:
    """Return whether a partner's agreement covers an alert (the liaison rule for zones)."""
    agreement = partner.send
    if agreement is None or not partner.url:
        return False
    zones = None if agreement.zones is None else frozenset(agreement.zones)
    if not Scope(zones).sees_alert(alert):
        return False
    if agreement.kinds is not None and alert.get("kind") not in agreement.kinds:
        return False
    if agreement.min_severity is not None:
        severity = alert.get("severity")
        if severity not in _SEVERITIES:
            return False
        if _SEVERITIES.index(str(severity)) < _SEVERITIES.index(agreement.min_severity.value):
            return False
    return True


def partner_of_token(partners: Sequence[Partner], token: str) -> Partner | None:
    """Return the partner whose inbound token this is (compared in constant time), or None."""
    found = None
    for p in partners:
        if p.inbound_token is not None and hmac.compare_digest(
            p.inbound_token.encode(), token.encode()
        ):
            found = p
    return found
