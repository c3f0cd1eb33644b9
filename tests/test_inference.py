"""The article's questions, answered by inference over the shipped knowledge graph (never by assertion)."""

from __future__ import annotations

import pytest
from pyoxigraph import NamedNode, Quad, QuerySolutions

from graph import KnowledgeGraph
from graph.inference import closure_state
from graph.inference.explanation import is_a, resolve
from graph.namespaces import GAI, GAID, GENID, GRAPH_INFERRED, PREFIXES, is_anonymous

from .conftest import shipped_in_memory
from .test_inference_rules import fresh_inferred, inferred

pytestmark = pytest.mark.both_backends


def members(kg: KnowledgeGraph, cls: str, *, infer: bool = True) -> set[str]:
    result = kg.query("SELECT ?x ?c { ?x a ?c }", infer=infer, substitutions={"c": NamedNode(GAI + cls)})
    assert isinstance(result, QuerySolutions)
    return {row["x"].value.removeprefix(GAID) for row in result}


def holds(kg: KnowledgeGraph, thing: str, cls: str) -> bool:
    answer, explanation = is_a(kg, resolve(kg, thing, what="x"), resolve(kg, cls, what="class"))
    assert (explanation is not None) == answer
    return answer


def test_chatgpt_is_a_generative_ai_product_powered_by_an_llm(kg: KnowledgeGraph) -> None:
    assert holds(kg, "gaid:ChatGPT", "gai:GenerativeAIProduct")
    assert holds(kg, "gaid:ChatGPT", "gai:LLMPoweredProduct")
    assert holds(kg, "gaid:ChatGPT", "gai:GenerativeAI")
    assert "ChatGPT" not in members(kg, "LLMPoweredProduct", infer=False)


def test_every_llm_is_generative_ai(kg: KnowledgeGraph) -> None:
    llms = members(kg, "LargeLanguageModel")
    assert len(llms) >= 5
    assert llms <= members(kg, "GenerativeAI")
    assert not kg.query("ASK { ?m a gai:LargeLanguageModel FILTER NOT EXISTS { ?m a gai:GenerativeAI } }"), (
        "an LLM lacks the generative-AI type"
    )
    assert not llms & members(kg, "GenerativeAI", infer=False), "generative AI must be inferred, not asserted"


def test_generative_ai_exists_without_llms(kg: KnowledgeGraph) -> None:
    not_llm = members(kg, "GenerativeAI") - members(kg, "LargeLanguageModel")
    assert {"DALL-E_3", "Midjourney_v6", "Suno"} <= not_llm
    diffusion_images = members(kg, "DiffusionModel") & members(kg, "ImageGenerator")
    assert diffusion_images and not diffusion_images & members(kg, "LargeLanguageModel")
    assert members(kg, "MusicGenerator") - members(kg, "LargeLanguageModel")


def test_multimodal_models_are_inferred(kg: KnowledgeGraph) -> None:
    multimodal = members(kg, "MultimodalModel")
    assert {"Gemini_1.5_Pro", "GPT-4_Turbo_with_Vision"} <= multimodal
    assert {"Gemini_1.5_Pro", "GPT-4_Turbo_with_Vision"} <= members(kg, "MultimodalLLM")
    assert "Mistral_7B" not in multimodal
    assert not members(kg, "MultimodalModel", infer=False)


@pytest.mark.parametrize(
    ("cls", "expected"),
    [
        ("ImageGenerator", {"DALL-E_3", "Midjourney_v6"}),
        ("VideoGenerator", {"Runway_Gen-3_Alpha"}),
        ("AudioGenerator", {"Suno"}),
        ("MusicGenerator", {"Suno"}),
        ("ThreeDGenerator", {"Meshy"}),
        ("CodeGenerator", {"Codex", "GitHub_Copilot"}),
        ("TextGenerator", {"GPT-4.5", "ChatGPT"}),
        ("DiffusionModel", {"DALL-E_3", "Midjourney_v6"}),
        ("TransformerBasedModel", {"GPT-4.5"}),
    ],
)
def test_generators_are_inferred_never_asserted(kg: KnowledgeGraph, cls: str, expected: set[str]) -> None:
    assert expected <= members(kg, cls)
    assert not members(kg, cls, infer=False)


def test_anonymous_class_expressions_are_never_types(kg: KnowledgeGraph) -> None:
    named = [row["c"] for row in kg.query("SELECT ?c WHERE { gaid:ChatGPT a ?c }")]
    assert named and not any(is_anonymous(c) for c in named)
    assert NamedNode(GAI + "LLMPoweredProduct") in named  # a defined class, inferred through them
    assert not kg.query(f'ASK {{ ?x a ?c FILTER(isBlank(?c) || STRSTARTS(STR(?c), "{GENID}")) }}')


def test_inferred_types_vanish_without_inference(kg: KnowledgeGraph) -> None:
    ask = "ASK { gaid:GPT-4.5 a gai:GenerativeAI }"
    assert kg.query(ask)
    assert not kg.query(ask, infer=False)


def test_every_positive_answer_has_an_explanation(kg: KnowledgeGraph) -> None:
    for cls in ("GenerativeAI", "ImageGenerator", "MultimodalLLM", "LLMPoweredProduct", "CodeGenerator"):
        for thing in members(kg, cls):
            assert holds(kg, "gaid:" + thing, "gai:" + cls)
    assert closure_state(kg).current


