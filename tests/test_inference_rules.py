"""Each OWL 2 RL rule on a tiny ontology of its own: the entailment appears, and retracting any asserted
triple gives exactly what recomputing from scratch gives (DRed is checked against full materialisation)."""

from __future__ import annotations

import io
from collections import OrderedDict

import pytest
from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from graph import KnowledgeGraph
from graph.backend import GraphName
from graph.delta import Delta
from graph.inference import materialize
from graph.inference.batched import asserted_graphs
from graph.inference.consistency import clashes
from graph.inference.vocabulary import RDF
from graph.lease import LEASE_UNTIL
from graph.namespaces import GRAPH_CLOSURE, GRAPH_DATA, GRAPH_INFERRED

SCHEMA_NAMESPACES = ("http://www.w3.org/2002/07/owl#", "http://www.w3.org/2000/01/rdf-schema#", RDF)

PREFIXES = """
@prefix : <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

CASES = {
    "subclass chain": (
        ":A rdfs:subClassOf :B . :B rdfs:subClassOf :C . :x a :A .",
        ":x a :C . :A rdfs:subClassOf :C .",
    ),
    "equivalent classes": (":A owl:equivalentClass :B . :x a :B .", ":x a :A ."),
    "domain and range": (":p rdfs:domain :D ; rdfs:range :R . :x :p :y .", ":x a :D . :y a :R ."),
    "subproperty": (":p rdfs:subPropertyOf :q . :q rdfs:subPropertyOf :r . :x :p :y .", ":x :r :y ."),
    "equivalent property": (":p owl:equivalentProperty :q . :x :q :y .", ":x :p :y ."),
    "inverse": (":p owl:inverseOf :q . :x :p :y . :z :q :w .", ":y :q :x . :w :p :z ."),
    "symmetric": (":p a owl:SymmetricProperty . :x :p :y .", ":y :p :x ."),
    "transitive": (":p a owl:TransitiveProperty . :a :p :b . :b :p :c . :c :p :d .", ":a :p :d ."),
    "property chain": (
        ":uncle owl:propertyChainAxiom ( :parent :brother :spouse ) . :a :parent :b . :b :brother :c . :c :spouse :d .",
        ":a :uncle :d .",
    ),
    "some values from": (
        ":Parent owl:equivalentClass [ owl:onProperty :child ; owl:someValuesFrom :Person ] . :x :child :y . :y a :Person .",
        ":x a :Parent .",
    ),
    "some values from owl:Thing": (
        ":HasChild owl:equivalentClass [ owl:onProperty :child ; owl:someValuesFrom owl:Thing ] . :x :child :y .",
        ":x a :HasChild .",
    ),
    "some values from a datatype": (
        ":Named owl:equivalentClass [ owl:onProperty :name ; owl:someValuesFrom xsd:string ] ."
        ':Aged owl:equivalentClass [ owl:onProperty :age ; owl:someValuesFrom rdfs:Literal ] . :x :name "X" ; :age 3 .',
        ":x a :Named , :Aged .",
    ),
    "has value both ways": (
        ":Red owl:equivalentClass [ owl:onProperty :colour ; owl:hasValue :red ] . :x :colour :red . :y a :Red .",
        ":x a :Red . :y :colour :red .",
    ),
    "all values from": (
        ":Vegan rdfs:subClassOf [ owl:onProperty :eats ; owl:allValuesFrom :Plant ] . :x a :Vegan ; :eats :y .",
        ":y a :Plant .",
    ),
    "intersection": (
        ":M owl:intersectionOf ( :A :B ) . :x a :A , :B . :y a :M .",
        ":x a :M . :y a :A , :B .",
    ),
    "union": (":U owl:unionOf ( :A :B ) . :x a :B .", ":x a :U . :B rdfs:subClassOf :U ."),
    "sameAs": (
        ":x owl:sameAs :y . :y owl:sameAs :z . :x :p :o . :s :q :z . :z a :C .",
        ":z owl:sameAs :x . :z :p :o . :s :q :x . :x a :C .",
    ),
    "functional property": (":p a owl:FunctionalProperty . :x :p :a , :b .", ":a owl:sameAs :b ."),
    "inverse functional property": (":p a owl:InverseFunctionalProperty . :a :p :v . :b :p :v .", ":a owl:sameAs :b ."),
    "max cardinality one": (
        ':C rdfs:subClassOf [ owl:onProperty :p ; owl:maxCardinality "1"^^xsd:nonNegativeInteger ] . :x a :C ; :p :a , :b .',
        ":a owl:sameAs :b .",
    ),
    "enumeration": (
        ":Primary owl:oneOf ( :red :green :blue ) . :Colour rdfs:subClassOf :Primary . :red a :Colour .",
        ":red a :Primary . :blue a :Primary .",
    ),
    "max qualified cardinality one on owl:Thing": (
        ':C rdfs:subClassOf [ owl:onProperty :p ; owl:maxQualifiedCardinality "1"^^xsd:nonNegativeInteger ;'
        " owl:onClass owl:Thing ] . :x a :C ; :p :a , :b .",
        ":a owl:sameAs :b .",
    ),
    "max qualified cardinality one": (
        ':C rdfs:subClassOf [ owl:onProperty :p ; owl:maxQualifiedCardinality "1"^^xsd:nonNegativeInteger ;'
        " owl:onClass :D ] . :x a :C ; :p :a , :b , :c . :a a :D . :b a :D .",
        ":a owl:sameAs :b .",
    ),
    "key": (
        ":Person owl:hasKey ( :ssn :country ) . :x a :Person ; :ssn 7 ; :country :fr . :y a :Person ; :ssn 7 ; :country :fr .",
        ":x owl:sameAs :y .",
    ),
    "anonymous inverse property in a restriction and a chain": (
        ":HasParent owl:equivalentClass [ owl:onProperty [ owl:inverseOf :parentOf ] ; owl:someValuesFrom :Person ] ."
        ":sibling owl:propertyChainAxiom ( [ owl:inverseOf :parentOf ] :parentOf ) ."
        ":p a :Person ; :parentOf :a , :b .",
        ":a a :HasParent . :a :sibling :b . :b :sibling :a .",
    ),
    "schema subsumption of defined classes": (
        ":Employee owl:intersectionOf ( :Person [ owl:onProperty :worksFor ; owl:someValuesFrom :Org ] ) ."
        ":Chair rdfs:subClassOf :Person , [ owl:onProperty :headOf ; owl:someValuesFrom :Dept ] ."
        ":headOf rdfs:subPropertyOf :worksFor . :Dept rdfs:subClassOf :Org . :x a :Chair .",
        ":Chair rdfs:subClassOf :Employee . :x a :Employee .",
    ),
    "stated membership of a restriction": (
        ":y a [ owl:onProperty :colour ; owl:hasValue :red ] . :z a [ owl:intersectionOf ( :A :B ) ] .",
        ":y :colour :red . :z a :A , :B .",
    ),
    "domain inherited from superproperty": (
        ":p rdfs:subPropertyOf :q . :q rdfs:domain :D . :D rdfs:subClassOf :E . :x :p :y .",
        ":p rdfs:domain :E . :x a :E .",
    ),
}


def graph_of(turtle: str) -> KnowledgeGraph:
    """A store holding ``turtle`` in the data graph, written through the pipeline (so reasoned over)."""
    kg = KnowledgeGraph.open()
    kg.add_quads(
        Quad(q.subject, q.predicate, q.object, GRAPH_DATA) for q in parse(PREFIXES + turtle, format=RdfFormat.TURTLE)
    )
    return kg


def inferred(kg: KnowledgeGraph) -> set[str]:
    """The inferred graph's triples, without the triples that describe the closure's state; and the closure
    graph, which queries read, checked to hold exactly the asserted and inferred triples.

    Triples are N-Triples lines without their final " .", read from the store's dumps (twice as quick as
    reading its quads in Python: differential tests read whole stores after every write)."""
    found = {t for t in _triples(kg, GRAPH_INFERRED) if not t.startswith(_STATE_SUBJECT) and _LEASE not in t}
    dataset = found.union(*(_triples(kg, graph) for graph in asserted_graphs(kg)))
    closure = _triples(kg, GRAPH_CLOSURE)
    assert closure == dataset, (
        f"the closure graph lacks {sorted(dataset - closure)[:5]}, has {sorted(closure - dataset)[:5]}"
    )
    return found


#: The triples that describe the closure (its state, a remote engine's write lease), not part of it.
_STATE_SUBJECT, _LEASE = f"{GRAPH_INFERRED} ", f" {LEASE_UNTIL} "


def _triples(kg: KnowledgeGraph, graph: GraphName) -> set[str]:
    dumped = io.BytesIO()
    kg.backend.dump(dumped, RdfFormat.N_TRIPLES, from_graph=graph, prefixes=None)
    return {line[:-2] for line in dumped.getvalue().decode().splitlines()}


def fresh_inferred(kg: KnowledgeGraph) -> set[str]:
    """What a materialisation from scratch of ``kg``'s asserted quads infers (blank nodes keep their ids).

    Differential tests come back to the same asserted quads often (every sequence of writes ends where it
    began): each set's answer is kept for a while, as it depends on nothing else."""
    key = frozenset((graph, frozenset(_triples(kg, graph))) for graph in asserted_graphs(kg))
    if key in _FRESH:
        _FRESH.move_to_end(key)
        return set(_FRESH[key])
    fresh = KnowledgeGraph.open()
    for graph, triples in key:  # parse() keeps blank node ids, where the store's load() renames them
        lines = "".join(f"{t} .\n" for t in triples).encode()
        fresh.store.extend(Quad(q.subject, q.predicate, q.object, graph) for q in parse(lines, RdfFormat.N_TRIPLES))
    materialize(fresh)
    found = _FRESH[key] = frozenset(inferred(fresh))
    if len(_FRESH) > 32:
        _FRESH.popitem(last=False)
    return set(found)


