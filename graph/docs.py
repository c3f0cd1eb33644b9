"""Ontology documentation as data, read live from the ontology graph: header, classes, properties, individuals."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions

from .describe import COMMENT, DEFINITION, OWL, RDFS, TYPE, expression, label, labels, rdf_list
from .namespaces import GAI, GRAPH_ONTOLOGY, ONTOLOGY_IRI, is_anonymous
from .store import KnowledgeGraph
from .void import CLASSES, class_members, property_triples

Tokens = list[str | NamedNode]

#: How many distinct resources are in one class (``?class`` bound), as VoID's class partitions count them.
CLASS_MEMBERS = CLASSES

PROPERTY_KINDS = {
    OWL + "ObjectProperty": "object property",
    OWL + "DatatypeProperty": "datatype property",
    OWL + "AnnotationProperty": "annotation property",
}
CHARACTERISTICS = {
    OWL + "TransitiveProperty": "transitive",
    OWL + "SymmetricProperty": "symmetric",
    OWL + "AsymmetricProperty": "asymmetric",
    OWL + "FunctionalProperty": "functional",
    OWL + "InverseFunctionalProperty": "inverse functional",
    OWL + "IrreflexiveProperty": "irreflexive",
    OWL + "ReflexiveProperty": "reflexive",
}


@dataclass
class Term:
    """One term of the vocabulary with what its documentation shows."""

    iri: str
    label: str
    definition: str | None
    comment: str | None
    kind: str
    parents: list[NamedNode] = field(default_factory=list)
    equivalents: list[Tokens] = field(default_factory=list)
    domain: list[Tokens] = field(default_factory=list)
    range: list[Tokens] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    inverse: list[NamedNode] = field(default_factory=list)
    chains: list[Tokens] = field(default_factory=list)
    types: list[NamedNode] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.iri[len(GAI) :] if self.iri.startswith(GAI) else self.iri

    @property
    def defined(self) -> bool:
        """A defined class: membership follows from an equivalence, so it is inferred, never asserted."""
        return bool(self.equivalents)


@dataclass
class OntologyDoc:
    """The ontology's documentation: header values and its terms by kind."""

    header: dict[str, list[Literal | NamedNode]]
    classes: list[Term]
    properties: list[Term]
    individuals: list[Term]


def _objects(kg: KnowledgeGraph, node: NamedNode | BlankNode, predicate: str) -> list[object]:
    return [q.object for q in kg.quads(node, NamedNode(predicate), None, GRAPH_ONTOLOGY)]


def _text(kg: KnowledgeGraph, node: NamedNode, predicate: NamedNode) -> str | None:
    found = [o for o in _objects(kg, node, predicate.value) if isinstance(o, Literal)]
    found.sort(key=lambda lit: lit.language not in (None, "en"))
    return found[0].value if found else None


def _term(kg: KnowledgeGraph, node: NamedNode, kind: str) -> Term:
    term = Term(
        iri=node.value,
        label=label(kg, node),
        definition=_text(kg, node, DEFINITION),
        comment=_text(kg, node, COMMENT),
        kind=kind,
    )
    sub = RDFS + ("subClassOf" if kind == "class" else "subPropertyOf")
    term.parents = sorted((o for o in _objects(kg, node, sub) if isinstance(o, NamedNode)), key=lambda n: n.value)
    if kind == "class":
        term.equivalents = [expression(kg, o) for o in _objects(kg, node, OWL + "equivalentClass")]
        term.equivalents += [expression(kg, o) for o in _objects(kg, node, sub) if is_anonymous(o)]
    else:
        term.domain = [expression(kg, o) for o in _objects(kg, node, RDFS + "domain")]
        term.range = [expression(kg, o) for o in _objects(kg, node, RDFS + "range")]
        types = {o.value for o in _objects(kg, node, TYPE.value) if isinstance(o, NamedNode)}
        term.characteristics = [word for iri, word in CHARACTERISTICS.items() if iri in types]
        term.inverse = [o for o in _objects(kg, node, OWL + "inverseOf") if isinstance(o, NamedNode)]
        term.chains = [
            [t for i, m in enumerate(rdf_list(kg, o)) for t in ([" ∘ "] if i else []) + expression(kg, m)]
            for o in _objects(kg, node, OWL + "propertyChainAxiom")
        ]
    return term


def _subjects_of_type(kg: KnowledgeGraph, type_iri: str) -> list[NamedNode]:
    quads = kg.quads(None, TYPE, NamedNode(type_iri), GRAPH_ONTOLOGY)
    return sorted({q.subject for q in quads if isinstance(q.subject, NamedNode) and q.subject.value.startswith(GAI)})


