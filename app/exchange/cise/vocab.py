"""Mare's values in CISE 1.5.3 enumerations: one table per vocabulary, read by `entities`.

docs/cise.md explains each choice; the tables here are the rule, the document follows them
(a test checks that every Mare event kind has a row in both).
"""

from __future__ import annotations

from typing import Final

#: Root entity of each Mare event kind. ``dark_target`` and ``contact_association`` become an
#: IrregularMigrationIncident only when people are known to be on board (``details.people``);
#: without people they are anomalies like the rest (`entity_root`).
ANOMALY_TYPE: Final[dict[str, str]] = {
    "zone_entry": "Other",
    "zone_exit": "Other",
    "zone_dwell": "Other",
    "loitering": "UnexpectedMovement",
    "encounter": "UnexpectedMovement",
    "ais_gap": "WithoutAISTransmission",
    "position_jump": "PerformingAISSpoofing",
    "identity_change": "DetecionOfChangesInAISParameters",  # sic: the model's spelling
    "invalid_mmsi": "Other",
    "watchlist_match": "Other",
    "partner_report": "Other",
    "dark_target": "WithoutAISTransmission",
    "contact_association": "UnexpectedMovement",
}
#: A kind Mare adds later and this table does not know yet is still sent, as ``Other``.
DEFAULT_ANOMALY_TYPE: Final = "Other"

#: Kinds that become an IrregularMigrationIncident when people are on board.
MIGRATION_KINDS: Final = frozenset({"dark_target", "contact_association"})
#: The field of these kinds that holds a dark target's number (``DT-…``), not an MMSI: a dark
#: target's own ``mmsi``, the boat a mothership met in ``other_mmsi``.
TARGET_FIELD: Final[dict[str, str]] = {"dark_target": "mmsi", "contact_association": "other_mmsi"}

#: CISE type of an incoming Anomaly back to a Mare kind, for a partner that is not Mare (a Mare
#: partner names its kind in Metadata/Designation ``mare:<kind>``, which wins).
KIND_OF_ANOMALY_TYPE: Final[dict[str, str]] = {
    "WithoutAISTransmission": "ais_gap",
    "PerformingAISSpoofing": "position_jump",
    "DetecionOfChangesInAISParameters": "identity_change",
}

#: Role of the event's vessel (``mmsi``) and of the other one (``other_mmsi``) in the event.
#: The vessel whose behaviour is the anomaly causes it; both vessels of an encounter take part;
#: a mothership is the means of a crossing whose boat takes part (ObjectRoleInEventType).
VESSEL_ROLE: Final[dict[str, str]] = {"encounter": "Participant", "contact_association": "Mean"}
DEFAULT_VESSEL_ROLE: Final = "Cause"
OTHER_VESSEL_ROLE: Final = "Participant"

#: Mare severities in the model's three-level scales (RiskLevelType, incident SeverityType).
RISK_LEVEL: Final[dict[str, str]] = {
    "info": "Low",
    "low": "Low",
    "medium": "Medium",
    "high": "High",
    "critical": "High",
}
INCIDENT_SEVERITY: Final[dict[str, str]] = {
    "info": "Minor",
    "low": "Minor",
    "medium": "Moderate",
    "high": "Severe",
    "critical": "Extreme",
}
#: Message Priority (service model PriorityType) of an alert by severity.
PRIORITY: Final[dict[str, str]] = {
    "info": "Low",
    "low": "Low",
    "medium": "Medium",
    "high": "High",
    "critical": "High",
}

#: Zone kinds with a CISE LocationZoneType; the others (SAR regions, departure hotspots,
#: arrival areas, patrol areas, custom) have none and go as ``Other`` with the zone's name.
LOCATION_ZONE: Final[dict[str, str]] = {
    "territorial_sea": "TerritorialWaters",
    "contiguous_zone": "ContiguousZone",
    "port": "Port",
    "anchorage": "Port",
}

#: The suspect score (0-100) as a RiskLevel: at 50 the live map marks a vessel as a suspect.
RISK_SCORE_LEVELS: Final = ((75, "High"), (50, "Medium"), (1, "Low"))

#: What Mare's score is evidence of, in RiskType: Mare's detectors look for the patterns of
#: migrant smuggling (motherships, departures, dark boats), which the model calls
#: IllegalImmigration (facilitation); `Smuggling` there means goods.
DEFAULT_RISK_TYPE: Final = "IllegalImmigration"


def risk_level(score: float) -> str | None:
    """Return the RiskLevel of a suspect score, None below 1 (no risk to report)."""
    for floor, level in RISK_SCORE_LEVELS:
        if score >= floor:
            return level
    return None


def vessel_type(ais_ship_type: int | None) -> str | None:
    """Return the CISE VesselType of an AIS ship type (ITU-R M.1371 Table 53), None if unknown.

    The model's list is short: AIS cargo (70-79) is ``GeneralCargoShip``, tankers (80-89)
    ``OilTanker`` (AIS does not tell oil from chemical or gas), high-speed craft and wing in
    ground (20-29, 40-49) ``HighSpeedCraft``; tugs, pilots, SAR, law enforcement, dredgers,
    diving and military (31-35, 50-59) ``SpecialPurposeShip``; sailing and pleasure craft and
    the rest ``Other``.
    """
    t = ais_ship_type
    if t is None or t <= 0 or t > 99:
        return None
    if t == 30:
        return "FishingVessel"
    if 60 <= t <= 69:
        return "PassengerShip"
    if 70 <= t <= 79:
        return "GeneralCargoShip"
    if 80 <= t <= 89:
        return "OilTanker"
    if 20 <= t <= 29 or 40 <= t <= 49:
        return "HighSpeedCraft"
    if 31 <= t <= 35 or 50 <= t <= 59:
        return "SpecialPurposeShip"
    return "Other"


#: AIS navigational status (ITU-R M.1371) as the model's NavigationalStatusType; the reserved
#: codes (9, 10, 13) have none.
NAVIGATIONAL_STATUS: Final[dict[int, str]] = {
    0: "UnderWayUsingEngine",
    1: "AtAnchor",
    2: "NotUnderCommand",
    3: "RestrictedManoeuvrability",
    4: "ConstrainedByHerDraught",
    5: "Moored",
    6: "Aground",
    7: "EngagedInFishing",
    8: "UnderWaySailing",
    11: "PowerDrivenVesselTowingAstern",
    12: "PowerDrivenVesselTowigAheadOrPushingAlongside",  # sic
    14: "AISSARTSeekingToAttractAttention",
    15: "UndefinedDefault",
}
