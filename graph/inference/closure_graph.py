"""The closure graph: every asserted and inferred triple once, the default graph queries read.

Reading the union of the named graphs costs Oxigraph a lookup in every graph's indexes for each pattern; one
graph read alone costs one. On the 20,000-model catalogue (833,312 quads: 229,330 asserted, 585,895 inferred),
in one process: the benchmark's join 9.3 ms over the union and 4.0 ms over this graph, its aggregate 292 ms and
108 ms, as fast as Oxigraph's own store of the catalogue alone (4.1 and 111 ms). The price is each triple stored
once more, and written twice.

The graph is :data:`~graph.namespaces.GRAPH_CLOSURE`; only the reasoner writes it, in the same steps as the
inferred graph, so that it holds the asserted graphs' triples and the inferred graph's (not the closure's own
state triples, which describe it):

- a write adds what it newly asserts to it with the write itself (:func:`quads`), before reasoning;
- the store-resident engine (:mod:`.engine`) writes what it infers to both graphs, and takes what it
  retracts out of both once over-deletion has read the store as it was;
- the bulk path (:mod:`.bulk`) adds what it infers to both, takes what a write retracted out first and what
  it removes from the inferred graph out last, where no asserted graph holds it (:func:`retire`);
- a closure computed again from nothing starts from the asserted graphs (:func:`rebuild`).

It is left out of everything that lists the dataset's graphs or reads "every graph" (``named_graphs``,
``quads`` with no graph, ``match``, dumps, counts), so that provenance and statistics see each triple where it
was stated. Its state is the closure's: a store whose closure is current has a current closure graph.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import Quad, RdfFormat, parse

from ..lease import LEASE_UNTIL
from ..namespaces import GRAPH_CLOSURE, GRAPH_INFERRED, is_view
from .batched import add_lines, batch_lines, batches, dump_asserted, line_batches
from .state import STATE_PREDICATES

if TYPE_CHECKING:
    from ..store import KnowledgeGraph
    from .schema import TermTriple

#: Triples checked and removed per transaction by :func:`retire` (a remote engine's batch, too).
BATCH = 5_000


def quads(triples: Iterable[TermTriple]) -> list[Quad]:
    """The closure graph's quads of some triples."""
    return [Quad(s, p, o, GRAPH_CLOSURE) for s, p, o in triples]  # type: ignore[arg-type]


def retire(kg: KnowledgeGraph, triples: Iterable[TermTriple]) -> None:
    """Take out of the closure graph those of ``triples`` that no asserted graph and not the inferred graph holds
    (batches of :data:`BATCH`, and never larger than a remote engine's batch: :func:`.batched.batch_lines`)."""
    for batch in batches(triples, min(BATCH, batch_lines(kg))):
        held = {q.triple for q in kg.backend.match(batch) if not is_view(q.graph_name)}
        gone = [q for q in quads(batch) if q.triple not in held]
        if gone:
            kg.backend.remove(gone)


def retire_file(kg: KnowledgeGraph, path: Path) -> None:
    """:func:`retire` for a file of N-Triples (the bulk path's triples removed from the inferred graph)."""
    for chunk in line_batches(path, BATCH):
        retire(kg, [(q.subject, q.predicate, q.object) for q in parse(chunk, RdfFormat.N_TRIPLES)])


def rebuild(kg: KnowledgeGraph, *, inferred: bool = True) -> None:
    """Make the closure graph hold the asserted graphs' triples, and the inferred graph's unless ``inferred`` is
    false (the store-resident engine is about to compute them again): for a closure computed from nothing."""
    kg.backend.drop_graph(GRAPH_CLOSURE)
    with tempfile.TemporaryDirectory(prefix="genai-kg-closure-") as folder:
        dumped = Path(folder) / "dataset.nt"
        with dumped.open("wb") as output:
            dump_asserted(kg, output)
            if inferred:
                kg.backend.dump(output, RdfFormat.N_TRIPLES, from_graph=GRAPH_INFERRED, prefixes=None)
        add_lines(kg, dumped, (GRAPH_CLOSURE,))
    # the inferred graph's state triples (and a remote engine's lease) describe the closure: not part of it
    state = " ".join(str(p) for p in (*STATE_PREDICATES, LEASE_UNTIL))
    kg.backend.update(
        f"DELETE {{ GRAPH {GRAPH_CLOSURE} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {GRAPH_INFERRED} {{ ?s ?p ?o }} "
        f"VALUES ?p {{ {state} }} }}"
    )
