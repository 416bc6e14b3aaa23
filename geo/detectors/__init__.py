"""One module per behaviour detector; the engine feeds them slice parts and slice ends."""
