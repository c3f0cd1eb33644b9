"""Browsing views computed from the graph: class counts for the home page, the modality-by-architecture matrix,
and the faceted listing of resources (search by name is :mod:`graph.search`).

Modalities and architectures reach SPARQL only as bound terms, after they are checked to be declared ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pyoxigraph import NamedNode, QuerySolutions

from .builds import reads
from .describe import LABELS_KEY, OWL, TYPE, exists, label, labels
from .errors import BadParameter
from .namespaces import GAI, GAID, GRAPH_INFERRED, GRAPH_ONTOLOGY
from .store import KnowledgeGraph
from .void import Statistics, statistics

#: Which modality property a matrix reads: what models produce, take in, or either.
DIRECTIONS = {"output": GAI + "outputModality", "input": GAI + "inputModality", "any": GAI + "modality"}
SUBJECTS = NamedNode(GAI + "GenerativeAI")
OWL_CLASS = NamedNode(OWL + "Class")

MEMBERS = "SELECT ?type ?x WHERE { ?x a ?type FILTER(isIRI(?x)) } ORDER BY ?x"
CELLS = """
SELECT ?type ?by ?modality ?architecture (COUNT(DISTINCT ?m) AS ?n) WHERE {
  ?m a ?type ; ?by ?modality .
  OPTIONAL { ?m gai:architecture ?a }
  BIND(COALESCE(?a, gai:none) AS ?architecture)
} GROUP BY ?type ?by ?modality ?architecture
"""
#: A cell's systems, put in order by name afterwards (an ``ORDER BY ?m`` here took 3.3 of 5.4 s for 60,885).
MODELS = """
SELECT DISTINCT ?type ?by ?modality ?architecture ?m WHERE {
  ?m a ?type ; ?by ?modality .
  OPTIONAL { ?m gai:architecture ?a }
  FILTER(COALESCE(?a, gai:none) = ?architecture)
}
"""
#: Every resource of ours (under ``gaid:``) with a name, the graph its name is in, and (when bound) its class.
LISTED = f"""
SELECT DISTINCT ?type ?x ?g WHERE {{
  ?x a ?type .
  GRAPH ?g {{ ?x rdfs:label|skos:prefLabel ?name }}
  FILTER(isIRI(?x) && STRSTARTS(STR(?x), "{GAID}"))
  FILTER NOT EXISTS {{ ?x a gai:Evidence }}
}}
"""
#: The classes of the resources the listing lists (named in a named graph, as :data:`LISTED` reads them), with
#: how many each (the listing's class chooser). Counting every named resource of the store instead took 20.8 s
#: at 1.15M triples, and counted resources the listing does not show; the subquery makes Oxigraph find those
#: resources first (as a join it read every type first: 11.5 s).
LISTED_CLASSES = f"""
SELECT ?type (COUNT(DISTINCT ?x) AS ?n) WHERE {{
  {{ SELECT DISTINCT ?x WHERE {{
      GRAPH ?g {{ ?x rdfs:label|skos:prefLabel ?name }}
      FILTER(isIRI(?x) && STRSTARTS(STR(?x), "{GAID}"))
      FILTER NOT EXISTS {{ ?x a gai:Evidence }}
  }} }}
  ?x a ?type .
  FILTER(STRSTARTS(STR(?type), "{GAI}"))
}} GROUP BY ?type
"""
#: The facets of the resource listing: name -> the property whose values it counts (``source`` is the graph).
FACETS = {
    "modality": GAI + "modality",
    "architecture": GAI + "architecture",
    "organisation": GAI + "developedBy",
    "source": "",
}
#: The largest page of the listing a client may ask for.
MAX_PAGE_SIZE = 200
#: How many values of one facet a listing shows (the most frequent).
FACET_VALUES = 30

#: Stands for "no architecture recorded" in the matrix (never stored).
NONE = NamedNode(GAI + "none")

#: The defined "kinds of model" the home page offers as entry points.
KINDS = [
    "TextGenerator",
    "ImageGenerator",
    "VideoGenerator",
    "AudioGenerator",
    "MusicGenerator",
    "CodeGenerator",
    "ThreeDGenerator",
    "MultimodalLLM",
    "DiffusionModel",
    "TransformerBasedModel",
    "LLMPoweredProduct",
]
#: Instances the home page offers as examples (those the graph holds).
EXAMPLES = ["ChatGPT", "GPT-4.5", "OpenAI", "Gemini_1.5_Pro", "Midjourney_v6", "DALL-E_3", "Suno"]


@dataclass(frozen=True)
class Home:
    """What the home page shows: the dataset's figures, its classes, the kinds of model, examples."""

    stats: Statistics
    classes: list[tuple[NamedNode, str, int]]
    kinds: list[tuple[NamedNode, str, int]]
    links: int
    examples: list[tuple[str, str]]