#: The last answers of :func:`fresh_inferred`, by asserted quads, the least recently used first.
_FRESH: OrderedDict[frozenset[tuple[GraphName, frozenset[str]]], frozenset[str]] = OrderedDict()


@pytest.mark.parametrize("name", CASES)
def test_rule_entails(name: str) -> None:
    given, expected = CASES[name]
    kg = graph_of(given)
    assert inferred(kg) == fresh_inferred(kg)  # the write's delta closure is the whole closure
    for quad in parse(PREFIXES + expected, format=RdfFormat.TURTLE):
        assert kg.query("ASK { ?s ?p ?o }", substitutions={"s": quad.subject, "p": quad.predicate, "o": quad.object}), (
            quad
        )
    anonymous_types = [t for t in inferred(kg) if f" <{RDF}type> _:" in t]
    assert anonymous_types == []  # an anonymous class expression is never an inferred type (program.MEMBER)


@pytest.mark.parametrize("name", CASES)
def test_retracting_any_fact_equals_recomputing(name: str) -> None:
    given, _ = CASES[name]
    kg = graph_of(given)
    for quad in list(kg.store.quads_for_pattern(None, None, None, GRAPH_DATA)):
        report = kg.write(Delta(removed=(quad,)))
        assert not report.full or quad.predicate.value.startswith(SCHEMA_NAMESPACES)
        assert inferred(kg) == fresh_inferred(kg), f"after removing {quad}"
        kg.write(Delta(added=(quad,)))
        assert inferred(kg) == fresh_inferred(kg), f"after adding {quad} back"


