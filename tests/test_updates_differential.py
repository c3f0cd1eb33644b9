"""The update planner against Oxigraph itself: every W3C update evaluation test, and generated updates.

Each case starts from two copies of one store. On the first, the request is planned (:mod:`graph.updates`) and
the planned delta applied as it is (the reasoner is not the subject here); on the second, ``Store.update``
runs it. Both must end equal — quads compared
after canonicalising blank nodes, and the same named graphs — or both must refuse the request.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import (
    BlankNode,
    CanonicalizationAlgorithm,
    Dataset,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    Store,
)

from graph.embedded import EmbeddedBackend
from graph.errors import GraphError
from graph.loading import load_shipped
from graph.namespaces import PREFIXES, is_reasoners
from graph.store import KnowledgeGraph
from graph.updates import parse_update

from .conformance.evaluation import _graph_data, _quads
from .conformance.manifests import MF, UT, local_path
from .conformance.manifests import Test as ManifestEntry
from .conformance.manifests import tests as manifest_entries

ROOT = Path(__file__).resolve().parent.parent
#: Beside the repository, as the Makefile's ``W3C_SPARQL`` says; CI without it skips these cases.
W3C = Path(os.environ.get("W3C_SPARQL", ROOT.parent / "shared" / "w3c-rdf-tests" / "sparql")) / "sparql11"
MANIFEST = W3C / "manifest-sparql11-update.ttl"


def _copy(store: Store) -> Store:
    copy = Store()
    copy.extend(store)
    for graph in store.named_graphs():
        copy.add_graph(graph)
    return copy


def _state(store: Store, *, canonical: bool) -> tuple[set[Quad], set[object]]:
    """The store's quads and named graphs; ``canonical``: with blank nodes named by canonicalisation."""
    if not canonical:
        return set(store), set(store.named_graphs())
    dataset = Dataset(store)
    dataset.canonicalize(CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset), set(store.named_graphs())


def _outcomes(store: Store, update: str, base_iri: str | None) -> tuple[Store | str, Store | str]:
    """What planning and writing gives, and what Oxigraph's own update gives: a store, or an error."""
    planned, native = _copy(store), _copy(store)
    kg = KnowledgeGraph(EmbeddedBackend(planned))
    try:
        delta = parse_update(update, base_iri=base_iri).plan(kg)
        for quad in delta.removed:
            planned.remove(quad)
        planned.extend(delta.added)
        for graph in delta.created:
            planned.add_graph(graph)
        for graph in delta.dropped:
            planned.remove_graph(graph)
        ours: Store | str = planned
    except GraphError as error:
        ours = f"refused: {error}"
    try:
        native.update(update, base_iri=base_iri, prefixes=PREFIXES)  # the prefixes genai-kg declares
        theirs: Store | str = native
    except (SyntaxError, RuntimeError, OSError) as error:
        theirs = f"refused: {error}"
    return ours, theirs


def assert_same(store: Store, update: str, base_iri: str | None = None) -> None:
    ours, theirs = _outcomes(store, update, base_iri)
    if isinstance(ours, str) or isinstance(theirs, str):  # both refuse (their words differ), or neither
        assert isinstance(ours, str) and isinstance(theirs, str), f"{update}\nplanned: {ours}\noxigraph: {theirs}"
        return
    # Both copies keep the given store's blank nodes, so equal quads are the same state; else they may differ
    # only in the names of new blank nodes, which canonicalisation settles (two thirds of the test's time).
    if _state(ours, canonical=False) != _state(theirs, canonical=False):
        assert _state(ours, canonical=True) == _state(theirs, canonical=True), update


# -- the W3C update evaluation tests -----------------------------------------------------------------


def _w3c_tests() -> list[ManifestEntry]:
    if not MANIFEST.is_file():
        return []
    return [t for t in manifest_entries(MANIFEST) if t.kind == "UpdateEvaluationTest" and t.approved]


def _w3c_store(test: ManifestEntry) -> Store:
    action = test.value(MF.action)
    store = Store()
    for data in test.graph.objects(action, UT.data):  # type: ignore[arg-type]
        store.extend(_quads(local_path(data), DefaultGraph()))
    for name, path in _graph_data(test.graph, action):  # type: ignore[arg-type]
        store.add_graph(NamedNode(name))
        store.extend(_quads(path, NamedNode(name)))
    return store


