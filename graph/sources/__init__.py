"""Sources beyond the article: tabular files read as RDF and mapped by SPARQL (see docs/sources.md)."""