def ontology_doc(kg: KnowledgeGraph) -> OntologyDoc:
    """The documentation of the ``gai:`` vocabulary as the ontology graph now holds it."""
    ontology = NamedNode(ONTOLOGY_IRI)
    header: dict[str, list[Literal | NamedNode]] = {}
    for quad in kg.quads(ontology, None, None, GRAPH_ONTOLOGY):
        if isinstance(quad.object, Literal | NamedNode):
            header.setdefault(quad.predicate.value, []).append(quad.object)
    classes = [_term(kg, n, "class") for n in _subjects_of_type(kg, OWL + "Class")]
    properties = [
        _term(kg, n, kind) for type_iri, kind in PROPERTY_KINDS.items() for n in _subjects_of_type(kg, type_iri)
    ]
    seen = {t.iri for t in classes} | {t.iri for t in properties}
    individuals = []
    for node in _subjects_of_type(kg, OWL + "NamedIndividual"):
        if node.value not in seen:
            term = _term(kg, node, "individual")
            term.types = [
                o for o in _objects(kg, node, TYPE.value) if isinstance(o, NamedNode) and o.value.startswith(GAI)
            ]
            individuals.append(term)
    by_label = lambda t: t.label.lower()  # noqa: E731
    return OntologyDoc(
        header=header,
        classes=sorted(classes, key=by_label),
        properties=sorted(properties, key=lambda t: (t.kind, t.label.lower())),
        individuals=sorted(individuals, key=lambda t: ([ty.value for ty in t.types], t.label.lower())),
    )


def term_kind(kg: KnowledgeGraph, iri: str) -> str | None:
    """``class``, a property kind or ``individual`` for a ``gai:`` term the ontology declares, else None."""
    types = {o.value for o in _objects(kg, NamedNode(iri), TYPE.value) if isinstance(o, NamedNode)}
    if OWL + "Class" in types:
        return "class"
    for type_iri, kind in PROPERTY_KINDS.items():
        if type_iri in types:
            return kind
    return "individual" if types else None


def labelled(kg: KnowledgeGraph, nodes: list[NamedNode]) -> list[tuple[NamedNode, str]]:
    """Nodes with their labels, for lists in pages."""
    return [(n, label(kg, n)) for n in nodes]


@dataclass(frozen=True)
class OntologyPage:
    """What ``/ontology`` shows: the documentation, the labels of every term on it, the class diagram, and
    how many members each class has."""

    doc: OntologyDoc
    labels: dict[str, str]
    diagram: str
    members: dict[str, int]
    #: Property IRI -> the number of triples that use it.
    uses: dict[str, int] = field(default_factory=dict)
    #: The object properties as edges from domain to range (SVG).
    property_diagram: str = ""


def ontology_page(kg: KnowledgeGraph, link_base: str) -> OntologyPage:
    """The ontology's documentation page; the diagram's links start with ``link_base``."""
    from .diagram import class_diagram, property_diagram  # the diagrams read this module's vocabulary

    doc = ontology_doc(kg)
    nodes: list[object] = []
    for term in [*doc.classes, *doc.properties, *doc.individuals]:
        nodes += [NamedNode(term.iri), *term.parents, *term.inverse, *term.types]
        for tokens in [*term.equivalents, *term.domain, *term.range, *term.chains]:
            nodes += tokens
    for values in doc.header.values():
        nodes += values
    return OntologyPage(
        doc,
        labels(kg, nodes),
        class_diagram(kg, link_base),
        class_members(kg),
        property_triples(kg),
        property_diagram(kg, link_base),
    )


def _counts(kg: KnowledgeGraph, query: str, substitutions: dict[str, NamedNode] | None = None) -> dict[str, int]:
    result = kg.query(query, substitutions=substitutions or {})
    assert isinstance(result, QuerySolutions)
    return {
        row[0].value: int(row[1].value)
        for row in result
        if isinstance(row[0], NamedNode) and isinstance(row[1], Literal)
    }


@dataclass(frozen=True)
class Usage:
    """How a term is used: in how many triples as the property, and how many resources are its instances."""

    triples: int
    instances: int


def term_usage(kg: KnowledgeGraph, iri: str) -> Usage:
    """How many triples use ``iri`` as their property, and how many resources it has as a class."""
    node = NamedNode(iri)
    triples = property_triples(kg, node).get(iri, 0)
    instances = _counts(kg, CLASS_MEMBERS, {"class": node}).get(iri, 0)
    return Usage(triples, instances)