def test_over_deletion_keeps_what_asserted_triples_alone_derive() -> None:
    """Removing ``:x :p :y`` makes ``:x a :B`` (the domain of ``:p``) a candidate for over-deletion, but the
    stated ``:x a :A`` derives it too: it stays, and ``:x a :C`` is not over-deleted through it (DRed
    over-deleted both, then derived both again)."""
    kg = graph_of(":A rdfs:subClassOf :B . :B rdfs:subClassOf :C . :p rdfs:domain :B . :x a :A ; :p :y .")
    stated = list(kg.store.quads_for_pattern(None, NamedNode("http://example.org/p"), None, GRAPH_DATA))
    report = kg.write(Delta(removed=tuple(stated)))
    assert (report.inferred_removed, report.inferred_added) == (0, 0)
    assert inferred(kg) == fresh_inferred(kg)
    kg.write(Delta(removed=tuple(kg.store.quads_for_pattern(None, NamedNode(f"{RDF}type"), None, GRAPH_DATA))))
    assert inferred(kg) == fresh_inferred(kg)  # without :x a :A, nothing keeps them
    assert not kg.query("ASK { <http://example.org/x> a ?c }")


def test_disjointness_is_an_inconsistency_not_an_entailment() -> None:
    kg = graph_of(
        ":A owl:disjointWith :B . :C rdfs:subClassOf :B . :x a :A , :C . :p a owl:IrreflexiveProperty . :y :p :y ."
    )
    found = {c.rule for c in clashes(kg)}
    assert found == {"cax-dw", "prp-irp"}


def test_cardinality_zero_and_negative_assertions_are_inconsistencies() -> None:
    kg = graph_of(
        ':Hermit rdfs:subClassOf [ owl:onProperty :friend ; owl:maxCardinality "0"^^xsd:nonNegativeInteger ] .'
        ":x a :Hermit ; :friend :y . :knows owl:inverseOf :knownBy . :b :knownBy :a ."
        "[] a owl:NegativePropertyAssertion ; owl:sourceIndividual :a ; owl:assertionProperty :knows ;"
        " owl:targetIndividual :b ."
    )
    found = {c.rule: c for c in clashes(kg)}
    assert set(found) == {"cls-maxc1", "prp-npa1"}
    assert any(t["inferred"] for t in found["prp-npa1"].triples)


def test_complement_and_anonymous_disjointness_are_inconsistencies() -> None:
    kg = graph_of(
        ":A rdfs:subClassOf [ owl:complementOf :B ] . :x a :A , :B ."
        ":C owl:disjointWith [ owl:onProperty :p ; owl:hasValue :v ] . :y a :C ; :p :v ."
    )
    found = {c.rule: c for c in clashes(kg)}
    assert set(found) == {"cls-com", "cax-dw"}
    membership = next(
        t for t in found["cls-com"].triples if t["object"].startswith("_:") and t["subject"].endswith("x")
    )
    assert membership["predicate"] == RDF + "type" and membership["inferred"]
