from __future__ import annotations

from typing import Any

from pyais import encode_dict

from ais_ingest.decoder import Decoder, decode_files
from ais_ingest.records import Batch, PositionReport, StaticReport
from ais_ingest.timestamps import nmea_checksum

MMSI = 247123456


def sentences(data: dict[str, Any], *, channel: str = "A", seq: int | None = None) -> list[str]:
    return list(encode_dict(data, sentence_type="VDM", radio_channel=channel, seq_id=seq))


def tag(body: str) -> str:
    return f"\\{body}*{nmea_checksum(body):02X}\\"


def with_checksum(sentence: str) -> str:
    """Return the sentence with its checksum recomputed (after editing its fields)."""
    body = sentence[1:].split("*")[0]
    return f"!{body}*{nmea_checksum(body):02X}"


def static5(name: str = "ALFA", **extra: Any) -> dict[str, Any]:
    return {"type": 5, "mmsi": MMSI, "shipname": name, "callsign": "IABC", **extra}


def run(lines: list[str], received_ms: int = 1_000_000, **kw: Any) -> tuple[Batch, Decoder]:
    dec = Decoder(**kw)
    batch = dec.decode(lines, received_ms)
    dec.flush()
    assert dec.stats.accounted == dec.stats.lines == len(lines)
    return batch, dec


def only_position(batch: Batch) -> PositionReport:
    assert len(batch.positions) == 1, batch
    return next(iter(batch.positions))


def test_interleaved_multipart_messages_from_two_channels_are_assembled() -> None:
    a = sentences(static5("ALFA"), channel="A", seq=1)
    b = sentences({**static5("BRAVO"), "mmsi": 247000002}, channel="B", seq=1)
    batch, dec = run([a[0], b[0], a[1], b[1]])
    assert sorted(s.name or "" for s in batch.statics) == ["ALFA", "BRAVO"]
    assert dec.stats.counts["records"] == 2 and dec.stats.counts["multipart_joined"] == 2


def test_multipart_split_across_decode_calls_is_assembled() -> None:
    parts = sentences(static5(), seq=3)
    dec = Decoder()
    assert len(dec.decode([parts[0]], 0)) == 0
    batch = dec.decode([parts[1]], 0)
    assert batch.statics[0].name == "ALFA"


def test_orphan_fragment_is_counted_and_dropped() -> None:
    parts = sentences(static5(), seq=4)
    batch, dec = run([parts[0]])
    assert len(batch) == 0 and dec.stats.counts["orphan_fragment"] == 1


def test_out_of_order_fragment_is_an_orphan() -> None:
    parts = sentences(static5(), seq=5)
    batch, dec = run([parts[1], parts[0]])
    assert len(batch) == 0 and dec.stats.counts["orphan_fragment"] == 2


def test_tag_block_groups_tie_fragments_whatever_their_sequence_ids() -> None:
    p1, p2 = sentences(static5(), seq=6)
    lines = [
        tag("g:1-2-77,s:st1,c:1700000000") + p1,
        tag("g:2-2-77,s:st1,c:1700000000") + with_checksum(p2.replace(",6,", ",7,", 1)),
    ]
    batch, _ = run(lines)
    assert batch.statics[0].name == "ALFA"
    assert batch.statics[0].time_ms == 1_700_000_000_000 and batch.statics[0].source == "st1"


def test_endless_orphans_keep_memory_bounded() -> None:
    dec = Decoder()
    dec._assembler.max_pending = 100
    for seq in range(5000):
        first = sentences(static5(), channel="AB"[seq % 2], seq=seq % 10)[0]
        # distinct stations so every orphan has its own key
        dec.decode([tag(f"s:st{seq},c:{1_700_000_000 + seq // 100}") + first], 0)
    assert len(dec._assembler) <= 100
    dec.flush()
    assert dec.stats.counts["orphan_fragment"] == 5000


def test_unfinished_multipart_expires_after_timeout_on_event_time() -> None:
    first = sentences(static5(), seq=1)[0]
    dec = Decoder(fragment_timeout_seconds=5)
    dec.decode([tag("c:1700000000") + first], 0)
    dec.expire(1_700_000_004_000)
    assert dec.stats.counts["orphan_fragment"] == 0
    dec.expire(1_700_000_006_000)
    assert dec.stats.counts["orphan_fragment"] == 1


