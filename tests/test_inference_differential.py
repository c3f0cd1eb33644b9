"""Random sequences of writes (instances and ontology axioms, inserted and deleted, one or several at a time),
each checked against a materialisation from scratch of what is then asserted: the inferred graph a write
leaves must be exactly the closure.

Two stores: the shipped knowledge graph, and a small LUBM-style university (tests/test_inference_university);
each written through the store-resident rules and through the bulk path (graph/inference/bulk.py).
Hypothesis draws the sequences; ``derandomize`` makes every run draw the same ones.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from graph import KnowledgeGraph, open_knowledge_graph
from graph.delta import Delta
from graph.inference.bulk import BulkThresholds
from graph.namespaces import GAI, GAID, GRAPH_DATA, GRAPH_ONTOLOGY

from .test_inference_rules import fresh_inferred, inferred
from .test_inference_university import DATA_GRAPH, ONTOLOGY_GRAPH, UB, university_quads

SCRATCH = NamedNode(GAI + "scratch")

#: Triples that are not in the shipped graph: new individuals, new facts about old ones, and axioms.
SHIPPED_EXTRA = """
@prefix gai: <https://w3id.org/genai-kg/ontology#> .
@prefix gaid: <https://w3id.org/genai-kg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
gaid:Zed a gai:LargeLanguageModel .
gaid:Zed gai:outputModality gai:ImageModality .
gaid:Zed gai:inputModality gai:AudioModality .
gaid:Zed gai:architecture gai:DiffusionArchitecture .
gaid:Zed gai:developedBy gaid:Anthropic .
gaid:ChatGPT gai:poweredBy gaid:Zed .
gaid:Zed gai:memberOf gaid:GPT .
gaid:Tool a gai:Product .
gaid:Tool gai:poweredBy gaid:GPT-4.5 .
gai:Product rdfs:subClassOf gai:Claim .
gai:LargeLanguageModel rdfs:subClassOf gai:Product .
gai:poweredBy rdfs:subPropertyOf gai:developedBy .
gai:developedBy a owl:TransitiveProperty .
gai:Speaker owl:equivalentClass gai:Voice .
gai:Voice owl:onProperty gai:outputModality ; owl:hasValue gai:AudioModality .
gai:Voice owl:onProperty gai:outputModality ; owl:someValuesFrom gai:Modality .
"""

UNIVERSITY_EXTRA = f"""
@prefix ub: <{UB}> .
@prefix u: <http://www.university.example/> .
@prefix d: <http://www.university.example/University0/Department0/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
u:New a ub:GraduateStudent ; ub:takesCourse d:GraduateCourse0 .
u:New ub:headOf <http://www.university.example/University0/Department0> .
u:New ub:worksFor d:ResearchGroup0 .
u:New ub:advisor d:FullProfessor0 .
d:ResearchGroup0 ub:subOrganizationOf u:Elsewhere .
u:New ub:colleagueOf d:FullProfessor1 .
ub:Student rdfs:subClassOf ub:Employee .
ub:advisor owl:inverseOf ub:advises .
ub:takesCourse rdfs:subPropertyOf ub:memberOf .
ub:Course owl:equivalentClass ub:Work .
ub:colleagueOf a owl:TransitiveProperty .
"""


def extra(turtle: str, graph: NamedNode) -> list[Quad]:
    return [Quad(q.subject, q.predicate, q.object, graph) for q in parse(turtle, format=RdfFormat.TURTLE)]


def shipped() -> tuple[KnowledgeGraph, list[Quad]]:
    kg = open_knowledge_graph()
    stated = [q for g in (GRAPH_DATA, GRAPH_ONTOLOGY) for q in kg.store.quads_for_pattern(None, None, None, g)]
    about = {NamedNode(GAID + n) for n in ("ChatGPT", "GPT-4.5", "Midjourney_v6", "OpenAI")}
    chosen = [q for q in stated if q.subject in about and not q.predicate.value.endswith(("label", "comment"))]
    chosen += [q for q in stated if q.subject == NamedNode(GAI + "LargeLanguageModel")]
    return kg, chosen[:20] + extra(SHIPPED_EXTRA, SCRATCH)


def university() -> tuple[KnowledgeGraph, list[Quad]]:
    quads = university_quads(1, 1)
    ontology = [q for q in quads if q.graph_name == ONTOLOGY_GRAPH]
    data = [q for q in quads if q.graph_name == DATA_GRAPH and "Department0/" in q.subject.value][:400]
    kg = KnowledgeGraph.open()
    kg.add_quads([*ontology, *data])
    named = [q for q in ontology if isinstance(q.subject, NamedNode) and isinstance(q.object, NamedNode)]
    pool = data[::20] + named[::4] + extra(UNIVERSITY_EXTRA, DATA_GRAPH)
    return kg, pool


#: One write: up to three quads of the pool, each added or removed (a quad in both stays, as Delta says).
writes = st.lists(st.lists(st.tuples(st.booleans(), st.integers(0, 10_000)), min_size=1, max_size=3), max_size=6)


@pytest.mark.timeout(400)  # on the shipped graph, 25 sequences, each step against a materialisation from scratch
@pytest.mark.parametrize("bulk", [False, True], ids=["store", "bulk"])
@pytest.mark.parametrize("make", [shipped, university], ids=["shipped", "university"])
def test_every_write_leaves_exactly_the_closure(
    make: Callable[[], tuple[KnowledgeGraph, list[Quad]]], bulk: bool
) -> None:
    """``bulk``: every write is reasoned over by the bulk path (in memory, the same rules), checked against
    the store-resident materialisation from scratch."""
    kg, pool = make()
    if bulk:
        kg.bulk, kg.bulk_in_process = BulkThresholds(reasoning_quads=0), True
    base = set(kg.store)
    counter = itertools.count()

    @settings(
        max_examples=5 if bulk else 25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(writes)
    def run(sequence: list[list[tuple[bool, int]]]) -> None:
        next(counter)
        try:
            for step in sequence:
                added = tuple(pool[i % len(pool)] for add, i in step if add)
                removed = tuple(pool[i % len(pool)] for add, i in step if not add)
                kg.write(Delta(removed=removed, added=added))
                assert inferred(kg) == fresh_inferred(kg), f"after {step}"
        finally:  # back to the base store for the next sequence, in one write
            now = set(kg.store)
            back = Delta(
                removed=tuple(q for q in pool if q in now and q not in base),
                added=tuple(q for q in pool if q in base and q not in now),
            )
            kg.write(back)
        assert inferred(kg) == fresh_inferred(kg), "after going back"

    run()
    assert next(counter) > 1
