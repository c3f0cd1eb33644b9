"""SPARQL engines the tests start as remote backends."""
