"""The benchmark's queries: each a SPARQL text with a ``__N__`` slot that the load generator fills at random.

The slot names an entity of the generated catalogue (``graph/generate.py``), so repeated requests do not all
hit one cached answer; every server gets the same distribution of values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graph import generate

PREFIXES = """PREFIX gai: <https://w3id.org/genai-kg/ontology#>
PREFIX gaid: <https://w3id.org/genai-kg/id/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


@dataclass(frozen=True)
class Query:
    """A named benchmark query; ``values(models)`` is how many values its ``__N__`` slot takes (0: no slot)."""

    name: str
    title: str
    sparql: str
    values: Callable[[int], int]
    #: The issue's target for genai-kg's throughput as a ratio of Oxigraph's server.
    target: float
    #: Concurrent connections the load generator keeps open (fewer for the heavy queries).
    connections: int = 4

    def text(self, n: int = 0) -> str:
        """The query with its slot filled with ``n``."""
        return self.sparql.replace("__N__", str(n))


def _none(models: int) -> int:
    return 0


LOOKUP = Query(
    "lookup",
    "point look-up (one model's triples)",
    PREFIXES + "SELECT ?p ?o WHERE { gaid:SynModel___N__ ?p ?o }",
    lambda models: models,
    0.35,
)
JOIN = Query(
    "join",
    "7-pattern join with FILTER (one organisation's large transformers)",
    PREFIXES
    + """SELECT ?model ?label ?family ?params ?date WHERE {
  ?model gai:developedBy gaid:SynOrg___N__ ;
         gai:architecture gai:TransformerArchitecture ;
         rdfs:label ?label ;
         gai:parameterCount ?params ;
         gai:releaseDate ?date ;
         gai:memberOf ?f .
  ?f rdfs:label ?family .
  FILTER(?params >= 10000000000)
}""",
    generate.organizations,
    1.0,
)
AGGREGATE = Query(
    "aggregate",
    "GROUP BY over every model (count, mean and max size per architecture)",
    PREFIXES
    + """SELECT ?architecture (COUNT(?model) AS ?models) (AVG(?params) AS ?mean) (MAX(?params) AS ?largest) WHERE {
  ?model gai:architecture ?architecture ; gai:parameterCount ?params .
} GROUP BY ?architecture ORDER BY DESC(?models)""",
    _none,
    1.0,
    connections=2,
)
LARGE = Query(
    "large",
    "large result (10,000 rows of entity and label)",
    PREFIXES + "SELECT ?entity ?label WHERE { ?entity rdfs:label ?label } LIMIT 10000",
    _none,
    1.0,
    connections=2,
)
THROUGHPUT = (LOOKUP, JOIN, AGGREGATE, LARGE)

#: The streaming figure: a million rows (fewer when the store holds fewer triples).
STREAM_ROWS = 1_000_000
STREAM = Query(
    "stream",
    "1,000,000-row SELECT, streamed",
    f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} LIMIT {STREAM_ROWS}",
    _none,
    1.0,
)

#: A query that never ends on any of the servers (a three-way cartesian product, counted): what an attacker,
#: or a user who forgot a join variable, sends. ``bench/contention.py`` keeps some running while it times
#: small queries.
RUNAWAY = Query(
    "runaway",
    "three-way cartesian product, counted (never ends)",
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    _none,
    0.0,
)
