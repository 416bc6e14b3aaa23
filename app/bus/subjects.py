"""Names on the bus, and which partition an MMSI belongs to: one rule, one place.

A deployment fixes its partition count ``N`` once (``MARE_BUS_PARTITIONS``): it is part of the
data's layout (each partition has its own engine state and snapshot), and changing it means
starting the engines afresh. Workers are added or removed freely: a worker owns a set of
partitions, and any set of workers that owns every partition once gives the same events.

Every name carries the deployment's prefix (``MARE_BUS_PREFIX``), so two deployments (or two
tests) share a NATS server without seeing each other's streams.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


def partition_of(mmsi: npt.NDArray[np.int64], partitions: int) -> npt.NDArray[np.int64]:
    """Return each MMSI's partition: ``mmsi mod N``.

    MMSIs are issued by country blocks (the first three digits), so their low digits are close
    to uniform, which the modulo spreads evenly; a hash would do no better and cost more.

    Examples
    --------
    >>> partition_of(np.array([247123456, 247123457], dtype=np.int64), 4).tolist()
    [0, 1]
    """
    return np.mod(mmsi, partitions)


@dataclass(frozen=True, slots=True)
class Layout:
    """Streams, subjects and buckets of one deployment."""

    prefix: str = "mare"
    partitions: int = 8

    def __post_init__(self) -> None:
        if self.partitions < 1:
            raise ValueError("a deployment has at least one partition")
        if not self.prefix or not self.prefix.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"bus prefix {self.prefix!r}: letters, digits, - and _ only")

    @property
    def _upper(self) -> str:
        return self.prefix.upper().replace("-", "_")

    # records: ingest -> engine workers, store worker
    @property
    def records_stream(self) -> str:
        return f"{self._upper}_RECORDS"

    def records_subject(self, partition: int | str) -> str:
        return f"{self.prefix}.records.{partition}"

    # contacts: API nodes and `mare contacts import` -> ingest (which gives them to every
    # partition in its sequence of steps, `app.bus.contacts`)
    @property
    def contacts_stream(self) -> str:
        return f"{self._upper}_CONTACTS"

    @property
    def contacts_subject(self) -> str:
        return f"{self.prefix}.contacts"

    # alert rules an admin saved on an API node: in the contacts stream, so ingest gives them
    # to every partition as one step of its sequence, and every API node takes them too
    @property
    def rules_subject(self) -> str:
        return f"{self.prefix}.control.rules"

    # events: engine workers -> store worker
    @property
    def events_stream(self) -> str:
        return f"{self._upper}_EVENTS"

    def events_subject(self, partition: int | str) -> str:
        return f"{self.prefix}.events.{partition}"

    # live picture (core NATS: the next update repairs a lost one) and stored alerts (a
    # stream, so an API node that reconnects misses none): store worker -> API nodes
    @property
    def vessels_subject(self) -> str:
        return f"{self.prefix}.live.vessels"

    @property
    def alerts_subject(self) -> str:
        return f"{self.prefix}.live.alerts"

    @property
    def alerts_stream(self) -> str:
        return f"{self._upper}_ALERTS"

    # what crosses partitions at a slice close, and an encounter's facts: engine workers
    @property
    def exchange_stream(self) -> str:
        return f"{self._upper}_EXCHANGE"

    def exchange_subject(self, kind: str, key: str, partition: int | str) -> str:
        return f"{self.prefix}.xchg.{kind}.{key}.{partition}"

    # engine state per partition
    @property
    def snapshot_bucket(self) -> str:
        return f"{self._upper}_ENGINE"

    # what each worker counted (its /metrics), read by the API nodes
    @property
    def reports_bucket(self) -> str:
        return f"{self._upper}_WORKERS"

    def engine_consumer(self, partition: int) -> str:
        return f"engine-{partition}"

    def partitions_of(self, spec: str) -> list[int]:
        """Parse an ownership spec: ``all``, ``0,2,5`` or ``k/W`` (worker k of W, round robin).

        >>> Layout(partitions=8).partitions_of("1/3")
        [1, 4, 7]
        """
        spec = spec.strip()
        if spec in ("", "all"):
            return list(range(self.partitions))
        if "/" in spec:
            k, w = (int(x) for x in spec.split("/", 1))
            if not 0 <= k < w:
                raise ValueError(f"worker {k} of {w}: 0 <= k < W")
            return list(range(k, self.partitions, w))
        out = sorted({int(x) for x in spec.split(",") if x.strip()})
        bad = [p for p in out if not 0 <= p < self.partitions]
        if bad:
            raise ValueError(f"partitions {bad} not in 0..{self.partitions - 1}")
        return out