def test_duplicate_heard_by_two_stations_is_decoded_once() -> None:
    line = sentences({"type": 1, "mmsi": MMSI, "lat": 35.5, "lon": 12.6})[0]
    lines = [tag("s:lampedusa,c:1700000000") + line, tag("s:malta,c:1700000003") + line]
    batch, dec = run(lines)
    assert len(batch) == 1 and dec.stats.counts["duplicate"] == 1
    assert next(iter(batch.positions)).source == "lampedusa"


def test_same_payload_after_the_window_is_decoded_again() -> None:
    line = sentences({"type": 1, "mmsi": MMSI, "lat": 35.5, "lon": 12.6})[0]
    lines = [tag("c:1700000000") + line, tag("c:1700000011") + line]
    batch, _ = run(lines, dedupe_seconds=10)
    assert len(batch) == 2


def test_event_time_from_tag_block_seconds_and_milliseconds() -> None:
    line = sentences({"type": 1, "mmsi": MMSI, "lat": 35.5, "lon": 12.6})[0]
    b1, _ = run([tag("c:1718000000") + line])
    b2, _ = run([tag("c:1718000000250") + line])
    assert only_position(b1).time_ms == 1_718_000_000_000
    assert only_position(b2).time_ms == 1_718_000_000_250


def test_tag_block_with_bad_checksum_is_counted() -> None:
    line = sentences({"type": 1, "mmsi": MMSI, "lat": 35.5, "lon": 12.6})[0]
    batch, dec = run(["\\c:1718000000*3F\\" + line])
    assert len(batch) == 0 and dec.stats.counts["bad_checksum"] == 1


SPIRE = [  # ais-tools' spire-test.nmea (GlobalFishingWatch/ais-tools, Apache-2.0), split
    "\\c:1662052384,s:FM112*00\\!AIVDM,2,1,1,A,502CuBh0000000000000000000000000000000"
    "000000040Ht00000000000,0*37",
    "\\c:1662052384,s:FM112*00\\!AIVDM,2,2,1,A,00000000000,2*25",
]


def test_spire_tag_blocks_with_a_placeholder_checksum_are_read_and_counted() -> None:
    """Spire's satellite feed writes ``*00`` for every tag block's checksum: each sentence was
    dropped as bad_checksum, a whole satellite feed read as nothing."""
    batch, dec = run(SPIRE)
    assert dec.stats.counts["bad_checksum"] == 0 and dec.stats.counts["records"] == 1
    (rep,) = batch.statics
    assert rep.mmsi == 2_424_139 and rep.time_ms == 1_662_052_384_000 and rep.source == "FM112"
    assert dec.stats.unchecked_tags == 2 and dec.stats.report()["tag_checksums"] == {
        "placeholder": 2
    }


SPIRE_JOINED = [  # the same file as written: a message's parts on one line
    SPIRE[0] + SPIRE[1],
    SPIRE[0] + "\\g:2-1-1*00\\" + SPIRE[1].split("\\")[-1],
]


def test_spire_multipart_joined_on_one_line_is_assembled() -> None:
    """Spire writes both parts of a type 5 on one line, the second with its own tag block or
    only a group tag: the line was bad framing, every satellite static report lost."""
    dec = Decoder()
    batch = dec.decode(SPIRE_JOINED[:1], 1_000_000)
    (rep,) = batch.statics
    assert rep.mmsi == 2_424_139 and rep.time_ms == 1_662_052_384_000 and rep.source == "FM112"
    batch = Decoder(dedupe_seconds=0).decode(SPIRE_JOINED[1:], 1_000_000)
    (rep,) = batch.statics  # the second part takes the first's time and station
    assert rep.mmsi == 2_424_139 and rep.time_ms == 1_662_052_384_000 and rep.source == "FM112"
    dec.flush()
    # each sentence of a joined line is counted as a line, and said to be one
    assert dec.stats.lines == dec.stats.accounted == 2 and dec.stats.joined == 1
    assert dec.stats.report()["joined"] == {"sentences": 1}


