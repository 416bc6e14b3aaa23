"""The live pipeline of the service: ingest, engine, store and hub as bounded, counted stages."""

from app.pipeline.counters import PipelineCounters
from app.pipeline.runner import Pipeline, Publisher, Sink

__all__ = ["Pipeline", "PipelineCounters", "Publisher", "Sink"]
