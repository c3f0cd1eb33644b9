"""The Reconciliation Service API 0.2 over the graph: match names to entities, suggest, preview and extend.

OpenRefine and other tools send a column of names (with perhaps a type and properties such as the developer)
and get back, for each, the candidate entities with scores from 0 to 100 and ``match: true`` where the name
stands for one entity unambiguously. One concept a module:

- :mod:`.parsing`: a query batch and a data extension, read strictly and bounded before they are read;
- :mod:`.identifiers`: ids to IRIs and back (an entity's id is its IRI without ``https://w3id.org/genai-kg/id/``,
  the identifier space; a type's or a property's its IRI without ``https://w3id.org/genai-kg/ontology#``, the
  schema space; full IRIs and ``gaid:``/``gai:`` prefixed names are accepted too);
- :mod:`.index`: what reconciliation reads of the graph, built once per store generation around the one matcher
  (:mod:`graph.matching`) and kept on the knowledge graph;
- :mod:`.scoring`: a batch answered, candidates scored and ranked;
- :mod:`.suggest`, :mod:`.preview`, :mod:`.extension`: the suggest services, an entity's preview, data extension;
- :mod:`.manifest`: what the service manifest says of the graph (its default types).

``server/reconcile.py`` turns HTTP into calls of these, run by the query service.
"""
