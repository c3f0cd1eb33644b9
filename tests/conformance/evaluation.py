"""Query and update evaluation tests, each on a fresh in-memory store, through the /sparql endpoint.

The test's default graph goes to a named graph passed as ``default-graph-uri`` and its named graphs are
passed as ``named-graph-uri`` (the protocol's dataset), unless the query names its dataset with FROM.
Queries and updates get ``BASE <file>`` so that their relative IRIs resolve as the test files say.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rdflib
from flask.testing import FlaskClient
from pyoxigraph import BlankNode, DefaultGraph, NamedNode, Quad, QueryResultsFormat, parse, parse_query_results

from graph import KnowledgeGraph
from graph.dataset_clauses import query_names_dataset
from server import Config, create_app

from .compare import (
    canonical_graph,
    canonical_rows,
    expected_results,
    rdf_format,
    same_graph,
    same_solutions,
    solutions,
    to_rdflib,
)
from .manifests import MF, QT, UT, Test, local_path

TOKEN = "conformance"
DEFAULT = "urn:x-genai-kg-conformance:default"
ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)


LEXICAL = "differs only in lexical forms of typed literals"


@dataclass
class Outcome:
    test: Test
    passed: bool
    detail: str = ""
    #: Failed strictly, but passes when literals are compared in their canonical forms.
    lexical_only: bool = False


def fresh_client() -> tuple[KnowledgeGraph, FlaskClient]:
    kg = KnowledgeGraph.open()
    app = create_app(Config(store=None, token=TOKEN, query_workers=0, query_timeout=30.0), kg=kg)
    app.testing = True
    return kg, app.test_client()


def _quads(path: Path, graph: NamedNode | DefaultGraph) -> list[Quad]:
    """The file's triples in ``graph``, with blank nodes fresh for this file (labels are scoped to a file)."""
    fresh: dict[str, BlankNode] = {}

    def scoped(term: Any) -> Any:
        return fresh.setdefault(term.value, BlankNode()) if isinstance(term, BlankNode) else term

    triples = parse(path.read_bytes(), rdf_format(path), base_iri=path.resolve().as_uri())
    return [Quad(scoped(q.subject), q.predicate, scoped(q.object), graph) for q in triples]


def _with_base(text: str, path: Path) -> str:
    return f"BASE <{path.resolve().as_uri()}>\n{text}"


def _from_iris(text: str, base: Path) -> list[Path]:
    """Local files named by FROM/FROM NAMED (relative to the query), to load as graphs of their own IRIs."""
    found = []
    for match in re.finditer(r"\bFROM\s+(?:NAMED\s+)?<([^>]*)>", text, re.IGNORECASE):
        path = (base.parent / match.group(1)) if "://" not in match.group(1) else local_path(match.group(1))
        if path.is_file():
            found.append(path)
    return found


def run_query_test(test: Test) -> Outcome:
    action = test.value(MF.action)
    query_file = local_path(test.graph.value(action, QT.query))  # type: ignore[arg-type]
    text = query_file.read_text(encoding="utf-8")
    kg, client = fresh_client()
    quads: list[Quad] = []
    for data in test.graph.objects(action, QT.data):  # type: ignore[arg-type]
        quads += _quads(local_path(data), NamedNode(DEFAULT))
    named = [str(g) for g in test.graph.objects(action, QT.graphData)]  # type: ignore[arg-type]
    for iri in named:
        quads += _quads(local_path(iri), NamedNode(iri))
    for path in _from_iris(text, query_file):
        quads += _quads(path, NamedNode(path.resolve().as_uri()))
    kg.add_quads(quads)
    for graph in [DEFAULT, *named]:
        kg.store.add_graph(NamedNode(graph))  # a dataset's graphs exist even when their files are empty
    params: dict[str, object] = {}
    if not query_names_dataset(text):
        params = {"default-graph-uri": DEFAULT, "named-graph-uri": named}
    csv_test = test.kind == "CSVResultFormatTest"
    accept = "text/csv" if csv_test else "application/sparql-results+json, application/n-triples"
    response = client.post(
        "/sparql",
        query_string=params,
        data=_with_base(text, query_file).encode(),
        content_type="application/sparql-query",
        headers={"Accept": accept},
    )
    if response.status_code != 200:
        return Outcome(test, False, f"status {response.status_code}: {response.get_data(as_text=True)[:200]}")
    result_file = local_path(test.value(MF.result))  # type: ignore[arg-type]
    if csv_test:
        return Outcome(test, _same_csv(result_file.read_text(), response.get_data(as_text=True)), "CSV differs")
    if response.mimetype == "application/n-triples":
        expected = expected_results(result_file)
        actual_graph = to_rdflib(parse(response.data, rdf_format(Path("x.nt"))))
        if not isinstance(expected, rdflib.Graph):
            return Outcome(test, False, "expected solutions, got a graph")
        if same_graph(expected, actual_graph):
            return Outcome(test, True)
        lexical = same_graph(canonical_graph(expected), canonical_graph(actual_graph))
        return Outcome(test, False, LEXICAL if lexical else "graphs differ", lexical_only=lexical)
    actual = solutions(parse_query_results(response.data, QueryResultsFormat.JSON))
    expected = expected_results(result_file)
    if isinstance(actual, bool) or isinstance(expected, bool):
        return Outcome(test, actual == expected, f"expected {expected}, got {actual}")
    if isinstance(expected, rdflib.Graph):
        return Outcome(test, False, "expected a graph, got solutions")
    if test.value(MF.resultCardinality) == MF.LaxCardinality:
        # REDUCED may drop any duplicates: the same distinct solutions, no more rows than expected
        return Outcome(test, len(actual) <= len(expected) and _distinct(expected) == _distinct(actual), "lax")
    ordered = bool(ORDER_BY.search(text))
    if same_solutions(expected, actual, ordered=ordered):
        return Outcome(test, True)
    if same_solutions(canonical_rows(expected), canonical_rows(actual), ordered=ordered):
        return Outcome(test, False, LEXICAL, lexical_only=True)
    if ordered and same_solutions(expected, actual, ordered=False):
        return Outcome(test, False, "same solutions, different order")
    return Outcome(test, False, f"solutions differ: expected {len(expected)}, got {len(actual)}")


