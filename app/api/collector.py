"""What `/metrics` reports: the running service's counters, read at scrape time.

Everything but the latency histograms is read from the objects that already count (the
pipeline's `PipelineCounters` with the decoder's line accounting, the hub, the webhook
dispatcher, the relay, the maintenance thread's status): nothing is counted twice, and a
scrape costs a few dict reads. Each app has its own registry, so several apps in one process
(tests) never collide.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.api.bus_metrics import bus_metrics

#: Publish-to-delivery latencies span sub-millisecond (local WebSocket) to seconds (a webhook
#: to a slow receiver); the 250 ms target of the service benchmark sits on a bucket edge.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ServiceCollector(Collector):
    """Reads the running service's parts (`Services`) at each scrape."""

    def __init__(self, services: Any) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        yield from self._pipeline()
        yield from self._sources()
        yield from self._hub()
        yield from self._push()
        yield from self._login()
        yield from self._maintenance()
        yield from bus_metrics(getattr(self.services, "bus_feed", None))

    def _pipeline(self) -> Iterator[Metric]:
        pipeline = getattr(self.services, "pipeline", None)
        if pipeline is None:
            return
        c = pipeline.counters.as_dict()
        ingest = dict(c["ingest"])
        lines = CounterMetricFamily(
            "mare_ingest_lines", "NMEA lines read by the decoder", labels=[]
        )
        lines.add_metric([], ingest.pop("lines", 0))
        yield lines
        outcome = CounterMetricFamily(
            "mare_ingest_outcome",
            "Lines by outcome: records, multipart_joined, or the reason a line was dropped",
            labels=["outcome"],
        )
        for name, n in sorted(ingest.items()):
            outcome.add_metric([name], n)
        yield outcome
        yield from self._event_time(pipeline)
        for key, help_text in (
            ("batches", "Decoded batches through the engine"),
            ("records", "Records through the engine"),
            ("positions", "Position records through the engine"),
            ("statics", "Static records through the engine"),
            ("events", "Events the engine emitted"),
            ("alerts_published", "Alerts published to the hub"),
            ("vessel_updates_published", "Vessel states published to the hub"),
            ("positions_stored", "Positions written to the store"),
            ("events_stored", "Events written to the store"),
            ("store_errors", "Failed store writes"),
            ("alerts_unstored", "Alerts published before the store took them (stored: false)"),
            ("store_retries", "Failed attempts to write the backlog while the database was away"),
            ("snapshots", "Engine snapshots written"),
            ("snapshot_failures", "Periodic engine snapshots that failed (logged)"),
            ("contacts_fused", "Stored contacts the engine fused (to a vessel or a dark target)"),
        ):
            fam = CounterMetricFamily(f"mare_pipeline_{key}", help_text, labels=[])
            fam.add_metric([], c[key])
            yield fam
        dropped = CounterMetricFamily(
            "mare_pipeline_dropped_records",
            "Records dropped in front of a full pipeline stage (its queue, or for store and alerts "
            "the backlog kept while the database is away)",
            labels=["stage"],
        )
        for stage, n in sorted(c["dropped_records"].items()):
            dropped.add_metric([stage], n)
        yield dropped
        batches = CounterMetricFamily(
            "mare_pipeline_dropped_batches",
            "Batches dropped in front of a full pipeline stage",
            labels=["stage"],
        )
        for stage, n in sorted(c["dropped_batches"].items()):
            batches.add_metric([stage], n)
        yield batches
        down = GaugeMetricFamily(
            "mare_store_down", "1 while the database is away and writes wait in the backlog"
        )
        down.add_metric([], c["store_down"])
        yield down
        backlog = GaugeMetricFamily(
            "mare_store_backlog_records",
            "Records (positions for store, events for alerts) waiting for the database",
            labels=["stage"],
        )
        for stage, n in sorted(c["store_backlog"].items()):
            backlog.add_metric([stage], n)
        yield backlog
        depth = GaugeMetricFamily(
            "mare_queue_depth", "Items waiting in a pipeline queue or hub buffer", labels=["queue"]
        )
        for name, n in sorted(c["queue_depths"].items()):
            depth.add_metric([name], n)
        hub = getattr(self.services, "hub", None)
        if hub is not None:
            for name, n in sorted(hub.queue_depths().items()):
                depth.add_metric([name], n)
        yield depth
        rate = GaugeMetricFamily(
            "mare_messages_per_second", "Decoded records per second (10 s window)"
        )
        rate.add_metric([], c["messages_per_s"])
        yield rate
        live = getattr(self.services, "live", None)
        if live is not None:
            vessels = GaugeMetricFamily("mare_vessels_live", "Vessels in the live picture")
            vessels.add_metric([], len(live))
            yield vessels

    def _event_time(self, pipeline: Any) -> Iterator[Metric]:
        """Where event time came from, and every record the engine held back or did not use."""
        times = CounterMetricFamily(
            "mare_ingest_event_time",
            "Sentences by where their event time came from: own (tag block, logger, receiver), "
            "receive (none of their own), restamped (own time further ahead of their receipt "
            "than MARE_MAX_AHEAD_SECONDS, so their receive time)",
            labels=["source"],
        )
        for name, n in sorted(pipeline.decoder.stats.times.items()):
            times.add_metric([name], n)
        yield times
        counts = pipeline.engine.record_counts()
        unused = CounterMetricFamily(
            "mare_engine_records_unused",
            "Records the engine did not use, by reason: future_time (stamped far ahead of the "
            "feed's own time, see geo/clock.py), same_time, out_of_order, no_position, "
            "stale_repeat (an old place of the vessel handed on again, geo/recent_places.py)",
            labels=["reason"],
        )
        for reason, n in sorted(counts["unused"].items()):
            unused.add_metric([reason], n)
        yield unused
        held = GaugeMetricFamily(
            "mare_engine_records_held", "Records held back by the clock guard, awaiting judgement"
        )
        held.add_metric([], counts["held"])
        yield held
        jumps = CounterMetricFamily(
            "mare_engine_clock_jumps",
            "Held runs let through: event time moved further than the feed's pace at once",
        )
        jumps.add_metric([], counts["clock_jumps"])
        yield jumps
        down = GaugeMetricFamily(
            "mare_engine_stations_down",
            "Receiving stations silent now while the feed goes on (geo/stations.py)",
        )
        down.add_metric([], sum(1 for o in counts["station_outages"] if o["until"] is None))
        yield down
        explained = CounterMetricFamily(
            "mare_engine_silences_in_outages",
            "Vessel silences put down to their station's outage: no ais_gap raised",
        )
        explained.add_metric([], counts["silences_in_outages"])
        yield explained
        contacts = counts["contacts"]
        late = CounterMetricFamily(
            "mare_contacts_late",
            "Contacts fused more than 2 h behind the engine clock (its AIS history): the fixes "
            "before them were partly gone, so fused against what was left; by source kind",
            labels=["kind"],
        )
        for kind, n in sorted(contacts["late"].items()):
            late.add_metric([kind], n)
        yield late
        waiting = GaugeMetricFamily(
            "mare_contacts_pending", "Contacts waiting for event time to pass them (settle time)"
        )
        waiting.add_metric([], contacts["pending"])
        yield waiting
        now = GaugeMetricFamily(
            "mare_engine_event_time_seconds", "Event time the engine has reached (epoch s)"
        )
        now.add_metric([], pipeline.engine.now_ms() / 1000.0)
        yield now

    def _sources(self) -> Iterator[Metric]:
        """Per source: lines read, and datagrams lost before they were read (UDP).

        Two places lose datagrams: the kernel, when the socket's buffer is full because the
        service did not read in time (a burst, a busy loop), and the source's own bounded
        queue when the decoder falls behind. Neither reaches the decoder's line accounting.
        """
        pipeline = getattr(self.services, "pipeline", None)
        if pipeline is None:
            return
        lines = CounterMetricFamily(
            "mare_source_lines", "Lines each ingest source read", labels=["source"]
        )
        dropped = CounterMetricFamily(
            "mare_source_datagrams_dropped",
            "Datagrams lost before the decoder: where=kernel (the socket's receive buffer was "
            "full), where=queue (the source's own queue was full)",
            labels=["source", "where"],
        )
        for source in pipeline.opened:
            lines.add_metric([source.name], source.stats.lines)
            kernel_drops = getattr(source, "kernel_drops", None)
            if kernel_drops is None:
                continue
            dropped.add_metric([source.name, "queue"], source.stats.dropped)
            kernel = kernel_drops()
            if kernel is not None:
                dropped.add_metric([source.name, "kernel"], kernel)
        yield lines
        yield dropped

    def _hub(self) -> Iterator[Metric]:
        hub = getattr(self.services, "hub", None)
        if hub is None:
            return
        drops = CounterMetricFamily(
            "mare_push_dropped",
            "Items a push consumer did not get: <kind>_superseded (an intermediate vessel state "
            "replaced by a newer one), <kind>_resync (a reader resynchronised after falling "
            "behind), <kind>_alerts (alerts lost past the ring), webhook (delivery dropped)",
            labels=["stage"],
        )
        for stage, n in sorted(hub.drops.items()):
            drops.add_metric([stage], n)
        relay = getattr(self.services, "relay", None)
        if relay is not None:
            drops.add_metric(["relay"], relay.lines_dropped)
        yield drops
        alerts = CounterMetricFamily("mare_alerts", "Alerts published, by kind", labels=["kind"])
        for kind, n in sorted(hub.alerts_by_kind.items()):
            alerts.add_metric([kind], n)
        yield alerts
        clients = GaugeMetricFamily(
            "mare_clients_connected", "Connected push consumers by kind", labels=["kind"]
        )
        counts = hub.clients()
        for kind in ("websocket", "sse", "webhook"):
            clients.add_metric([kind], counts.get(kind, 0))
        if relay is not None:
            clients.add_metric(["relay"], relay.clients)
        yield clients

    def _push(self) -> Iterator[Metric]:
        webhooks = getattr(self.services, "webhooks", None)
        if webhooks is not None:
            yield from _deliveries("mare_webhook", "Webhook", webhooks)
        cise = getattr(self.services, "cise", None)
        if cise is not None:
            yield from _deliveries("mare_cise_push", "CISE push", cise.dispatcher)
        relay = getattr(self.services, "relay", None)
        if relay is not None:
            sent = CounterMetricFamily("mare_relay_lines_sent", "NMEA lines relayed (per client)")
            sent.add_metric([], relay.lines_sent)
            yield sent
        radar = self.services.radar
        if radar is not None and radar.specs:
            st = radar.stats
            lines = CounterMetricFamily(
                "mare_radar_lines",
                "Radar feed lines by outcome: contact (kept), thinned (same target within the "
                "feed's every=), lost (status L), or the reason it was refused",
                labels=["outcome"],
            )
            lines.add_metric(["contact"], st.contacts)
            lines.add_metric(["thinned"], st.thinned)
            lines.add_metric(["lost"], st.lost)
            for reason, n in sorted(st.refused.items()):
                lines.add_metric([reason], n)
            yield lines

    def _maintenance(self) -> Iterator[Metric]:
        maintainer = getattr(self.services, "maintenance", None)
        if maintainer is None:
            return
        st = maintainer.status
        for name, help_text, label, counts in (
            (
                "mare_maintenance_runs",
                "Database maintenance runs by outcome: ok, skipped (another process was running "
                "it on the same PostGIS), failed (logged, tried again next period)",
                "outcome",
                st.runs,
            ),
            (
                "mare_maintenance_done",
                "What maintenance did: partitions_created, partitions_indexed (GiST of a closed "
                "day), partitions_dropped (PostGIS retention), positions_deleted (SQLite "
                "retention), contact_posts_expired (sent contact POSTs older than a day)",
                "action",
                st.done,
            ),
        ):
            fam = CounterMetricFamily(name, help_text, labels=[label])
            for key, n in sorted(counts.items()):
                fam.add_metric([key], n)
            yield fam
        last = GaugeMetricFamily(
            "mare_maintenance_last_outcome",
            "1 for the outcome of the last maintenance run, 0 for the others",
            labels=["outcome"],
        )
        for outcome in sorted(st.runs):
            last.add_metric([outcome], 1.0 if st.last_outcome == outcome else 0.0)
        yield last
        for name, value, help_text in (
            ("last_run_timestamp_seconds", st.last_started_s, "Start of the last run (epoch s)"),
            ("last_duration_seconds", st.last_duration_s, "Duration of the last run"),
            ("last_success_timestamp_seconds", st.last_ok_s, "Start of the last ok run (epoch s)"),
        ):
            if value is not None:
                gauge = GaugeMetricFamily(f"mare_maintenance_{name}", help_text)
                gauge.add_metric([], value)
                yield gauge

    def _login(self) -> Iterator[Metric]:
        auth = getattr(self.services, "auth", None)
        throttle = getattr(auth, "throttle", None)
        if throttle is None:
            return
        counts = dict(throttle.counts)
        attempts = CounterMetricFamily(
            "mare_login_attempts",
            "Password logins by outcome: ok, failed (wrong password or unknown user), "
            "locked_user / locked_client (refused unchecked during a lockout)",
            labels=["outcome"],
        )
        for outcome in ("ok", "failed", "locked_user", "locked_client"):
            attempts.add_metric([outcome], counts.get(outcome, 0))
        yield attempts
        lockouts = CounterMetricFamily(
            "mare_login_lockouts", "Lockouts started, by scope (user, client)", labels=["scope"]
        )
        for scope in ("user", "client"):
            lockouts.add_metric([scope], counts.get(f"lockout_{scope}", 0))
        yield lockouts
        locked = GaugeMetricFamily(
            "mare_login_locked", "Usernames and clients locked now (this process)", labels=["scope"]
        )
        for scope, n in sorted(throttle.locked_now().items()):
            locked.add_metric([scope], n)
        yield locked


class ServiceMetrics:
    """One app's registry: the scrape-time collector and the latency histogram."""

    def __init__(self, state: Any) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(ServiceCollector(state))
        self.latency = Histogram(
            "mare_delivery_latency_seconds",
            "From publication in the hub to delivery to a consumer, by stage "
            "(websocket_vessels, websocket_alert, sse_alert, webhook_alert)",
            labelnames=["stage"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, stage: str, seconds: float) -> None:
        self.latency.labels(stage=stage).observe(max(seconds, 0.0))

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _deliveries(prefix: str, what: str, dispatcher: Any) -> Iterator[Metric]:
    """Yield a dispatcher's attempts by outcome and its deliveries in flight."""
    fam = CounterMetricFamily(
        f"{prefix}_attempts",
        f"{what} delivery attempts by outcome (ok, failed, retried, gave_up, dropped)",
        labels=["outcome"],
    )
    for outcome in ("ok", "failed", "retried", "gave_up", "dropped"):
        fam.add_metric([outcome], dispatcher.counts.get(outcome, 0))
    yield fam
    pending = GaugeMetricFamily(f"{prefix}_pending", f"{what} deliveries in flight")
    pending.add_metric([], dispatcher.pending)
    yield pending
