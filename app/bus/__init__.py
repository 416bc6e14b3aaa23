"""The pipeline over NATS JetStream: stages as processes, partitioned by MMSI (docs/scaling.md).

Between `app.pipeline` (one process) and `app.wiring`/`app.cli`: the bus reuses the pipeline's
parts (engine, triage, store, live picture) and only adds what crossing processes needs --
subjects, a codec for batches and events, JetStream consumers, engine snapshots in JetStream's
key-value store.
"""