def test_joined_lines_among_regular_ones_are_framed_one_sentence_at_a_time() -> None:
    """In a chunk the whole-chunk framer takes, a joined line is left to the per-line framer;
    a line with something that is no sentence after a good one is bad framing, counted once."""
    pos = sentences({"type": 1, "mmsi": MMSI, "lat": 35.5, "lon": 12.6})[0]
    head = "\\c:1662052384,s:FM112*00\\"
    lines = [head + pos] * 400 + SPIRE_JOINED + [head + pos + "\\c:1662052384*00\\!AIVDM,garbage"]
    dec = Decoder(dedupe_seconds=0)
    batch = dec.decode(lines, 1_000_000)
    dec.flush()
    assert len(batch.positions) == 400 and len(batch.statics) == 2
    assert dec.stats.lines == dec.stats.accounted == len(lines) + 2 and dec.stats.joined == 2
    assert dec.stats.counts["bad_framing"] == 1 and dec.stats.counts["multipart_joined"] == 2


def test_placeholder_tag_on_a_single_sentence_line_takes_its_time() -> None:
    """The whole-chunk framer (plain ``c:``/``s:`` tags) takes the ``*00`` tag as the per-line
    framer does; a corrupt sentence behind it is still bad."""
    line = sentences({"type": 1, "mmsi": MMSI, "lat": 35.5, "lon": 12.6})[0]
    good = "\\c:1718000000,s:FM112*00\\" + line
    bad = good[:-6] + ("A" if good[-6] != "A" else "B") + good[-5:]
    batch, dec = run([good] * 300 + [bad])
    assert only_position(batch).time_ms == 1_718_000_000_000
    assert dec.stats.counts["bad_checksum"] == 1
    assert dec.stats.unchecked_tags == 300


def test_leading_iso_and_epoch_timestamps_give_event_time() -> None:
    line = sentences({"type": 1, "mmsi": MMSI, "lat": 35.5, "lon": 12.6})[0]
    b1, _ = run([f"2024-06-10T06:13:20Z {line}"])
    b2, _ = run([f"1718000000.5;{line}"])
    b3, _ = run([f"2024-06-10 06:13:20.000,{line}"])
    assert only_position(b1).time_ms == 1_718_000_000_000
    assert only_position(b2).time_ms == 1_718_000_000_500
    assert only_position(b3).time_ms == 1_718_000_000_000


def test_uscg_trailing_metadata_gives_time_and_station() -> None:
    line = (
        "!AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0*30"
        ",d-080,S2118,t050056.00,T56.48,r003669946,1325394060,1325394001"
    )
    batch, _ = run([line])
    pos = only_position(batch)
    assert pos.time_ms == 1_325_394_001_000 and pos.source == "003669946"


def test_receive_time_is_used_when_a_line_has_no_time() -> None:
    line = sentences({"type": 1, "mmsi": MMSI, "lat": 35.5, "lon": 12.6})[0]
    batch, _ = run([line], received_ms=42_000)
    assert only_position(batch).time_ms == 42_000


def test_other_talkers_and_own_ship_sentences_are_accepted() -> None:
    line = sentences({"type": 1, "mmsi": MMSI, "lat": 35.5, "lon": 12.6})[0]
    lines = [with_checksum(f"!{talker}{line[6:]}") for talker in ("BSVDM", "ABVDM", "AIVDO")]
    batch, dec = run(lines, dedupe_seconds=0)
    assert len(batch.positions) == 3


def test_bad_checksum_and_garbage_are_counted_not_raised() -> None:
    line = sentences({"type": 1, "mmsi": MMSI, "lat": 35.5, "lon": 12.6})[0]
    bad = line[:-2] + ("00" if line[-2:] != "00" else "11")
    batch, dec = run([bad, "", "hello", "!AIVDM,1,1,,A,abc*ZZ", "# comment", line])
    assert len(batch) == 1
    assert dec.stats.counts["bad_checksum"] == 1
    assert dec.stats.counts["bad_framing"] == 4


