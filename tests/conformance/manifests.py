"""Reading W3C test manifests (mf:, qt:, ut:, ht:) with rdflib into plain test records."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
DAWGT = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")


@dataclass
class Test:
    """One manifest entry: its IRI, kind (local name of its type), and the manifest graph that describes it."""

    iri: rdflib.URIRef
    kind: str
    name: str
    graph: rdflib.Graph
    manifest: Path
    approved: bool = True
    data: list[str] = field(default_factory=list)

    def value(self, *path: rdflib.URIRef) -> rdflib.term.Node | None:
        """Follow ``path`` from the test's node; the first value found, or None."""
        node: rdflib.term.Node | None = self.iri
        for predicate in path:
            if node is None:
                return None
            node = self.graph.value(node, predicate)  # type: ignore[arg-type]
        return node


def local_path(iri: rdflib.term.Node) -> Path:
    """The file a ``file://`` IRI names."""
    return Path(str(iri).removeprefix("file://"))


def _load(path: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle", publicID=path.resolve().as_uri())


def tests(manifest: Path) -> Iterator[Test]:
    """Every entry of ``manifest`` and of the manifests it includes, in manifest order."""
    graph = _load(manifest)
    root = rdflib.URIRef(manifest.resolve().as_uri())
    for include in graph.objects(root, MF.include):
        for item in Collection(graph, include):  # type: ignore[arg-type]
            if str(item).startswith("file://"):
                yield from tests(local_path(item))
    for entries in graph.objects(root, MF.entries):
        for entry in Collection(graph, entries):  # type: ignore[arg-type]
            kind = graph.value(entry, RDF.type)
            name = graph.value(entry, MF.name) or graph.value(entry, RDFS.label) or entry
            approval = graph.value(entry, DAWGT.approval)
            yield Test(
                iri=entry,  # type: ignore[arg-type]
                kind=str(kind).rsplit("#", 1)[-1] if kind else "",
                name=str(name),
                graph=graph,
                manifest=manifest,
                approved=approval != DAWGT.Withdrawn and approval != DAWGT.Rejected,
            )
