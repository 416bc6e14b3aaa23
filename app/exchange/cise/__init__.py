"""The EU's Common Information Sharing Environment (CISE) data model 1.5.3, as Mare speaks it.

`vocab` holds the value tables (Mare kinds, ship types, zone kinds to CISE enumerations),
`entities` builds the XML entities from Mare's events and vessels, `validate` checks documents
against the shipped XSDs (`schemas/`), `export` writes one document per entity. docs/cise.md
is the mapping table for people.
"""