def test_unavailable_values_become_none() -> None:
    data = {"type": 1, "mmsi": MMSI, "lat": 91, "lon": 181, "speed": 102.3, "heading": 511}
    data |= {"course": 360, "turn": -128, "second": 60}
    pos = only_position(run(sentences(data))[0])
    assert (pos.lat, pos.lon, pos.speed, pos.heading, pos.course, pos.turn, pos.second) == (
        (None,) * 7
    )


def test_known_values_are_decoded_with_signed_rate_of_turn() -> None:
    data = {"type": 1, "mmsi": MMSI, "lat": 35.5, "lon": 12.6, "speed": 10.3, "heading": 90}
    data |= {"course": 91.2, "turn": -12, "second": 30, "status": 7}
    pos = only_position(run(sentences(data))[0])
    assert (pos.lat, pos.lon, pos.speed, pos.heading, pos.course) == (35.5, 12.6, 10.3, 90, 91.2)
    assert pos.turn is not None and pos.turn < 0 and pos.status == 7 and pos.second == 30


def set_bits(sentence: str, start: int, width: int, value: int) -> str:
    """Overwrite payload bits (pyais's encoder rewrites reserved codes, so do it by hand)."""
    fields = sentence.split(",")
    six = [(ord(c) - 48 - (8 if ord(c) - 48 > 40 else 0)) for c in fields[5]]
    bits = list("".join(f"{v:06b}" for v in six))
    bits[start : start + width] = f"{value:0{width}b}"
    vals = [int("".join(bits[i : i + 6]), 2) for i in range(0, len(bits), 6)]
    fields[5] = "".join(chr(v + 48 + (8 if v > 39 else 0)) for v in vals)
    return with_checksum(",".join(fields))


def test_reserved_ship_type_keeps_its_number() -> None:
    first, second = sentences(static5(ship_type=70))
    batch, _ = run([set_bits(first, 232, 8, 77), second])
    assert batch.statics[0].ship_type == 77


def test_six_bit_text_ends_at_the_first_at_sign() -> None:
    batch, _ = run(sentences(static5("ALFA@BRAVO")))
    assert batch.statics[0].name == "ALFA"


def test_type24_halves_are_merged_per_mmsi() -> None:
    a = sentences({"type": 24, "mmsi": 247000009, "partno": 0, "shipname": "SEA WOLF"})
    b = sentences(
        {"type": 24, "mmsi": 247000009, "partno": 1, "ship_type": 37, "callsign": "IX99"}
        | {"to_bow": 5, "to_stern": 7, "to_port": 2, "to_starboard": 2}
    )
    batch, _ = run(a + b)
    merged = batch.statics[-1]
    assert (merged.name, merged.callsign, merged.ship_type, merged.length) == (
        "SEA WOLF",
        "IX99",
        37,
        12,
    )


def test_type9_is_a_sar_aircraft_position() -> None:
    data = {"type": 9, "mmsi": 111247001, "lat": 35.9, "lon": 14.5, "speed": 140, "alt": 300}
    pos = only_position(run(sentences(data))[0])
    assert pos.is_aircraft and pos.speed == 140 and pos.ais_class.value == "aircraft"


def test_type19_gives_a_position_and_a_static_record() -> None:
    data = {"type": 19, "mmsi": 247000011, "lat": 36.0, "lon": 14.0, "shipname": "NINA"}
    batch, dec = run(sentences(data | {"ship_type": 30, "speed": 5.0}))
    assert len(batch.positions) == 1 and batch.statics[0].name == "NINA"
    assert dec.stats.counts["records"] == 1


def test_type27_long_range_position() -> None:
    data = {"type": 27, "mmsi": MMSI, "lat": 35.5, "lon": 12.6, "speed": 12, "course": 200}
    pos = only_position(run(sentences(data | {"status": 0}))[0])
    assert pos.msg_type == 27 and pos.speed == 12 and pos.course == 200
    assert pos.lat is not None and abs(pos.lat - 35.5) < 0.002


def test_other_message_types_are_counted_as_unsupported() -> None:
    base_station = sentences({"type": 4, "mmsi": 2470001, "lat": 35.5, "lon": 12.6})
    batch, dec = run(base_station)
    assert len(batch) == 0 and dec.stats.counts["unsupported_type"] == 1