@dataclass(frozen=True)
class Cell:
    """One page of the generative AI systems of one matrix cell, how many it has, and the labels of the cell's
    modality and architecture."""

    models: list[tuple[NamedNode, str]]
    labels: dict[str, str]
    total: int
    page: int
    pages: int


@dataclass
class Matrix:
    """Counts of generative AI systems per modality (rows) and architecture (columns)."""

    direction: str
    modalities: list[tuple[NamedNode, str]]
    architectures: list[tuple[NamedNode, str]]
    counts: dict[tuple[str, str], int]


def class_counts(kg: KnowledgeGraph, members: Mapping[str, int]) -> list[tuple[NamedNode, str, int]]:
    """Every ``gai:`` class the ontology declares, with its label and its number of ``members`` (by class IRI)."""
    quads = kg.quads(None, TYPE, OWL_CLASS, GRAPH_ONTOLOGY)
    classes = {q.subject for q in quads if isinstance(q.subject, NamedNode) and q.subject.value.startswith(GAI)}
    counted = [(c, label(kg, c), members.get(c.value, 0)) for c in classes]
    return sorted(counted, key=lambda row: (-row[2], row[1].lower()))


def members(kg: KnowledgeGraph, type_iri: str) -> list[tuple[NamedNode, str]]:
    """The named members of a class, with their labels, sorted by label."""
    result = kg.query(MEMBERS, substitutions={"type": NamedNode(type_iri)})
    assert isinstance(result, QuerySolutions)
    found = [(row["x"], label(kg, row["x"])) for row in result if isinstance(row["x"], NamedNode)]
    return sorted(found, key=lambda pair: pair[1].lower())


