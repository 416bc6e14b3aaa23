"""Mare's application layer: settings, pipeline, store, API and the `mare` command line."""