@pytest.mark.skipif(not MANIFEST.is_file(), reason=f"no W3C SPARQL tests at {W3C}")
@pytest.mark.parametrize("test", _w3c_tests(), ids=lambda t: f"{t.manifest.parent.name}/{t.name}")
def test_w3c_update_evaluation(test: ManifestEntry) -> None:
    request = local_path(test.graph.value(test.value(MF.action), UT.request))  # type: ignore[arg-type]
    assert_same(_w3c_store(test), request.read_text(encoding="utf-8"), request.resolve().as_uri())


# -- generated updates over the shipped graph --------------------------------------------------------


def _shipped() -> Store:
    """The shipped graphs as asserted: without the reasoner's graphs, which Oxigraph's own update knows nothing of
    (``DROP ALL`` would drop them, where genai-kg's ``ALL`` means the asserted graphs)."""
    kg = KnowledgeGraph.open()
    load_shipped(kg)
    store = Store()
    store.extend(q for q in kg.store if not is_reasoners(q.graph_name))
    for graph in kg.named_graphs(infer=False):
        store.add_graph(graph)
    return store


SHIPPED = _shipped()
_QUADS = sorted(SHIPPED, key=str)
_NAMED = [q for q in _QUADS if not isinstance(q.subject, BlankNode) and not isinstance(q.object, BlankNode)]
GRAPHS = [*(str(g) for g in SHIPPED.named_graphs()), "<urn:x:g1>", "<urn:x:g2>"]
PREDICATES = sorted({str(q.predicate) for q in _QUADS})
SUBJECTS = [*sorted({str(q.subject) for q in _NAMED})[:60], "<urn:x:s1>", "<urn:x:s2>"]
OBJECTS = [*sorted({str(q.object) for q in _NAMED})[:60], str(Literal("new")), "42", "<urn:x:o1>"]
VARIABLES = ["?s", "?o", "?x"]

graphs = st.sampled_from(GRAPHS)
existing = st.sampled_from(_NAMED)


@st.composite
def triples(draw: st.DrawFn, *, variables: bool = False, blank: bool = False) -> str:
    """One triple (or, from the store, one it holds) in SPARQL syntax, in one of its shorthand forms."""
    if not variables and draw(st.booleans()):
        q = draw(existing)
        return f"{q.subject} {q.predicate} {q.object} ."
    pool_s = SUBJECTS + (VARIABLES if variables else []) + (["_:b1", "[]"] if blank else [])
    pool_o = OBJECTS + (VARIABLES if variables else []) + (["_:b1", '"chat"@en'] if blank else [])
    pool_p = PREDICATES + (["?p", "a"] if variables else ["a"])
    subject, predicate, object_ = (draw(st.sampled_from(pool)) for pool in (pool_s, pool_p, pool_o))
    shape = draw(st.sampled_from(["plain", "plain", "list", "nested", "more"] if blank else ["plain", "more"]))
    if shape == "list":
        object_ = f"( {object_} 1 )"
    elif shape == "nested":
        object_ = f"[ {draw(st.sampled_from(PREDICATES))} {object_} ]"
    elif shape == "more":
        object_ = f"{object_}, {draw(st.sampled_from(pool_o))} ; {draw(st.sampled_from(PREDICATES))} {object_}"
    return f"{subject} {predicate} {object_} ."


@st.composite
def blocks(draw: st.DrawFn, *, variables: bool = False, blank: bool = False) -> str:
    """The inside of a data block or template: triples, some of them in a GRAPH."""
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        body = " ".join(draw(st.lists(triples(variables=variables, blank=blank), min_size=1, max_size=3)))
        graph = draw(st.sampled_from([None, "graph", "?g", "?g"] if variables else [None, "graph"]))
        if graph is None:
            parts.append(body)
        else:
            name = draw(graphs) if graph == "graph" else graph
            parts.append(f"GRAPH {name} {{ {body} }}")
    return " ".join(parts)


@st.composite
def patterns(draw: st.DrawFn) -> str:
    """A WHERE group: a triple pattern or two, mostly in a GRAPH (the shipped graph has no default graph)."""
    predicate = draw(st.sampled_from([*PREDICATES, "?p"]))
    first = f"?s {predicate} ?o ."
    if draw(st.booleans()):
        first = f"{draw(st.sampled_from(SUBJECTS))} ?p ?o ."
    extra = draw(
        st.sampled_from(
            [
                "",
                "OPTIONAL { ?o ?p2 ?x }",
                "FILTER(isIRI(?o))",
                "?o ?p2 ?x .",
                "BIND(?o AS ?x)",
                "FILTER(false)",
                "VALUES ?x { 1 UNDEF }",
                "FILTER NOT EXISTS { ?o a ?x }",
            ]
        )
    )
    group = f"{first} {extra}"
    if draw(st.integers(0, 3)) > 0:
        group = f"GRAPH {draw(st.sampled_from(['?g', '?g', *GRAPHS]))} {{ {group} }}"
    return f"{{ {group} }}"


