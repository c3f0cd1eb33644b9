"""The shipped knowledge graph: the ontology's header and terms, and every entity the article names."""

from __future__ import annotations

import pytest
from pyoxigraph import Literal, NamedNode, QuerySolutions

from graph import KnowledgeGraph
from graph.namespaces import GAI, GAID, GRAPH_DATA, GRAPH_ONTOLOGY, ONTOLOGY_IRI, expand

DEFINED_CLASSES = [
    "TextGenerator",
    "ImageGenerator",
    "VideoGenerator",
    "AudioGenerator",
    "MusicGenerator",
    "CodeGenerator",
    "ThreeDGenerator",
    "DiffusionModel",
    "GANModel",
    "VAEModel",
    "TransformerBasedModel",
    "MultimodalModel",
    "MultimodalLLM",
    "LLMPoweredProduct",
]

# (label as the article writes it, the asserted class it must have)
ARTICLE_ENTITIES = [
    ("GPT-4.5", "LargeLanguageModel"),
    ("GPT-5", "LargeLanguageModel"),
    ("OpenAI o3", "LargeLanguageModel"),
    ("Llama 4", "LargeLanguageModel"),
    ("Llama 3", "LargeLanguageModel"),
    ("Qwen2.5", "LargeLanguageModel"),
    ("Claude 3 Opus", "LargeLanguageModel"),
    ("Gemini 1.5 Pro", "LargeLanguageModel"),
    ("GPT-4 Turbo with Vision", "LargeLanguageModel"),
    ("Mistral 7B", "LargeLanguageModel"),
    ("Phi-2", "LargeLanguageModel"),
    ("OpenELM", "LargeLanguageModel"),
    ("Code Llama 70B", "LargeLanguageModel"),
    ("Codex", "LargeLanguageModel"),
    ("DALL·E 3", "GenerativeModel"),
    ("Midjourney v6", "GenerativeModel"),
    ("Firefly Image Model 4", "GenerativeModel"),
    ("Runway Gen-3 Alpha", "GenerativeModel"),
    ("Stable Audio 2.0", "GenerativeModel"),
    ("ChatGPT", "Product"),
    ("GitHub Copilot", "Product"),
    ("Midjourney", "Product"),
    ("Adobe Firefly", "Product"),
    ("Pika", "Product"),
    ("Suno", "Product"),
    ("Kaedim", "Product"),
    ("Meshy", "Product"),
    ("GPT", "ModelFamily"),
    ("Llama", "ModelFamily"),
    ("Claude", "ModelFamily"),
    ("Gemini", "ModelFamily"),
    ("OpenAI", "Organization"),
    ("Anthropic", "Organization"),
    ("Google DeepMind", "Organization"),
    ("Meta", "Organization"),
    ("Alibaba", "Organization"),
    ("Microsoft", "Organization"),
    ("Apple", "Organization"),
    ("Mistral AI", "Organization"),
    ("Adobe", "Organization"),
    ("Stability AI", "Organization"),
]

FIND = """
SELECT ?entity ?name WHERE {
  GRAPH ?g { ?entity a ?class ; rdfs:label ?label ; dcterms:source ?source . }
  FILTER(LCASE(STR(?label)) = LCASE(STR(?name)))
}
"""

WIKIDATA = {
    "LargeLanguageModel": "Q115305900",
    "TransformerArchitecture": "Q85810444",
}
WIKIDATA_INSTANCES = [
    "Q116777014",
    "Q115564437",
    "Q21708200",
    "Q116758847",
    "Q15733006",
    "Q119718658",
    "Q2283",
    "Q11463",
]


def rows(kg: KnowledgeGraph, sparql: str, **bindings: object) -> list:
    result = kg.query(sparql, infer=False, substitutions=bindings or None)  # type: ignore[arg-type]
    assert isinstance(result, QuerySolutions)
    return list(result)


def ask(kg: KnowledgeGraph, sparql: str, *, infer: bool = False) -> bool:
    return bool(kg.query(sparql, infer=infer))


def test_generative_ai_is_a_superclass_of_llm(kg: KnowledgeGraph) -> None:
    assert ask(kg, "ASK { gai:LargeLanguageModel rdfs:subClassOf+ gai:GenerativeAI }")


def test_ontology_header_is_complete(kg: KnowledgeGraph) -> None:
    for prop in [
        "owl:versionIRI",
        "owl:versionInfo",
        "dcterms:title",
        "dcterms:license",
        "vann:preferredNamespacePrefix",
    ]:
        assert ask(kg, f"ASK {{ GRAPH ?g {{ <{ONTOLOGY_IRI}> a owl:Ontology ; {prop} ?v }} }}"), prop


def test_every_term_has_a_label_and_a_definition(kg: KnowledgeGraph) -> None:
    missing = rows(
        kg,
        """
        SELECT ?term WHERE {
          GRAPH ?g { ?term a ?kind }
          VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty }
          FILTER(isIRI(?term) && STRSTARTS(STR(?term), STR(gai:)))
          FILTER NOT EXISTS { ?term rdfs:label ?label }
          FILTER NOT EXISTS { ?term rdfs:comment|skos:definition ?definition }
        }
        """,
    )
    assert missing == []


