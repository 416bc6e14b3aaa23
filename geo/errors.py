"""Exceptions of the geo package; the API and CLI map them to clear one-line messages."""


class GeoError(Exception):
    """Base of every error the geo package raises on purpose."""


class ZoneFileError(GeoError):
    """A zone file that breaks the contract of DESIGN.md; the message names the feature and why."""


class PlacesFileError(GeoError, ValueError):
    """A places CSV that cannot be read; the message names the file, the row and why."""


class AlertRulesError(GeoError):
    """An alert rules file that cannot be applied; the message names the rule and why."""


class CoverageMapError(GeoError):
    """A coverage map file that cannot be used; the message says why."""
