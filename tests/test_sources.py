"""The second source and provenance: Epoch AI's import is deterministic and reconciled with the article, its
rows keep the article's distinction between generative and other AI, and every statement says where it comes
from (the Epoch graph, a rule, the article's section and quote, or a background source)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from pyoxigraph import NamedNode, QuerySolutions

from graph import KnowledgeGraph
from graph.loading import ONTOLOGY_DIR
from graph.namespaces import GAI, GAID, GRAPH_DATA, GRAPH_DERIVED, GRAPH_EPOCH
from graph.sources.epoch import EPOCH_DIR, Outcome, run, write

from .conftest import ROOT, shipped_in_memory

ARTICLE = GAID + "DifferenceBetweenLLMAndGenerativeAI"
EPOCH = GAID + "EpochNotableAIModels"
#: The seed article, kept beside the repository (not in it): quotes are checked against it where it is found.
SEED = (
    next(
        (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if (p / "seed").is_dir()),
        Path("/nonexistent"),
    )
    / "seed"
    / "000_abdfa901dd478a9b.txt"
)

#: Tasks that create content, and tasks that only classify, detect, predict or play (the article's distinction).
GENERATIVE_TASKS = {
    "Language modeling/generation", "Chat", "Text-to-image", "Image generation", "Video generation",
    "Text-to-video", "Audio generation", "Speech synthesis", "Text-to-speech (TTS)", "Code generation",
    "Translation", "Image captioning", "Protein generation",
}  # fmt: skip
DISCRIMINATIVE_TASKS = {
    "Image classification", "Object detection", "Object recognition", "Semantic segmentation",
    "Image segmentation", "Face detection", "Face recognition", "Digit recognition", "Atari", "Go", "Chess",
    "Poker", "StarCraft", "Dota 2", "Protein folding prediction", "Proteins", "Weather forecasting",
    "Recommender system", "Action recognition", "Text classification", "Sentiment classification",
}  # fmt: skip


@pytest.fixture(scope="module")
def outcome() -> Outcome:
    return run()


@pytest.fixture(scope="module")
def shipped() -> KnowledgeGraph:
    """The shipped graph with its inferences; these tests only read it, so one serves the module."""
    return shipped_in_memory()


def select(kg: KnowledgeGraph, sparql: str, **bindings: object) -> list:
    result = kg.query(sparql, substitutions=bindings or None)  # type: ignore[arg-type]
    assert isinstance(result, QuerySolutions)
    return list(result)


def ask(kg: KnowledgeGraph, sparql: str) -> bool:
    return bool(kg.query(sparql))


# -- the import -------------------------------------------------------------------------------------------


def test_the_import_is_deterministic_and_the_shipped_files_are_its_output(outcome: Outcome, tmp_path: Path) -> None:
    again = run()
    assert again.epoch == outcome.epoch and again.derived == outcome.derived
    for path in write(outcome, tmp_path):
        shipped = ONTOLOGY_DIR / path.relative_to(tmp_path)
        assert path.read_bytes() == shipped.read_bytes(), f"{shipped} is stale: run `make epoch`"


def test_the_copy_is_the_published_file() -> None:
    readme = (EPOCH_DIR / "README.md").read_text(encoding="utf-8")
    assert "365f2fccd7e946b2edabe1cf5bef48633f538b07fb0153acc41fac9869e3b787" in readme
    assert "CC BY 4.0" in readme and "Data: Epoch AI (epoch.ai), CC BY 4.0" in readme
    assert run().digest == "365f2fccd7e946b2edabe1cf5bef48633f538b07fb0153acc41fac9869e3b787"


def test_one_row_is_one_model_labelled_with_its_cell(shipped: KnowledgeGraph, epoch_rows: list[dict[str, str]]) -> None:
    rows = select(
        shipped,
        f"SELECT ?model ?label {{ GRAPH <{GRAPH_EPOCH.value}> {{ ?model a gai:AIModel ; rdfs:label ?label }} }}",
    )
    assert len({row["model"] for row in rows}) == len(epoch_rows) == 976
    assert {row["label"].value for row in rows} == {row["Model"].strip() for row in epoch_rows}
    assert sum(1 for row in epoch_rows if row["Model"] != row["Model"].strip()) == 4  # trailing newlines, trimmed


def test_organisations_by_the_names_in_the_row(shipped: KnowledgeGraph) -> None:
    [row] = select(
        shipped,
        f"""SELECT (GROUP_CONCAT(?name; SEPARATOR="|") AS ?names) {{ GRAPH <{GRAPH_EPOCH.value}> {{
              gaid:Gemini_2.5_Deep_Think gai:developedBy/rdfs:label ?name }} }}""",
    )
    assert set(row["names"].value.split("|")) == {"Google", "Google DeepMind"}


@pytest.mark.parametrize("local", ["GPT-4.5", "GPT-5", "Claude_3_Opus", "Gemini_1.5_Pro", "DALL-E_3", "OpenAI_o3"])
def test_the_articles_rows_are_the_articles_resources(shipped: KnowledgeGraph, local: str) -> None:
    model = f"<{GAID}{local}>"
    assert ask(shipped, f"ASK {{ GRAPH <{GRAPH_EPOCH.value}> {{ {model} a gai:AIModel ; gai:releaseDate ?d }} }}")
    assert ask(shipped, f"ASK {{ GRAPH <{GRAPH_DATA.value}> {{ {model} a ?kind ; dcterms:source <{ARTICLE}> }} }}")


def test_near_misses_stay_apart_and_variants_are_linked(shipped: KnowledgeGraph) -> None:
    assert ask(shipped, 'ASK { gaid:Midjourney_V1 rdfs:label "Midjourney V1" ; gai:releaseDate ?d }')
    assert not ask(shipped, "ASK { gaid:Midjourney_V1 ?p gaid:Midjourney_v6 }")
    assert ask(shipped, f"ASK {{ GRAPH <{GRAPH_DERIVED.value}> {{ gaid:Llama_3.1-405B gai:variantOf gaid:Llama_3 }} }}")
    assert ask(shipped, "ASK { gaid:Llama_3.1-405B gai:memberOf gaid:Llama }")
    assert ask(shipped, "ASK { gaid:Meta_AI gai:parentOrganization gaid:Meta }")


def test_the_reconciliation_report_is_kept(outcome: Outcome) -> None:
    report = (EPOCH_DIR / "reconciliation.md").read_text(encoding="utf-8")
    counts = {
        kind: sum(1 for m in outcome.reconciliation.models if m.result.status == kind)
        for kind in ("matched", "ambiguous", "new")
    }
    assert counts == {"matched": 7, "ambiguous": 5, "new": 964}
    assert (
        f"| matched: the article's resource (same IRI, each source in its own graph) | {counts['matched']} |" in report
    )
    ambiguous = report.split("## Ambiguous rows")[1].split("##")[0]
    assert all(f"| {name} |" in ambiguous for name in ("Firefly", "Claude", "DALL-E"))


# -- the article's distinction on real data --------------------------------------------------------------


def test_generative_and_discriminative_models_over_the_whole_import(
    shipped: KnowledgeGraph, epoch_rows: list[dict[str, str]]
) -> None:
    generative = {
        row["l"].value
        for row in select(
            shipped, f"SELECT ?l {{ GRAPH <{GRAPH_EPOCH.value}> {{ ?m rdfs:label ?l }} ?m a gai:GenerativeAI }}"
        )
    }
    article = {"GPT-4.5", "GPT-5", "o3", "Claude 3 Opus", "Gemini 1.5 Pro", "DALL·E 3", "Codex"}
    creating, judging = 0, 0
    for row in epoch_rows:
        name, tasks = row["Model"].strip(), {t.strip() for t in row["Task"].split(",") if t.strip()}
        domains = {d.strip() for d in row["Domain"].split(",")}
        if tasks & GENERATIVE_TASKS:
            assert name in generative, f"{name} ({tasks}) creates content"
            creating += 1
        elif tasks and tasks <= DISCRIMINATIVE_TASKS and "Image generation" not in domains and name not in article:
            assert name not in generative, f"{name} ({tasks}) only classifies, detects, predicts or plays"
            judging += 1
    assert creating > 350 and judging > 150, (creating, judging)
    assert {"Stable Diffusion 3", "Whisper", "Sora"} <= generative
    assert not {"AlphaGo Zero", "ResNet-1001", "AlphaFold 2", "MobileNetV2"} & generative


def test_gan_and_vae_members_come_from_stated_rules(shipped: KnowledgeGraph) -> None:
    members = select(
        shipped, "SELECT DISTINCT ?m ?g { ?m a gai:GANModel . GRAPH ?g { ?m gai:architecture gai:GANArchitecture } }"
    )
    assert {row["m"].value for row in members} >= {GAID + "StyleGAN", GAID + "GANs"}
    assert {row["g"].value for row in members} == {GRAPH_DERIVED.value}
    assert ask(shipped, "ASK { gaid:VQ-VAE a gai:VAEModel }")
    described = select(shipped, f"SELECT ?c {{ <{GRAPH_DERIVED.value}> rdfs:comment ?c }}")
    assert "GAN" in described[0]["c"].value and "generative adversarial" in described[0]["c"].value


def test_products_and_families(shipped: KnowledgeGraph) -> None:
    for product in ("Claude_assistant", "Gemini_chatbot", "ChatGPT"):
        assert ask(shipped, f"ASK {{ gaid:{product} a gai:LLMPoweredProduct }}"), product
    assert ask(shipped, "ASK { gaid:Meshy a gai:MultimodalProduct }")
    assert ask(shipped, "ASK { gaid:GPT a gai:LargeLanguageModelFamily }")
    assert ask(shipped, "ASK { gaid:Mistral_7B a gai:UnimodalModel }") is False  # the rule reads Epoch's rows only
    assert ask(shipped, "ASK { gaid:Whisper a gai:UnimodalModel }") is False  # audio in, text out
    assert ask(shipped, "ASK { gaid:AlphaGo_Zero a ?kind FILTER(?kind = gai:GenerativeAI) }") is False


# -- provenance ----------------------------------------------------------------------------------------------


def test_every_epoch_statement_is_in_the_epoch_graph(shipped: KnowledgeGraph, outcome: Outcome) -> None:
    [row] = select(shipped, f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{GRAPH_EPOCH.value}> {{ ?s ?p ?o }} }}")
    assert int(row["n"].value) == len(outcome.epoch)
    minted = {m.iri for m in outcome.reconciliation.models if m.result.match is None}
    in_data = select(shipped, f"SELECT DISTINCT ?s {{ GRAPH <{GRAPH_DATA.value}> {{ ?s ?p ?o }} }}")
    assert not minted & {row["s"].value for row in in_data}
    unsourced = select(
        shipped,
        f"""SELECT ?s {{ GRAPH <{GRAPH_EPOCH.value}> {{ ?s a ?kind }}
              FILTER NOT EXISTS {{ GRAPH <{GRAPH_EPOCH.value}> {{ ?s dcterms:source <{EPOCH}> }} }} }}""",
    )
    assert unsourced == []


def test_article_facts_carry_their_section_and_quote(shipped: KnowledgeGraph) -> None:
    """Every statement of a model, family, product or organisation of the article is backed by evidence for that
    property: a passage of the article (section and quote) or another source."""
    unsupported = select(
        shipped,
        f"""SELECT ?s ?p {{
          GRAPH <{GRAPH_DATA.value}> {{ ?s ?p ?o . ?s a ?kind }}
          VALUES ?kind {{ gai:LargeLanguageModel gai:GenerativeModel gai:ModelFamily gai:Product gai:Organization }}
          FILTER(STRSTARTS(STR(?p), STR(gai:)) && ?p != gai:evidence)
          FILTER NOT EXISTS {{ ?s gai:evidence ?e . ?e gai:supportsProperty ?p }}
        }}""",
    )
    assert unsupported == []
    passages = select(
        shipped,
        f"""SELECT ?e ?section ?quote {{ ?e a gai:Evidence ; dcterms:source <{ARTICLE}> .
              OPTIONAL {{ ?e gai:sourceSection ?section }} OPTIONAL {{ ?e gai:quote ?quote }} }}""",
    )
    assert len(passages) > 40 and all(row["section"] and row["quote"] for row in passages)
    if SEED.is_file():
        text = " ".join(SEED.read_text(encoding="utf-8").split())
        assert [r["quote"].value for r in passages if " ".join(r["quote"].value.split()) not in text] == []


def test_background_facts_have_their_own_sources(shipped: KnowledgeGraph) -> None:
    for resource in ("Microsoft", "Mistral_AI", "Stability_AI", "Gemini_chatbot"):
        sources = {r["s"].value for r in select(shipped, f"SELECT ?s {{ gaid:{resource} dcterms:source ?s }}")}
        assert sources and ARTICLE not in sources, resource
    for model in ("GPT-5", "Llama_4"):
        [row] = select(
            shipped,
            f"SELECT ?s {{ gaid:{model} gai:evidence ?e . ?e gai:supportsProperty gai:successorOf ; dcterms:source ?s }}",
        )
        assert row["s"].value != ARTICLE


@pytest.mark.parametrize(
    ("claim", "evidence"),
    [
        ("Claim_GPT-4.5_supports_15_languages", "Source_GPT-4.5_system_card"),
        ("Claim_Claude_3.5_expected_mid-2025", "Claude_3.5_Sonnet"),
        ("Claim_Gemini_1.5_Pro_context_window_1M", "Claim_Gemini_1.5_Pro_context_window_2M"),
    ],
)
def test_misreadings_are_disputed_with_their_evidence(shipped: KnowledgeGraph, claim: str, evidence: str) -> None:
    assert ask(
        shipped, f"ASK {{ gaid:{claim} gai:status gai:Disputed ; gai:contradictedBy gaid:{evidence} ; gai:asOf ?when }}"
    )


def test_where_the_sources_disagree_both_are_kept(shipped: KnowledgeGraph) -> None:
    dates = select(shipped, "SELECT ?g ?d { GRAPH ?g { gaid:OpenAI_o3 gai:releaseDate ?d } }")
    assert {(row["g"].value, row["d"].value) for row in dates} == {
        (GRAPH_DATA.value, "2025-04"),
        (GRAPH_EPOCH.value, "2024-12-20"),
    }


# -- pages, search and VoID ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(shipped: KnowledgeGraph) -> FlaskClient:
    from server import Config, create_app

    return create_app(Config(store=None, query_timeout=10.0), kg=shipped).test_client()


def test_pages_credit_epoch_where_they_show_its_data(site: FlaskClient) -> None:
    credit = re.compile(r'<p class="muted credit">Data: <a href="https://epoch.ai/data/notable-ai-models">Epoch AI</a>')
    assert credit.search(site.get("/id/GPT-4.5", headers={"Accept": "text/html"}).get_data(as_text=True))
    assert not credit.search(site.get("/id/Mistral_7B", headers={"Accept": "text/html"}).get_data(as_text=True))
    query = site.get("/queries/model-lineage.html?model=gaid:GPT-4o_Mar_2025").get_data(as_text=True)
    assert 'Data: <a href="https://epoch.ai/data/notable-ai-models">Epoch AI</a>' in query


def test_search_finds_dall_e_without_its_dot(site: FlaskClient) -> None:
    html = site.get("/search", query_string={"q": "dalle"}).get_data(as_text=True)
    assert 'href="/id/DALL-E_3"' in html and 'href="/id/DALL-E"' in html


def test_void_names_epoch_and_its_licence(site: FlaskClient) -> None:
    turtle = site.get("/.well-known/void.ttl").get_data(as_text=True)
    assert "https://epoch.ai/data/notable-ai-models" in turtle and "Data: Epoch AI (epoch.ai), CC BY 4.0" in turtle


def test_every_new_term_has_a_label_and_a_definition(shipped: KnowledgeGraph) -> None:
    for term in (
        "baseModel", "baseModelName", "trainingCompute", "trainingDataSize", "accessibility", "country",
        "publication", "variantOf", "evidence", "quote", "asOf", "Accessibility", "OpenWeightsModel",
        "UnimodalModel", "MultimodalProduct", "LargeLanguageModelFamily", "Evidence", "MolecularModality",
    ):  # fmt: skip
        iri = NamedNode(GAI + term)
        assert select(shipped, "SELECT ?l ?t { ?t rdfs:label ?l ; skos:definition ?d }", t=iri), term
    assert ask(shipped, 'ASK { <https://w3id.org/genai-kg/ontology> owl:versionInfo "0.2.0" }')
