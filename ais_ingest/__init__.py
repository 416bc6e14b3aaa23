"""Streaming AIS ingest: sources, NMEA framing, multipart reassembly, dedupe and decoding.

Knows NMEA and AIS and nothing about zones or storage (see DESIGN.md, data flow).
"""