def test_an_update_changes_inferences_before_the_next_read(kg: KnowledgeGraph) -> None:
    before = kg.generation
    kg.update(
        "INSERT DATA { GRAPH gai:scratch { gaid:NewModel a gai:GenerativeModel ; gai:outputModality gai:VideoModality } }"
    )
    assert "NewModel" in members(kg, "VideoGenerator")
    report = kg.update("DELETE DATA { GRAPH gai:scratch { gaid:NewModel gai:outputModality gai:VideoModality } }")
    assert "NewModel" not in members(kg, "VideoGenerator")
    assert "NewModel" in members(kg, "GenerativeAI")
    assert not report.full and report.removed == 1 and report.inferred_removed > 0
    assert kg.generation == report.generation != before and closure_state(kg).current


def test_a_fact_stated_in_two_graphs_survives_deleting_one(kg: KnowledgeGraph) -> None:
    kg.update(
        "INSERT DATA { GRAPH gai:a { gaid:X a gai:LargeLanguageModel } GRAPH gai:b { gaid:X a gai:LargeLanguageModel } }"
    )
    kg.update("DELETE DATA { GRAPH gai:a { gaid:X a gai:LargeLanguageModel } }")
    assert "X" in members(kg, "GenerativeAI")


def test_ontology_changes_keep_the_work_of_the_rules_that_stay(kg: KnowledgeGraph) -> None:
    """Axioms added run only the rule rows they add, over the whole store, and rounds from what those derive: a
    defined class (a restriction, a blank node) too. Axioms removed over-delete what only their rows derived,
    and what still follows comes back. Each time the closure is the one a materialisation from scratch finds,
    and nothing is computed from scratch."""
    report = kg.update(
        "INSERT DATA { GRAPH gai:extra { gai:Product rdfs:subClassOf gai:Claim . gaid:Gadget a gai:Product } }"
    )
    assert "ChatGPT" in members(kg, "Claim") and "Gadget" in members(kg, "Claim")
    assert not report.full and closure_state(kg).report["status"] == "updated"
    assert inferred(kg) == fresh_inferred(kg)
    report = kg.update(
        "INSERT DATA { GRAPH gai:extra { gai:FilmMaker owl:equivalentClass [ a owl:Restriction ; "
        "owl:onProperty gai:outputModality ; owl:hasValue gai:VideoModality ] } }"
    )
    assert not report.full and members(kg, "FilmMaker") == members(kg, "VideoGenerator") != set()
    assert inferred(kg) == fresh_inferred(kg)
    report = kg.update("DELETE DATA { GRAPH gai:extra { gai:Product rdfs:subClassOf gai:Claim } }")
    assert "ChatGPT" not in members(kg, "Claim") and "Gadget" in members(kg, "Product") and not report.full
    assert inferred(kg) == fresh_inferred(kg)
    report = kg.update(  # a replaced axiom: one removed and one added in the same write
        "DELETE { GRAPH gai:extra { ?c owl:equivalentClass ?r } } INSERT { GRAPH gai:extra { ?c rdfs:subClassOf "
        "gai:Claim } } WHERE { GRAPH gai:extra { BIND(gai:FilmMaker AS ?c) ?c owl:equivalentClass ?r } }"
    )
    assert not report.full and members(kg, "FilmMaker") <= members(kg, "Claim")
    assert inferred(kg) == fresh_inferred(kg)


def test_replacing_a_graph_is_maintained_incrementally(kg: KnowledgeGraph) -> None:
    graph = NamedNode(GAI + "scratch")
    model, video = NamedNode(GAID + "Replaced"), NamedNode(GAI + "VideoModality")
    typed = Quad(model, NamedNode(PREFIXES["rdf"] + "type"), NamedNode(GAI + "GenerativeModel"), graph)
    makes_video = Quad(model, NamedNode(GAI + "outputModality"), video, graph)
    kg.replace_graphs({graph: [typed, makes_video]})
    assert "Replaced" in members(kg, "VideoGenerator")
    kg.replace_graphs({graph: [typed]})
    assert "Replaced" not in members(kg, "VideoGenerator")
    assert "Replaced" in members(kg, "GenerativeAI")
    assert not closure_state(kg).report["full"]


@pytest.mark.timeout(400)  # owlrl's closure of the shipped graph alone takes most of a minute
def test_closure_of_the_shipped_graph_contains_owlrl_closure() -> None:
    """Once, not per backend: the check materialises the asserted quads in memory beside owlrl (a minute)."""
    from .test_inference_university import missing_from_owlrl

    asserted = [q for q in shipped_in_memory().quads() if q.graph_name != GRAPH_INFERRED]
    assert missing_from_owlrl(asserted) == []


def test_writes_into_the_inferred_graph_are_refused(kg: KnowledgeGraph) -> None:
    from graph.errors import ReadOnly

    with pytest.raises(ReadOnly):
        kg.update(f"INSERT DATA {{ GRAPH {GRAPH_INFERRED} {{ gaid:X a gai:Product }} }}")
    assert not kg.query("ASK { gaid:X ?p ?o }")