@st.composite
def operation(draw: st.DrawFn) -> str:
    kind = draw(
        st.sampled_from(
            ["INSERT DATA", "DELETE DATA", "DELETE WHERE", "MODIFY", "MODIFY", "CLEAR", "DROP", "CREATE", "TRANSFER"]
        )
    )
    silent = draw(st.sampled_from(["", "SILENT "]))
    if kind == "INSERT DATA":
        return f"INSERT DATA {{ {draw(blocks(blank=True))} }}"
    if kind == "DELETE DATA":
        return f"DELETE DATA {{ {draw(blocks())} }}"
    if kind == "DELETE WHERE":
        return f"DELETE WHERE {{ {draw(blocks(variables=True))} }}"
    if kind in ("CLEAR", "DROP"):
        target = draw(st.sampled_from(["DEFAULT", "NAMED", "ALL", "GRAPH"]))
        return f"{kind} {silent}{target}" + (f" {draw(graphs)}" if target == "GRAPH" else "")
    if kind == "CREATE":
        return f"CREATE {silent}GRAPH {draw(graphs)}"
    if kind == "TRANSFER":
        source, target = (draw(st.sampled_from(["DEFAULT", *GRAPHS])) for _ in range(2))
        return f"{draw(st.sampled_from(['ADD', 'MOVE', 'COPY']))} {silent}{source} TO {target}"
    with_graph = f"WITH {draw(graphs)} " if draw(st.integers(0, 3)) == 0 else ""
    delete = f"DELETE {{ {draw(blocks(variables=True))} }} " if draw(st.booleans()) else ""
    insert = f"INSERT {{ {draw(blocks(variables=True, blank=True))} }} " if not delete or draw(st.booleans()) else ""
    using = ""
    if draw(st.integers(0, 3)) == 0:
        using = " ".join(f"USING {draw(st.sampled_from(['', 'NAMED ']))}{draw(graphs)}" for _ in range(2)) + " "
    return f"{with_graph}{delete}{insert}{using}WHERE {draw(patterns())}"


@pytest.mark.timeout(600)  # 250 generated updates on the shipped graph, each planned and run by Oxigraph
@settings(max_examples=250, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation(), min_size=1, max_size=3))
def test_generated_updates_over_the_shipped_graph(operations: list[str]) -> None:
    assert_same(SHIPPED, " ;\n".join(operations))


#: Requests where planning once differed from Oxigraph, or might: each is checked as the generated ones are.
TRICKY = [
    "MOVE <urn:x:g2> TO <https://w3id.org/genai-kg/graph/data>",
    "MOVE SILENT <urn:x:g2> TO <https://w3id.org/genai-kg/graph/data>",
    "MOVE SILENT <urn:x:g2> TO DEFAULT ; INSERT DATA { <urn:x:s> <urn:x:p> 1 }",
    "COPY <urn:x:g1> TO <https://w3id.org/genai-kg/graph/links>",
    "CREATE GRAPH <urn:x:g1> ; INSERT DATA { GRAPH <urn:x:g1> { <urn:x:s> <urn:x:p> 1 } } ; DROP GRAPH <urn:x:g1>",
    "INSERT DATA { GRAPH <urn:x:g1> { <urn:x:s> <urn:x:p> 1 } } ; DELETE DATA { GRAPH <urn:x:g1> { <urn:x:s> <urn:x:p> 1 } }",
    "DROP ALL ; INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
    "INSERT { GRAPH <urn:x:g1> { ?s a ?c } } WHERE { GRAPH ?g { ?s a ?c } } ; MOVE <urn:x:g1> TO DEFAULT",
    "WITH <https://w3id.org/genai-kg/graph/data> DELETE { ?s ?p ?o } INSERT { GRAPH <urn:x:g1> { ?s ?p ?o } } "
    "WHERE { ?s gai:developedBy ?o ; ?p ?o }",
    "INSERT { ?s <urn:x:list> ( ?o [ <urn:x:p> ?o ] ) } WHERE { GRAPH ?g { ?s gai:developedBy ?o } }",
    'INSERT DATA { <urn:x:s> <urn:x:p> "01"^^xsd:integer, "1.0"^^xsd:decimal, "chat"@EN }',
    "DELETE WHERE { GRAPH ?g { ?s a owl:Restriction ; ?p ?o } }",
]


@pytest.mark.parametrize("update", TRICKY)
def test_tricky_updates_over_the_shipped_graph(update: str) -> None:
    assert_same(SHIPPED, update)
