"""The live service's own pieces that sit beside the store: settings, live state, data helpers."""
