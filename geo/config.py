"""Every threshold of the behaviour engine, with the published practice each default comes from.

The defaults are tuned for terrestrial AIS coverage of the central Mediterranean (the Sicily
channel and the waters off Libya and Tunisia), where the question is "did a mothership meet a
boat, or switch its transponder off", not "did a reefer tranship fish mid-ocean".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

KNOT_MS = 1852.0 / 3600.0  # metres per second in one knot
NM_M = 1852.0  # metres in one nautical mile


def _default_risk_weights() -> dict[str, float]:
    return {
        "watchlist_match": 50.0,
        "encounter": 50.0,
        "ais_gap": 20.0,
        "loitering": 15.0,
        "position_jump": 50.0,
        "identity_change": 15.0,
        "invalid_mmsi": 10.0,
        "zone_entry": 5.0,
        "zone_dwell": 5.0,
        "zone_exit": 0.0,
        "contact_association": 60.0,
        "dark_target": 0.0,
    }


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Thresholds of the engine; all times in seconds, distances in metres, speeds in knots.

    Attributes
    ----------
    slice_s
        Length of the event-time slice at whose end encounters, "went dark" alerts and dwell
        timers are evaluated. One minute resolves a 20-minute encounter to 5 % and keeps the
        per-slice work small.
    live_lateness_s
        In live mode `Engine.advance(now)` closes only slices that ended this long before
        ``now``, so records delayed in the network still land in their slice and live alerts
        equal the replayed ones.
    ongoing_update_s, ongoing_update_doubling_s
        An episode still open (encounter, loitering, "went dark", zone dwell) is published
        again, in its present state (``end`` null, ``details.ongoing_until``, its duration so
        far), at every ``ongoing_update_s`` of event time while something new was seen (30 min:
        a watch officer's alert list should not say "for 20 min" of a meeting two hours old),
        and past ``ongoing_update_doubling_s`` (6 h) only each time its duration doubles: a
        vessel that sailed out of every receiver's range for good stays dark for days, and its
        alert need not be rewritten, nor its webhooks sent, twice an hour all that time.
    jump_speed_a_kn, jump_speed_b_kn
        Implied speed between two fixes above which the second is an outlier. Global Fishing
        Watch's segmenter splits tracks above 25 kn, which suits fishing vessels; the central
        Mediterranean has high-speed ferries (Malta-Sicily HSC at ~38 kn) on class A and fast
        RIBs and speedboats on class B, so the limits are class-aware and higher.
    dash_s, sustained_speed_kn
        Those top speeds are dashes: a fast ferry or a speedboat holds 40-60 kn for hours, not
        for a day (a RIB's fuel lasts a few hundred miles). Over a longer interval the distance
        allowed grows at ``sustained_speed_kn`` after the first ``dash_s`` (3 h, 35 kn: above
        any merchant ship's service speed; GFW's segmenter allows 30 kn throughout). Without
        it, on a satellite track of a fishing boat heard twice a day, a fix 784 nm off (another
        transmitter on its MMSI, GFW's regr_417000694) was a 53 kn move within class B's 60 kn,
        and the boat was followed there and "jumped" back.
    reported_speed_factor, reported_speed_slack_kn
        A move faster than the class's limit is still one vessel's when both fixes report a
        speed and the move needs no more than ``factor`` times their mean plus ``slack``: a
        tuna seiner's helicopter (MMSI 98x, 60-100 kn in GFW's segmenter fixtures) flies as it
        reports. Two transmitters sharing an MMSI each report their own ship's speed, a few
        knots, so their hundreds of implied knots stay a jump; a clone would have to report
        aircraft speeds on both fixes to pass. 1.25 and 5 kn: SOG is an instant's speed, the
        move an average over minutes (a turn, a slowing for landing).
    fix_tolerance_m, long_range_tolerance_m
        Position uncertainty subtracted from the distance before computing implied speed: about
        30 m for a GNSS fix; type 27 long-range positions are rounded to 1/10 minute (~185 m)
        and may be minutes old, so one nautical mile, which is why type 27 is never a jump by
        itself.
    time_tolerance_s
        Added to the time between fixes: two stations stamp the same message a second or two
        apart.
    repeat_s, repeat_m
        A fix within 5 s and 2 m of the last one of a far track is that report heard again (two
        stations, or a satellite and a shore station, stamp one message up to a few seconds
        apart: GFW's segmenter fixtures repeat fixes 1 to 5 s on), not a second fix confirming
        it: no transmitter reports again so soon from so near (ITU-R M.1371: 10 s below 14 kn
        on a steady course; 2-3 1/3 s turning or faster, 2 m on at 1.2 kn and more).
    jump_min_distance_m
        A rejected fix closer than this to the track is dropped silently as noise, not reported.
    track_confirm_fixes
        Mutually consistent fixes away from the track needed before the track is declared moved
        (one jump event) or, interleaved with the track's own fixes, two transmitters on one
        MMSI (one event).
    excursion_fixes
        Fixes far off the track, consistent with each other, that make a short jump-and-back a
        ``position_jump`` when the track resumes: two. One far fix is indistinguishable from a
        corrupt message (dropped silently, as movingpandas' outlier cleaner and GFW's segmenter
        drop lone points); two in the same impossible place are a spoofed interval.
    alt_timeout_s
        A lone outlier is forgotten after this long.
    shared_quiet_s, shared_switch_s, max_tracks
        A shared-MMSI episode (several transmitters on one number) stays open until only one
        track has been heard for a day: vessels that share a number around the world are
        heard in turns, hours or days apart, and each turn is the same conflict, not a new
        alert. The detectors follow another of its tracks once the followed one has been
        silent for 10 min (or two of its report intervals) while that one reports, well before
        it would count as dark. At most four far tracks are kept per MMSI (the oldest
        forgotten first).
    stale_window_s, stale_min_sog_kn
        A record reporting at least ``stale_min_sog_kn`` in the 1e-4 degree cell (about 11 m)
        of a record of its MMSI a minute to ``stale_window_s`` before is a repeat
        (`geo.recent_places`); one the track cannot reach, or far behind the track's latest
        fix, is a stale repeat: a feed handing on an old position with a new time, set aside
        and counted (``stale_repeat``), not a second transmitter. A moving vessel is not at
        one place twice within the hour; a stopped one is not judged by it.
    jump_return_window_s
        A vessel whose position jumps back to where it was before a jump within this window is
        the same episode (a spoofing interval), reported as an update of the first event.
    dr_min_silence_s, dr_horizon_s, dr_base_nm, dr_run_share, dr_drift_kn, dr_slow_kn
        A fix implausible from the track that lies on the dead reckoning of the track as it was
        before its last silence (of 30 min or more, up to a day), while the fixes heard in the
        silence could not have been visited between the two at the class's top speed, shows
        that those fixes were a second transmitter (`geo.silence_return`, which gives the
        reasons): within ``1 nm + 0.2 x run + 1 kn x hours`` of the reckoning (a course kept
        within about 11 degrees, currents of up to 1 kn); a vessel under 2 kn without a course
        is reckoned where it was.
    gap_k, gap_floor_s, gap_long_range_floor_s
        A vessel is dark when silent for more than ``max(gap_k x expected interval, floor)``
        with the expected interval from ITU-R M.1371 by class, speed and navigational status
        (class A: 2 s above 23 kn, 6 s at 14-23 kn, 10 s below 14 kn, 3 min at anchor or moored;
        class B "CS": 30 s above 2 kn, 3 min below). ``k = 20``: twenty reports in a row lost at
        50 % independent loss happens once in a million. The floor of 30 min covers correlated
        loss (a vessel passing between the ranges of two shore stations, ~40 nm each); it is
        half of MarineTraffic's 1 h "out of range", far below Skylight's 6 h and Global Fishing
        Watch's 12 h, which are set for satellite revisit times. Type 27 (long-range, often via
        satellite) gets 6 h, as Skylight. Vessels last seen in a port or anchorage zone are not
        gaps.
    gap_sparse_sampling_s, gap_sparse_floor_s
        A vessel the feed hears once in 45 min or less often (its own sampling, see
        `geo.detectors.gap`) is seen by satellite passes or an hourly archive, and such a feed
        leaves holes of many hours with nothing wrong: passes missed in a row, the
        constellation's geometry (a place is overflown at about the same times twice a day).
        A silence is a gap there from 12 h, as Global Fishing Watch counts gaps in its
        satellite-heavy feed (Welch et al. 2022 chose 12 h from that daily cycle of coverage);
        so also before anything is known of a vessel's or the feed's sampling. No terrestrial
        reception leaves a vessel in range 45 min between reports (ITU's longest nominal
        interval is 3 min).
    gap_sparse_min_reports, gap_sparse_track_s
        Such a vessel's silence is a switch-off only if the feed heard it 14 times in the 12 h
        before it (Welch et al. 2022's bar for a disabling; GFW's own analyses ask for 19);
        one heard less often is lost at the edge of coverage (`geo.sparse_tracking`). The
        count is weighted with a mean life of 12 h (a steady rate gives the 12 h count).
    gap_min_fixes
        A silence counts only after a vessel's second fix: one report of a ship never heard
        again shows no transmitter that stopped (a receiver's fringe, a night of ducting).
    coverage_cell_deg, coverage_window_s, coverage_min_evidence, coverage_good
        Receiver coverage learned from the feed (`geo.coverage`): cells of 0.1 deg (~6 nm,
        finer than the few-mile fringe of a shore station's range), a sliding window of 24 h
        (a day of traffic and propagation's daily cycle), a cell judged once 30 reports' worth
        were expected there (five minutes of one class A ship), and "good" where at least 60 %
        of what vessels send is heard: slot collisions alone cost a busy area 5-20 % of its
        reports (SOTDMA loading stays under half the slots almost everywhere), so a place that
        loses more is losing vessels to distance, at the fringe of a station's range. Class A
        and class B are mapped apart (class B is heard at about 60 % of class A's range). A gap
        that starts where reception is worse is downgraded.
    coverage_full
        Reception of a place that loses nothing to distance: 80 %, what slot collisions leave
        (they cost a busy area 5-20 %). A sparsely sampled vessel (an extract, satellite AIS)
        must have been last heard where reception is that full to be called dark: its sampling
        hides the fade across a station's fringe that a terrestrial vessel's own reception
        shows, so a last report in a cell already losing reports to distance is a vessel at
        the fringe (`geo.coverage.Coverage.assess`), unless it was kept at its sampling (its own
        reception at its interval this full) and every cell of its way is better heard.
    coverage_track_half_life_s, coverage_track_evidence
        A vessel's own recent reception halves its weight every 20 min (the last half hour or so
        before a silence counts) and is judged once 10 reports' worth were expected (half an
        hour of a slow class B boat).
    coverage_interp_max_s, coverage_edge_risk
        Silences up to 6 h (a crossing of a coverage hole) are spread along the straight line
        between their fixes when coverage is learned; longer ones say nothing of the way. A
        gap at the edge of coverage weighs a quarter of a gap in the risk score, as does the
        silence of a ship's craft or a SAR aircraft (`geo.detectors.gap.routine_silence`).
    station_rate_half_life_s, station_busy_per_min, station_silent_k, station_silent_min_s
    station_min_vessels
        A receiving station is down (`geo.stations`) once silent for 30 of its usual intervals
        between reports and at least 10 min, if it was busy (2 reports a minute or more, its
        rate halving its weight every 30 min, from 3 vessels or more): a shore station hears
        dozens of ships, several reports a second, so ten silent minutes are a broken
        receiver, not quiet seas; a station hearing one vessel is silent when it is.
    loiter_speed_kn, loiter_min_s
        Loitering: speed over ground below 2 kn for at least 1 h at sea, outside port and
        anchorage zones (the issue's defaults; Global Fishing Watch's loitering events also use
        2 kn).
    loiter_implied_min_s
        Without SOG, a speed is implied over 5 min at least: 200 m of position noise between
        two fixes 15 s apart is 26 kn (`geo.detectors.loitering`).
    loiter_drift_slack_nm
        A slow run's positions must agree with its SOG: a vessel under 2 kn cannot be further
        from where the run began than 1.5 times 2 kn over the time since, plus this much
        (position noise, two antennas). Further, the SOG is wrong (a transponder sending 0,
        a table whose speeds were zeroed) and the run ends there.
    encounter_distance_m, encounter_speed_kn, encounter_min_s
        Global Fishing Watch: within 500 m, both under 2 kn, for at least 2 h; AI2 Skylight:
        within 250 m for over 30 min. A mothership handing over a boat off Libya takes tens of
        minutes, not the hours of a fish transshipment, so 20 min; the distance stays at GFW's
        500 m because two vessels alongside are reported up to a few hundred metres apart (GNSS
        antenna offsets and a class B boat reporting every 3 min while drifting).
    encounter_break_s
        A pair whose vessels have both been heard for this long (10 min) past the last time they
        were together, without being together again, has parted: the episode ends. A vessel
        simply unheard is not apart (absence of reports is not evidence of separation): its
        next fix fills the silence by interpolation (``interp_max_s``).
    encounter_stitch_s
        A pair last together before both went unheard past any interpolation, and together
        again within 12 h of that (the satellite feed's holes, ``gap_sparse_floor_s``), is one
        meeting, the silence inside it (``details.unheard_s``): nothing showed them apart.
        Global Fishing Watch merges a pair's encounters less than 24 h apart whatever came
        between; Mare merges only across silence, and half as far.
    interp_max_s
        Two fixes of a vessel at most this far apart (3 h) are joined by a constant-speed great
        circle where a rule needs positions at common times (encounters). Satellite AIS sees a
        vessel every 10 to 90 minutes, so an hour's sampling with a lost pass still joins up;
        a slow vessel (under 2 kn at both fixes) strays at most ``2 kn x 3 h / 2 = 3 nm`` from
        the chord, and in practice drifts along it. Longer silences are not bridged.
    zone_confirm_fixes, zone_confirm_s
        Hysteresis: a zone transition is committed after this many consecutive fixes on the new
        side spanning at least this long, so a vessel jittering on a boundary gives one entry.
    identity_confirm
        A changed name, callsign, IMO or ship type counts after this many consecutive static
        reports carrying the same new value, so one corrupt static report cannot flip-flop it.
    identity_memory_s
        A value a field had within the last week that comes back is a flip, not a change:
        the names of vessels sharing an MMSI alternate, and only the first flip is news.
    future_max_s, future_pace_steps, future_confirm_records, future_confirm_span_s
    future_confirm_bulk
        The clock guard (`geo.clock`). A position ahead of the engine's clock by more than
        ``max(5 min, pace)``, where the pace is the event time the feed's last three forward
        steps covered, is held back and judged by the records that follow: dropped once those
        still at the old time amount to a quarter of the held run; let through once the run's
        own records span its lead over the clock (less 5 min), or once 10 of them span a minute
        (a capture resuming after a hole: a vessel reports every 2-10 s under way, whereas a
        burst of forged or corrupt sentences is one instant), or once there are 1,000 (a busy
        feed resumed: a few seconds of it). Five
        minutes is far beyond the skew of a sane terrestrial feed (tag-block times come from
        NTP- or GNSS-disciplined receivers, seconds apart) and a sixth of the 30-min dark floor,
        so a corrupt time stamp let through on a busy feed cannot raise a "went dark" alert by
        itself; three steps let a sparse capture (a few vessels every 10-60 min) move at its own
        sampling while a stamp hours or years ahead of it is held.
    risk_half_life_s, risk_weights, risk_departure_waters_factor
        Risk contributions halve every 24 h: yesterday's encounter still matters, last week's
        barely. The weights are calibrated on the simulator's labelled scenarios (``make
        eval``, suspect precision and recall) and published with their reasons in
        docs/risk.md: a watchlist hit, an encounter at sea and spoofing each make a suspect
        (50) by themselves; going dark, loitering and identity changes need company, except
        that going dark in departure waters (a departure area, or the territorial sea or
        contiguous zone of a country with one) counts ``risk_departure_waters_factor`` times.
        A ``contact_association`` (an AIS vessel met or escorted a boat without AIS) weighs
        more than an encounter of two AIS vessels: it is the mothership pattern itself.
    contact_settle_s
        A contact is fused once event time is this far past it, so that the AIS fixes after it
        (a class B vessel reports every 3 min at low speed, and two may be lost) are in: the
        position of each vessel is then interpolated to the contact's time, not extrapolated.
        A vessel that may have been at the contact (heard before it, near enough at 30 kn) and
        is not heard since holds it longer, up to ``contact_interp_max_s``: on a sparse feed its
        next fix is tens of minutes away (`ContactFusion.awaiting`).
    contact_interp_max_s
        AIS fixes up to this far before and after a contact are used, so two fixes up to twice
        this apart are interpolated across; a vessel heard only on one side of it is
        dead-reckoned from its speed and course (with ``contact_drift_ms`` of allowance a
        second for the unknown manoeuvre, and as much for the time to the nearer fix when
        interpolated, plus the vessel's space-time prism between the fixes at the speed it
        reported, up to 5 km: `geo.ais_history.prism_allowance_m`). An hour: extracts of one
        report per vessel every 30-60 min and satellite AIS (a pass every 90-100 min) are how
        most SAR scenes are matched, and a vessel not placed at all cannot explain a detection
        or be a mothership.
    contact_match_margin_m
        A contact is explained by an AIS vessel whose interpolated position is within the
        contact's uncertainty radius plus this margin: the AIS position error, the vessel's own
        size (GNSS antenna offsets up to 300 m on a large ship) and interpolation across a turn.
        Skylight matches Sentinel-1 detections to AIS within 1.5 km all told; with SAR's default
        radius of 500 m, the 1 km margin is the same. A vessel whose reported length is less than
        half or more than twice the contact's (plus 10 m) does not explain it: an inflatable
        seen alongside a fishing vessel is not the fishing vessel. Nor does a vessel explain a
        contact with more than 20 people on board unless it is known to be a passenger vessel
        (types 60-69): a crowded boat is not a trawler's crew. Hotline contacts (a boat in
        distress relayed by phone) are never matched: they are about boats without AIS.
    contact_history_s
        How long AIS history (each vessel's position at each slice end) is kept to fuse late
        contacts: a contact later than this (a SAR detection delivered hours after the pass)
        is fused against what is left, and counted as late.
    dark_track_gap_s, dark_track_close_s
        A dark contact joins an existing dark target seen within ``dark_track_gap_s`` (6 h: an
        aircraft's patrol revisit) if the boat could have covered the distance at its class's
        speed (`geo.contacts.speed_bound_kn`) plus both contacts' radii; a dark target unseen for
        ``dark_track_close_s`` is closed.
    association_near_m, association_slow_kn
        An AIS vessel within this distance (plus the contact's radius, counted up to 500 m) of a
        dark target, both at or under this speed, met it: the encounter rule's "near and slow
        together", with the distance doubled from 500 m because the boat's position is a
        sighting, not a GNSS fix; a vague position (a phone call's 2 km) cannot show nearness,
        hence the cap. One such contact is evidence enough: in open water, a boat without AIS
        stopped beside a vessel is the pattern itself. Vessels in port and anchorage zones are
        not candidates, as for encounters.
    association_escort_m, association_escort_course_deg, association_escort_speed_kn
        An AIS vessel within 3 nm of a moving dark target at two contacts at least
        ``association_escort_min_s`` apart, on a course within 30 deg and at a speed within
        3 kn of the target's, escorted it.
    """

    slice_s: float = 60.0
    live_lateness_s: float = 30.0
    ongoing_update_s: float = 1800.0
    ongoing_update_doubling_s: float = 6 * 3600.0

    jump_speed_a_kn: float = 50.0
    jump_speed_b_kn: float = 60.0
    dash_s: float = 3 * 3600.0
    sustained_speed_kn: float = 35.0
    reported_speed_factor: float = 1.25
    reported_speed_slack_kn: float = 5.0
    fix_tolerance_m: float = 30.0
    long_range_tolerance_m: float = 1852.0
    time_tolerance_s: float = 2.0
    repeat_s: float = 5.0
    repeat_m: float = 2.0
    jump_min_distance_m: float = 1852.0
    track_confirm_fixes: int = 3
    excursion_fixes: int = 2
    alt_timeout_s: float = 1800.0
    jump_return_window_s: float = 6 * 3600.0
    dr_min_silence_s: float = 1800.0
    dr_horizon_s: float = 24 * 3600.0
    dr_base_nm: float = 1.0
    dr_run_share: float = 0.2
    dr_drift_kn: float = 1.0
    dr_slow_kn: float = 2.0
    shared_quiet_s: float = 24 * 3600.0
    shared_switch_s: float = 600.0
    max_tracks: int = 4
    stale_window_s: float = 3600.0
    stale_min_sog_kn: float = 1.0

    gap_k: float = 20.0
    gap_floor_s: float = 1800.0
    gap_long_range_floor_s: float = 6 * 3600.0
    gap_sampling_k: float = 6.0
    gap_sampling_cap_s: float = 3600.0
    gap_sampling_half_life_s: float = 3 * 3600.0
    gap_sampling_min_fixes: int = 20
    gap_sparse_sampling_s: float = 2700.0
    gap_sparse_floor_s: float = 12 * 3600.0
    gap_sparse_min_reports: float = 14.0
    gap_sparse_track_s: float = 12 * 3600.0
    gap_min_fixes: int = 2

    coverage_cell_deg: float = 0.1
    coverage_window_s: float = 24 * 3600.0
    coverage_min_evidence: float = 30.0
    coverage_good: float = 0.6
    coverage_full: float = 0.8
    coverage_track_half_life_s: float = 1200.0
    coverage_track_evidence: float = 10.0
    coverage_interp_max_s: float = 6 * 3600.0
    coverage_edge_risk: float = 0.25
    station_rate_half_life_s: float = 1800.0
    station_busy_per_min: float = 2.0
    station_silent_k: float = 30.0
    station_silent_min_s: float = 600.0
    station_min_vessels: int = 3

    loiter_speed_kn: float = 2.0
    loiter_min_s: float = 3600.0
    loiter_implied_min_s: float = 300.0
    loiter_drift_slack_nm: float = 1.0

    encounter_distance_m: float = 500.0
    encounter_speed_kn: float = 2.0
    encounter_min_s: float = 1200.0
    encounter_break_s: float = 600.0
    encounter_stitch_s: float = 12 * 3600.0
    interp_max_s: float = 3 * 3600.0

    zone_confirm_fixes: int = 2
    zone_confirm_s: float = 20.0

    identity_confirm: int = 2
    identity_memory_s: float = 7 * 24 * 3600.0

    future_max_s: float = 300.0
    future_pace_steps: int = 3
    future_confirm_records: int = 10
    future_confirm_span_s: float = 60.0
    future_confirm_bulk: int = 1000

    risk_half_life_s: float = 24 * 3600.0
    risk_weights: dict[str, float] = field(default_factory=_default_risk_weights)
    risk_departure_waters_factor: float = 2.5

    contact_settle_s: float = 600.0
    contact_interp_max_s: float = 3600.0
    contact_drift_ms: float = 0.5
    contact_match_margin_m: float = 1000.0
    contact_history_s: float = 2 * 3600.0
    dark_track_gap_s: float = 6 * 3600.0
    dark_track_close_s: float = 12 * 3600.0
    association_near_m: float = 1000.0
    association_slow_kn: float = 3.0
    association_escort_m: float = 3 * 1852.0
    association_escort_course_deg: float = 30.0
    association_escort_speed_kn: float = 3.0
    association_escort_min_s: float = 600.0

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as plain JSON-able values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> EngineConfig:
        """Build a configuration from `to_dict` output, ignoring unknown keys."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in obj.items() if k in names})