def _distinct(rows: list[dict[str, object]]) -> set[frozenset[tuple[str, str]]]:
    return {frozenset((name, str(term)) for name, term in row.items()) for row in rows}


def _same_csv(expected: str, actual: str) -> bool:
    def rows(text: str) -> tuple[list[str], list[tuple[str, ...]]]:
        """Header and rows with columns in name order (SELECT * fixes no order) and blank nodes unlabelled."""
        lines = list(csv.reader(io.StringIO(text)))
        order = sorted(range(len(lines[0])), key=lambda i: lines[0][i])
        body = [tuple("_:" if line[i].startswith("_:") else line[i] for i in order) for line in lines[1:]]
        return sorted(lines[0]), sorted(body)

    return rows(expected) == rows(actual)


#: How /sparql words a 400 for text that parsed but could not be evaluated (graph.store's messages).
EVALUATION_ERROR = re.compile(r"cannot be evaluated|update failed and changed nothing")
LOAD = re.compile(r"\bLOAD\b", re.IGNORECASE)


def run_syntax_test(test: Test) -> Outcome | None:
    """Positive syntax tests must be accepted, negative ones refused with a syntax error (400).

    An accepted request is also evaluated on an empty store; an evaluation error there (say, DROP of a graph
    that does not exist) still means the text parsed. Updates that LOAD are skipped (None): evaluating them
    would reach out to the network.
    """
    action = test.value(MF.action)
    path = local_path(action)  # type: ignore[arg-type]
    raw = path.read_text(encoding="utf-8", errors="replace")
    if "Update" in test.kind and test.kind.startswith("Positive") and LOAD.search(raw):
        return None
    text = _with_base(raw, path)
    _, client = fresh_client()
    update = "Update" in test.kind
    kind = "application/sparql-update" if update else "application/sparql-query"
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/sparql-results+json, text/turtle"}
    response = client.post("/sparql", data=text.encode(), content_type=kind, headers=headers)
    body = response.get_data(as_text=True)
    parsed = response.status_code in (200, 204) or (response.status_code == 400 and bool(EVALUATION_ERROR.search(body)))
    if test.kind.startswith("Positive"):
        return Outcome(test, parsed, f"status {response.status_code}: {body[:200]}")
    return Outcome(test, response.status_code == 400 and not parsed, f"status {response.status_code}")


def _graph_data(graph: rdflib.Graph, node: rdflib.term.Node) -> list[tuple[str, Path]]:
    """ut:graphData [ ut:graph <file> ; rdfs:label "name" ] as (graph name, file)."""
    out = []
    for item in graph.objects(node, UT.graphData):  # type: ignore[arg-type]
        label = graph.value(item, rdflib.RDFS.label)
        file = graph.value(item, UT.graph)
        out.append((str(label if label is not None else file), local_path(file)))  # type: ignore[arg-type]
    return out


def run_update_test(test: Test) -> Outcome:
    action = test.value(MF.action)
    result = test.value(MF.result)
    request_file = local_path(test.graph.value(action, UT.request))  # type: ignore[arg-type]
    kg, client = fresh_client()
    quads: list[Quad] = []
    for data in test.graph.objects(action, UT.data):  # type: ignore[arg-type]
        quads += _quads(local_path(data), DefaultGraph())
    for name, path in _graph_data(test.graph, action):  # type: ignore[arg-type]
        quads += _quads(path, NamedNode(name))
        kg.store.add_graph(NamedNode(name))
    kg.add_quads(quads)
    text = _with_base(request_file.read_text(encoding="utf-8"), request_file)
    response = client.post(
        "/sparql",
        data=text.encode(),
        content_type="application/sparql-update",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    if response.status_code != 204:
        return Outcome(test, False, f"status {response.status_code}: {response.get_data(as_text=True)[:200]}")
    expected: dict[str, rdflib.Graph] = {"": rdflib.Graph()}
    for data in test.graph.objects(result, UT.data):  # type: ignore[arg-type]
        expected[""] += to_rdflib(_quads(local_path(data), DefaultGraph()))
    for name, path in _graph_data(test.graph, result):  # type: ignore[arg-type]
        expected.setdefault(name, rdflib.Graph())
        expected[name] += to_rdflib(_quads(path, DefaultGraph()))
    actual: dict[str, rdflib.Graph] = {"": to_rdflib(kg.store.quads_for_pattern(None, None, None, DefaultGraph()))}
    for graph in kg.named_graphs(infer=False):  # the asserted graphs: not the reasoner's
        content = to_rdflib(kg.store.quads_for_pattern(None, None, None, graph))
        if len(content):
            actual[graph.value] = content  # type: ignore[union-attr]
    expected = {name: g for name, g in expected.items() if len(g) or name == ""}
    if expected.keys() != actual.keys():
        return Outcome(test, False, f"graphs {sorted(actual)} instead of {sorted(expected)}")
    for name, graph in expected.items():
        if not same_graph(graph, actual[name]):
            return Outcome(test, False, f"graph {name or 'DEFAULT'} differs")
    return Outcome(test, True)