def _direction(direction: str) -> NamedNode:
    if direction not in DIRECTIONS:
        raise BadParameter("by", f"must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    return NamedNode(DIRECTIONS[direction])


def matrix(kg: KnowledgeGraph, direction: str = "output") -> Matrix:
    """How many generative AI systems produce (or take in) each modality with each architecture: a scan of
    the systems, once per generation and direction (:meth:`~graph.store.KnowledgeGraph.cached`)."""
    by = _direction(direction)  # an unknown direction is refused before anything is kept
    return kg.cached(f"matrix {direction}", _matrix, direction, by)


def _matrix(kg: KnowledgeGraph, direction: str, by: NamedNode) -> Matrix:
    result = kg.query(CELLS, substitutions={"type": SUBJECTS, "by": by})
    assert isinstance(result, QuerySolutions)
    counts = {}
    for row in result:
        if isinstance(row["modality"], NamedNode) and isinstance(row["architecture"], NamedNode):
            counts[(row["modality"].value, row["architecture"].value)] = int(row["n"].value)
    modalities = members(kg, GAI + "Modality")
    architectures = [*members(kg, GAI + "Architecture"), (NONE, "not recorded")]
    return Matrix(direction, modalities, architectures, counts)


def models_in(
    kg: KnowledgeGraph, modality: str, architecture: str, direction: str = "output"
) -> list[tuple[NamedNode, str]]:
    """The generative AI systems of one matrix cell; unknown modalities or architectures are refused."""
    by = _direction(direction)
    if modality not in {m.value for m, _ in members(kg, GAI + "Modality")}:
        raise BadParameter("modality", f"unknown modality {modality!r}")
    if architecture != NONE.value and architecture not in {a.value for a, _ in members(kg, GAI + "Architecture")}:
        raise BadParameter("architecture", f"unknown architecture {architecture!r}")
    substitutions = {
        "type": SUBJECTS,
        "by": by,
        "modality": NamedNode(modality),
        "architecture": NamedNode(architecture),
    }
    result = kg.query(MODELS, substitutions=substitutions)
    assert isinstance(result, QuerySolutions)
    found = labels(kg, [row["m"] for row in result])
    ordered = sorted(found.items(), key=lambda pair: (pair[1].lower(), pair[0]))
    return [(NamedNode(iri), name) for iri, name in ordered]


def home(kg: KnowledgeGraph) -> Home:
    """The home page: figures, classes with their members, the kinds of model, examples the graph holds. A
    build (:meth:`~graph.store.KnowledgeGraph.cached`): a label per class and per example is a request each
    to a remote engine, 6 s at 1.15M triples, past a short budget."""
    return kg.cached("home", _home)


def _home(kg: KnowledgeGraph) -> Home:
    stats = statistics(kg)
    counts = class_counts(kg, stats.classes)
    by_iri = {c.value: (c, name, n) for c, name, n in counts}
    kinds = [by_iri[GAI + k] for k in KINDS if GAI + k in by_iri]
    links = sum(sum(per.values()) for per in stats.linksets.values())
    examples = [(GAID + name, label(kg, NamedNode(GAID + name))) for name in EXAMPLES if exists(kg, GAID + name)]
    return Home(stats, counts, kinds, links, examples)


#: Systems a matrix cell's page shows at once (one cell held 60,885 at 1.15M triples: 10 MB of HTML).
CELL_PAGE = 500


@reads(LABELS_KEY)
def cell(kg: KnowledgeGraph, direction: str, modality: str, architecture: str, page: int = 1) -> Cell:
    """One page of a matrix cell's systems (:data:`CELL_PAGE` a page); unknown modalities or architectures are
    refused (:func:`models_in`)."""
    found = models_in(kg, modality, architecture, direction)
    names = labels(kg, [NamedNode(modality), NamedNode(architecture)])
    names[NONE.value] = "no architecture recorded"
    pages = max(1, -(-len(found) // CELL_PAGE))
    if page > pages:
        raise BadParameter("page", f"this cell has {pages} page{'s' if pages > 1 else ''}, not {page}")
    return Cell(found[(page - 1) * CELL_PAGE : page * CELL_PAGE], names, len(found), page, pages)


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet: how many of the listed resources have it, and whether the listing is filtered by it."""

    iri: str
    label: str
    count: int
    chosen: bool


@dataclass(frozen=True)
class Listing:
    """One page of the resources of a class, filtered by facet values, with each facet's counts."""

    type: str | None
    type_label: str | None
    classes: list[tuple[str, str, int]]
    chosen: dict[str, tuple[str, ...]]
    total: int
    page: int
    size: int
    rows: list[tuple[str, str]]
    facets: dict[str, list[FacetValue]]


def _pairs(kg: KnowledgeGraph, predicate: str) -> dict[str, set[str]]:
    """Subject IRI -> the IRIs it has as values of ``predicate``."""
    found: dict[str, set[str]] = {}
    for quad in kg.quads(None, NamedNode(predicate), None):
        if isinstance(quad.subject, NamedNode) and isinstance(quad.object, NamedNode):
            found.setdefault(quad.subject.value, set()).add(quad.object.value)
    return found


@reads(LABELS_KEY)
def listing(
    kg: KnowledgeGraph, type_iri: str | None, chosen: dict[str, tuple[str, ...]], page: int = 1, size: int = 50
) -> Listing:
    """Our resources (of ``type_iri`` when given) that have every ``chosen`` facet value, one page of them sorted
    by label, and for each facet how many of them have each value (Datasette's facets)."""
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise BadParameter("size", f"must be from 1 to {MAX_PAGE_SIZE}, not {size}")
    unknown = set(chosen) - set(FACETS)
    if unknown:
        raise BadParameter(sorted(unknown)[0], f"not a facet; facets are {', '.join(FACETS)}")
    if type_iri:
        result = kg.query(LISTED, substitutions={"type": NamedNode(type_iri)})
    else:
        result = kg.query(LISTED.replace("?x a ?type .", ""))
    assert isinstance(result, QuerySolutions)
    values: dict[str, dict[str, set[str]]] = {"source": {}}
    for row in result:
        if isinstance(row["x"], NamedNode) and isinstance(row["g"], NamedNode) and row["g"] != GRAPH_INFERRED:
            values["source"].setdefault(row["x"].value, set()).add(row["g"].value)
    members = set(values["source"])
    for name, predicate in FACETS.items():
        if predicate:
            values[name] = _pairs(kg, predicate)
    kept = [x for x in members if all(set(want) <= values[f].get(x, set()) for f, want in chosen.items())]
    facets: dict[str, list[FacetValue]] = {}
    for name in FACETS:
        counts: dict[str, int] = {}
        for x in kept:
            for value in values[name].get(x, ()):
                counts[value] = counts.get(value, 0) + 1
        top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:FACET_VALUES]
        names = labels(kg, [NamedNode(v) for v, _ in top])
        facets[name] = [
            FacetValue(v, names.get(v) or v.rsplit("/", 1)[-1], n, v in chosen.get(name, ())) for v, n in top
        ]
    named = sorted(labels(kg, map(NamedNode, kept)).items(), key=lambda pair: (pair[1].lower(), pair[0]))
    rows = named[(page - 1) * size : page * size]
    counted = kg.query(LISTED_CLASSES)
    assert isinstance(counted, QuerySolutions)
    classes = [
        (row["type"].value, label(kg, row["type"]), int(row["n"].value))
        for row in counted
        if isinstance(row["type"], NamedNode) and row["n"] is not None
    ]
    classes.sort(key=lambda c: (-c[2], c[1].lower()))
    type_label = label(kg, NamedNode(type_iri)) if type_iri else None
    return Listing(type_iri, type_label, classes, chosen, len(kept), page, size, rows, facets)