def test_pyais_sample_capture_counts_add_up_with_its_known_faults() -> None:
    dec = Decoder(dedupe_seconds=0)
    n = sum(
        len(b) for b in decode_files(["tests/data/ais/pyais/nmea_data_sample.txt"], decoder=dec)
    )
    s = dec.stats.as_dict()
    # 898 lines: 100 empty payloads and 20 first fragments whose second is absent (SOURCES.md)
    assert s["lines"] == 898 and s["decode_error"] == 100 and s["orphan_fragment"] == 20
    assert dec.stats.accounted == 898 and n >= 760


def test_static_records_keep_arrival_order_in_the_batch() -> None:
    lines = sentences(static5("ONE")) + sentences(static5("TWO"))
    batch, _ = run(lines, dedupe_seconds=0)
    assert [s.name for s in batch.statics] == ["ONE", "TWO"]
    assert all(isinstance(s, StaticReport) for s in batch.statics)


def test_records_keep_arrival_order_across_fast_and_pyais_paths() -> None:
    class_b = {"mmsi": 247000011, "lat": 36.0, "lon": 14.0, "speed": 5.0}
    lines = [
        sentences({"type": 18, **class_b, "second": 1})[0],
        sentences({"type": 19, **class_b, "shipname": "NINA", "second": 2})[0],
        sentences({"type": 18, **class_b, "second": 3})[0],
        *sentences(static5("FIRST")),
        sentences({"type": 24, "mmsi": 247000012, "partno": 0, "shipname": "SECOND"})[0],
        *sentences(static5("THIRD", mmsi=247000013)),
    ]
    batch, _ = run(lines, dedupe_seconds=0)
    assert [p.second for p in batch.positions] == [1, 2, 3]
    assert [s.name for s in batch.statics] == ["NINA", "FIRST", "SECOND", "THIRD"]


def test_tag_block_checksum_that_is_not_two_hex_digits_is_bad_framing_not_an_error() -> None:
    line = sentences({"type": 1, "mmsi": MMSI, "lat": 35.5, "lon": 12.6})[0]
    bad = [f"\\c:1718000000*{digits}\\{line}" for digits in ("1 ", "-1", "+1", " 1", "G1")]
    batch, dec = run(bad)
    assert len(batch) == 0 and dec.stats.counts["bad_framing"] == len(bad)


def test_tag_block_checksum_in_mixed_case_hex_is_counted_not_raised() -> None:
    # ASCII XORs to < 0x80, so "aF" can never match: a bad checksum, not an exception.
    line = sentences({"type": 1, "mmsi": MMSI, "lat": 35.5, "lon": 12.6})[0]
    batch, dec = run([f"\\c:1718000000*aF\\{line}"])
    assert len(batch) == 0 and dec.stats.counts["bad_checksum"] == 1


def test_group_whose_later_lines_carry_no_station_or_time_is_assembled_at_the_first_time() -> None:
    # NMEA 4.10 as receivers write it (and gpsd's AIVDM notes show): only the first line of a
    # g: group names the station and the time.
    p1, p2 = sentences(static5("ROSINANTE"), seq=6)
    lines = [tag("g:1-2-1604,s:rORBCOMM008,c:1418169601") + p1, tag("g:2-2-1604") + p2]
    batch, dec = run(lines, received_ms=1_700_000_000_000)
    (report,) = batch.statics
    assert report.name == "ROSINANTE"
    assert report.time_ms == 1_418_169_601_000 and report.source == "rORBCOMM008"
    assert dec.stats.counts["orphan_fragment"] == 0


def test_equal_group_ids_from_different_feeds_do_not_mix() -> None:
    a1, a2 = sentences(static5("ALFA"), seq=1)
    b1, b2 = sentences({**static5("BRAVO"), "mmsi": 247000002}, seq=1)
    lines = [
        tag("g:1-2-9,c:1") + a1,
        tag("g:1-2-9,c:1") + b1,
        tag("g:2-2-9") + a2,
        tag("g:2-2-9") + b2,
    ]
    dec = Decoder()
    batch = dec.decode(lines, 0, ["feed-a", "feed-b", "feed-a", "feed-b"])
    assert sorted(s.name or "" for s in batch.statics) == ["ALFA", "BRAVO"]