@pytest.mark.parametrize("name", DEFINED_CLASSES)
def test_defined_class_is_defined_and_never_asserted(kg: KnowledgeGraph, name: str) -> None:
    iri = NamedNode(GAI + name)
    assert ask(kg, f"ASK {{ GRAPH <{GRAPH_ONTOLOGY.value}> {{ {iri} owl:equivalentClass ?d }} }}")
    assert not ask(kg, f"ASK {{ GRAPH <{GRAPH_DATA.value}> {{ ?x a {iri} }} }}")


@pytest.mark.parametrize(("label", "kind"), ARTICLE_ENTITIES)
def test_article_entity_is_present_with_its_source(kg: KnowledgeGraph, label: str, kind: str) -> None:
    found = rows(kg, FIND.replace("?class", f"gai:{kind}"), name=Literal(label))
    assert found, f"no {kind} labelled {label!r} with a dcterms:source"
    assert all(row["entity"].value.startswith(GAID) for row in found)


def test_article_is_a_prov_entity(kg: KnowledgeGraph) -> None:
    assert ask(kg, "ASK { ?article a prov:Entity ; dcterms:title ?t . ?x dcterms:source ?article }")


@pytest.mark.parametrize(("term", "qid"), WIKIDATA.items())
def test_class_alignment_to_wikidata(kg: KnowledgeGraph, term: str, qid: str) -> None:
    assert ask(kg, f"ASK {{ gai:{term} skos:exactMatch|skos:closeMatch <http://www.wikidata.org/entity/{qid}> }}")


@pytest.mark.parametrize("qid", WIKIDATA_INSTANCES)
def test_instance_alignment_to_wikidata(kg: KnowledgeGraph, qid: str) -> None:
    assert ask(kg, f"ASK {{ ?x skos:exactMatch|skos:closeMatch <http://www.wikidata.org/entity/{qid}> }}")


def test_no_wikidata_identifier_is_guessed(kg: KnowledgeGraph) -> None:
    allowed = {*WIKIDATA.values(), *WIKIDATA_INSTANCES, "Q118876059", "Q116698014", "Q116894231"}
    used = rows(kg, "SELECT DISTINCT ?o { ?s ?p ?o FILTER(STRSTARTS(STR(?o), 'http://www.wikidata.org/entity/')) }")
    assert {row["o"].value.rsplit("/", 1)[-1] for row in used} <= allowed


def test_no_owl_same_as_to_external_iris(kg: KnowledgeGraph) -> None:
    assert not ask(kg, "ASK { ?s owl:sameAs ?o FILTER(!STRSTARTS(STR(?o), 'https://w3id.org/genai-kg/')) }")


def test_contradictory_table_claim_is_a_sourced_claim_not_an_axiom(kg: KnowledgeGraph) -> None:
    assert ask(
        kg, "ASK { ?c a gai:Claim ; dcterms:source ?s ; gai:claimText ?t FILTER(CONTAINS(LCASE(?t), 'text-only')) }"
    )
    # no axiom restricts LLM input to text
    assert not ask(
        kg, "ASK { gai:LargeLanguageModel rdfs:subClassOf|owl:equivalentClass ?r . ?r owl:allValuesFrom ?x }"
    )


@pytest.mark.parametrize(
    ("label", "prop", "value", "status"),
    [
        ("GPT-4.5", "gai:supportedLanguageCount", 15, "Disputed"),
        ("Qwen2.5", "gai:supportedLanguageCount", 29, "Consistent"),
        ("Qwen2.5", "gai:parameterCount", 72000000000, "Consistent"),
        ("Claude 3 Opus", "gai:contextWindowTokens", 200000, "Consistent"),
        ("Gemini 1.5 Pro", "gai:contextWindowTokens", 1000000, "Disputed"),
    ],
)
def test_article_figures_are_dated_claims(kg: KnowledgeGraph, label: str, prop: str, value: int, status: str) -> None:
    """Time-sensitive figures are the article's claims, dated and assessed, not timeless facts of the model."""
    found = rows(
        kg,
        f"""SELECT DISTINCT ?v ?status ?name {{
          ?claim rdf:subject ?m ; rdf:predicate {prop} ; rdf:object ?v ; gai:status ?status ; gai:asOf ?asOf ;
                 dcterms:source gaid:DifferenceBetweenLLMAndGenerativeAI .
          ?m rdfs:label ?l FILTER(STR(?l) = STR(?name)) }}""",
        name=Literal(label),
    )
    assert [(int(row["v"].value), row["status"].value) for row in found] == [(value, GAI + status)]
    timeless = rows(
        kg, f"SELECT ?v ?name {{ ?m rdfs:label ?l ; {prop} ?v FILTER(STR(?l) = STR(?name)) }}", name=Literal(label)
    )
    assert timeless == []


def test_gpt_45_release_and_codename(kg: KnowledgeGraph) -> None:
    assert ask(
        kg,
        f'ASK {{ <{expand("gaid:GPT-4.5")}> gai:releaseDate "2025-02"^^xsd:gYearMonth ; gai:codename ?c FILTER(CONTAINS(?c, "Orion")) }}',
    )
