"""`make bench`, alert load: alerts per 100 vessel-hours on the demo's simulated day.

The baseline is measured in the same run: every episode the engine emits as an alert, as Mare
did before alert rules; beside it the shipped rules (one alert per situation) and the recall of
the labelled smuggling-pattern positives, none of which may lose its alert (`bench.alert_load`).
"""

from __future__ import annotations

from typing import Any

from bench.eval import ALERT_LOAD_TARGET, DEMO_DAY, run_one


def run() -> dict[str, Any]:
    """Simulate and triage the demo's day; return the figures."""
    _, info = run_one(DEMO_DAY)
    load = info["alert_load"]
    suspects = info["suspects"]
    return {
        "run": info["run"],
        "vessel_hours": load["vessel_hours"],
        "baseline_every_event_per_100_vessel_hours": load["per_100_vessel_hours_before"],
        "rules_per_100_vessel_hours": load["per_100_vessel_hours_after"],
        "target_per_100_vessel_hours": ALERT_LOAD_TARGET,
        "ratio_to_baseline": (
            round(load["per_100_vessel_hours_after"] / load["per_100_vessel_hours_before"], 3)
            if load["per_100_vessel_hours_before"]
            else None
        ),
        "labelled_positives": load["labelled_positives"],
        "positives_alerted": load["positives_alerted"],
        "recall_of_positives": load["recall_of_positives_after_rules"],
        "alerts_by_rule": load["alerts_by_rule"],
        "suspect_precision": suspects["precision"],
        "suspect_recall": suspects["recall"],
        "cpu_seconds": info["cpu_seconds"],
    }
