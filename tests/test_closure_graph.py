"""The closure graph: queries read it as their default graph; it holds every asserted and inferred triple once,
is no graph of the dataset (provenance, dumps, statistics and `GRAPH ?g` leave it out), cannot be written, and
a store written before it existed gets it at its first writable open."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad, QuerySolutions, RdfFormat, parse

from graph import KnowledgeGraph, open_knowledge_graph
from graph.errors import ReadOnly
from graph.inference import closure_state
from graph.inference.state import RULES
from graph.namespaces import GAID, GRAPH_CLOSURE, GRAPH_INFERRED
from graph.stats import compute

from .test_inference_rules import fresh_inferred, inferred
from .test_inference_state import typed

pytestmark = pytest.mark.both_backends


def count(kg: KnowledgeGraph, sparql: str) -> int:
    result = kg.query(sparql)
    assert isinstance(result, QuerySolutions)
    return int(next(iter(result))["n"].value)


def test_queries_read_the_closure_graph_which_no_graph_pattern_sees(kg: KnowledgeGraph) -> None:
    triples = count(kg, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert triples == sum(1 for _ in kg.quads(None, None, None, GRAPH_CLOSURE))
    assert not kg.query(
        f"ASK {{ {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g = {GRAPH_CLOSURE}) }} UNION {{ GRAPH {GRAPH_CLOSURE} {{ ?s ?p ?o }} }} }}"
    )
    assert GRAPH_CLOSURE not in kg.named_graphs()
    # each triple once: the asserted graphs' distinct triples and the inferred graph's (less its state)
    distinct = count(kg, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")
    state = count(kg, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {GRAPH_INFERRED} {{ {GRAPH_INFERRED} ?p ?o }} }}")
    assert triples == distinct - state
    # provenance: a stated triple is found where it was stated, and only there
    graphs = {q.graph_name for q in kg.quads(NamedNode(GAID + "ChatGPT"), None, None)}
    assert GRAPH_CLOSURE not in graphs and GRAPH_INFERRED in graphs


def test_the_closure_graph_cannot_be_written(kg: KnowledgeGraph) -> None:
    with pytest.raises(ReadOnly):
        kg.add_quads([Quad(NamedNode("urn:a"), NamedNode("urn:b"), NamedNode("urn:c"), GRAPH_CLOSURE)])
    with pytest.raises(ReadOnly):
        kg.update(f"INSERT DATA {{ GRAPH {GRAPH_CLOSURE} {{ <urn:a> <urn:b> <urn:c> }} }}")
    kg.update("CLEAR ALL")  # every graph of the dataset; the reasoner's graphs follow
    assert not kg.query("ASK { ?s ?p ?o }")
    inferred(kg)  # the closure graph is the (empty) asserted and inferred graphs


def test_dumps_and_statistics_leave_the_closure_graph_out(kg: KnowledgeGraph) -> None:
    output = io.BytesIO()
    kg.dump(output, RdfFormat.N_QUADS)
    dumped = list(parse(output.getvalue(), RdfFormat.N_QUADS))
    assert dumped and all(q.graph_name != GRAPH_CLOSURE for q in dumped)
    assert len(dumped) == len(kg) == compute(kg).quads
    assert str(GRAPH_CLOSURE.value) not in compute(kg).graphs


@pytest.mark.parametrize("read_only", [False, True])
def test_a_store_computed_before_the_closure_graph_gets_it_at_its_first_writable_open(
    tmp_path: Path, read_only: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    kg = open_knowledge_graph(store)
    kg.add_quads([typed("Known", "MultimodalLLM")])
    # as the reasoner left a store before: no closure graph, and its own rules version
    kg.backend.drop_graph(GRAPH_CLOSURE)
    kg.backend.update(
        f"DELETE WHERE {{ GRAPH {GRAPH_INFERRED} {{ {GRAPH_INFERRED} {RULES} ?v }} }} ;"
        f"INSERT DATA {{ GRAPH {GRAPH_INFERRED} {{ {GRAPH_INFERRED} {RULES} {Literal('owl2rl-sparql-2')} }} }}"
    )
    kg.close()
    del kg
    again = open_knowledge_graph(store, read_only=read_only)
    if read_only:
        assert closure_state(again).status == "stale"
        assert "stale" in capsys.readouterr().err
        assert not again.query("ASK { gaid:Known a gai:GenerativeAI }")  # what it reads is not there yet
    else:
        assert closure_state(again).current
        assert again.query("ASK { gaid:Known a gai:GenerativeAI }")
        assert inferred(again) == fresh_inferred(again)
    again.close()
