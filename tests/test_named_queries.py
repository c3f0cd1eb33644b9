"""Named queries: every queries/*.rq file parses, runs, binds its parameters safely and answers as documented."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask.testing import FlaskClient
from pyoxigraph import Literal, NamedNode, Store

from graph import BadParameter, KnowledgeGraph
from graph import named_queries as nq
from graph.binding import Param, bind
from graph.namespaces import compact
from server import Config, create_app
from server.cli import main

from .conftest import ServerProcess, shipped_in_memory

pytestmark = pytest.mark.both_backends

FILES = sorted(nq.QUERIES_DIR.glob("*.rq"))
NAMES = [path.stem for path in FILES]
#: Queries that call an endpoint through SERVICE: tests/test_federation.py runs them against a local one.
FEDERATED = {name for name, query in nq.load().items() if "federation" in query.tags}
XSD = "http://www.w3.org/2001/XMLSchema#"
HOSTILE = [
    '"> } ; DROP ALL ; #',
    "'",
    '"',
    ">",
    "{ }",
    "# comment",
    "line\nbreak",
    "<https://example.org/x> } ; INSERT DATA { <a:b> <a:c> <a:d> } #",
    "gaid:ChatGPT> } ; DROP GRAPH <https://w3id.org/genai-kg/graph/data> ; #",
    "x@en } #",
    '"> } ; DROP ALL ; #@en',
]


@pytest.fixture(scope="module")
def reader() -> FlaskClient:
    """One app for this module's read-only tests; a fresh store for each would cost most of their time."""
    app = create_app(Config(store=None, query_timeout=10.0), kg=shipped_in_memory())
    app.testing = True
    return app.test_client()


def queries() -> dict[str, nq.NamedQuery]:
    return nq.load()


def sample_values(query: nq.NamedQuery) -> dict[str, str]:
    """A value for each parameter that has one to show: its example, else its default, else its first choice."""
    values = {}
    for param in query.params:
        value = param.example or param.default or (param.enum[0] if param.enum else None)
        if value is not None:
            values[param.name] = value
    return values


def rows(client: FlaskClient, name: str, **params: str) -> list[dict[str, str]]:
    """A named query's SELECT results through HTTP, as dicts of compact IRIs and literal values."""
    response = client.get(f"/queries/{name}", query_string=params, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    return [
        {key: compact(term["value"]) if term["type"] == "uri" else term["value"] for key, term in row.items()}
        for row in data["results"]["bindings"]
    ]


def ask(client: FlaskClient, name: str, **params: str) -> bool:
    response = client.get(f"/queries/{name}", query_string=params, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return bool(response.get_json()["boolean"])


def dump(kg: KnowledgeGraph) -> bytes:
    """The whole dataset, canonically ordered, to compare before and after."""
    return b"\n".join(sorted(str(quad).encode() for quad in kg.quads()))


# -- every file ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_header_parses(path: Path) -> None:
    header, body = nq.split_header(path.read_text(encoding="utf-8"))
    query = nq.parse(path.stem, path.read_text(encoding="utf-8"))
    assert header.strip() and body.strip()
    assert query.title and query.description
    assert all(p.type in ("iri", "string", "integer", "decimal", "date", "boolean", "langString") for p in query.params)


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_sparql_parses_unchanged_in_any_tool(path: Path) -> None:
    """The file as it is, with its own PREFIXes and no parameters bound, is a query a plain store accepts."""
    Store().query(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_every_declared_parameter_is_a_variable_of_the_query(path: Path) -> None:
    query = queries()[path.stem]
    body = "\n".join(line for line in query.sparql.splitlines() if not line.lstrip().startswith("#"))
    for param in query.params:
        assert re.search(rf"[?$]{param.name}\b", body), f"{param.name} is not used in {path.name}"


@pytest.mark.parametrize("name", NAMES)
def test_runs_with_its_documented_parameters(name: str, kg: KnowledgeGraph) -> None:
    if name in FEDERATED:
        pytest.skip("calls an endpoint through SERVICE: tests/test_federation.py runs it against a local one")
    query = queries()[name]
    result = query.run(kg, sample_values(query))
    if query.kind == "ask":
        assert isinstance(bool(result), bool)
    else:
        assert list(result)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", NAMES)
def test_hostile_values_are_refused_or_inert(name: str, reader: FlaskClient) -> None:
    client, kg = reader, reader.application.extensions["genai_kg"]
    query = queries()[name]
    before = dump(kg)
    for param in query.params:
        for value in HOSTILE:
            params = {**sample_values(query), param.name: value}
            response = client.get(f"/queries/{name}", query_string=params, headers={"Accept": "application/json"})
            assert response.status_code in (200, 400), (param.name, value, response.status_code)
            if response.status_code == 400:
                assert param.name in response.get_json()["detail"]
                continue
            assert param.type in ("string", "langString"), f"{param.type} accepted {value!r}"
            for row in response.get_json().get("results", {}).get("bindings", []):
                echoed = row.get(param.name)
                if echoed is not None:  # the value comes back as one ordinary literal, unchanged
                    assert echoed["type"] == "literal"
                    assert echoed["value"] in (value, value.rpartition("@")[0])
    if query.params:  # the same through a form
        form = {**sample_values(query), query.params[0].name: HOSTILE[0]}
        response = client.post(f"/queries/{name}", data=form, headers={"Accept": "application/json"})
        assert response.status_code in (200, 400)
    assert dump(kg) == before


@pytest.mark.parametrize("name", NAMES)
def test_every_query_is_documented(name: str) -> None:
    docs = (nq.QUERIES_DIR.parent / "docs" / "named-queries.md").read_text(encoding="utf-8")
    assert f"`{name}`" in docs, f"add {name} to the table of shipped queries in docs/named-queries.md"


# -- answers on the shipped data ------------------------------------------------------------------------


@dataclass(frozen=True)
class Includes:
    """An expected answer that is part of the column's values (the Epoch AI data adds the rest)."""

    values: frozenset[str]


def includes(*values: str) -> Includes:
    return Includes(frozenset(values))


ARTICLE_IMAGE_MODELS = (
    "gaid:DALL-E_3",
    "gaid:Midjourney_v6",
    "gaid:Firefly_Image_Model_4",
    "gaid:Firefly_Image_4_Ultra",
)
ARTICLE_MULTIMODAL = ("gaid:GPT-4_Turbo_with_Vision", "gaid:Gemini_1.5_Pro", "gaid:Claude_3.5")

#: (query, parameters, column, the values that column must hold — a set, a list when order matters, or
#: includes(...) when the Epoch AI data adds more)
ANSWERS: list[tuple[str, dict[str, str], str, Any]] = [
    ("faq-is-chatgpt-an-llm", {}, "poweredBy", {"gaid:GPT-5"}),
    ("faq-is-chatgpt-an-llm", {"system": "gaid:Midjourney"}, "isLLMPoweredProduct", {"false"}),
    ("faq-is-chatgpt-an-llm", {"system": "gaid:Claude_assistant"}, "isLLMPoweredProduct", {"true"}),
    (
        "faq-generative-ai-without-llms",
        {},
        "system",
        includes(
            *ARTICLE_IMAGE_MODELS,
            *("gaid:Runway_Gen-3_Alpha", "gaid:Stable_Audio_2.0", "gaid:Midjourney", "gaid:Adobe_Firefly"),
            *("gaid:Runway", "gaid:Pika", "gaid:Suno", "gaid:Kaedim", "gaid:Meshy", "gaid:StyleGAN"),
        ),
    ),
    ("faq-tool-for-the-job", {"work": "mixed"}, "tool", includes(*ARTICLE_MULTIMODAL)),
    (
        "faq-tool-for-the-job",
        {"work": "media"},
        "because",
        {"gai:ImageGenerator", "gai:VideoGenerator", "gai:AudioGenerator", "gai:ThreeDGenerator"},
    ),
    (
        "models-by-modality",
        {"modality": "gai:ImageModality"},
        "model",
        includes(*ARTICLE_IMAGE_MODELS, "gaid:DALL-E_2"),
    ),
    (
        "models-by-modality",
        {"modality": "gai:ImageModality", "direction": "gai:inputModality"},
        "model",
        includes(*ARTICLE_MULTIMODAL, "gaid:AlexNet"),
    ),
    (
        "models-by-modality",
        {"modality": "gai:VideoModality", "direction": "gai:modality"},
        "model",
        includes("gaid:Runway_Gen-3_Alpha", "gaid:Sora"),
    ),
    ("models-by-modality", {"modality": "gai:MolecularModality"}, "model", includes("gaid:ESM3_98B")),
    (
        "models-by-architecture",
        {"architecture": "gai:DiffusionArchitecture"},
        "model",
        includes("gaid:DALL-E_3", "gaid:Midjourney_v6", "gaid:Stable_Audio_2.0", "gaid:Stable_Diffusion_3"),
    ),
    ("models-by-architecture", {"architecture": "gai:DiffusionArchitecture"}, "definedClass", {"gai:DiffusionModel"}),
    (
        "models-by-architecture",
        {"architecture": "gai:GANArchitecture"},
        "model",
        includes("gaid:StyleGAN", "gaid:GANs"),
    ),
    (
        "models-by-architecture",
        {"architecture": "gai:GANArchitecture"},
        "graph",
        {"https://w3id.org/genai-kg/graph/derived"},
    ),
    ("models-by-architecture", {"architecture": "gai:VAEArchitecture"}, "model", {"gaid:VQ-VAE"}),
    (
        "models-by-organization",
        {"organization": "gaid:Anthropic"},
        "thing",
        includes("gaid:Claude_3_Opus", "gaid:Claude_3.5", "gaid:Claude", "gaid:Claude_3", "gaid:Claude_assistant"),
    ),
    (
        "models-by-organization",
        {"organization": "gaid:Google"},
        "thing",
        includes("gaid:Gemini_chatbot", "gaid:Gemini", "gaid:Gemini_1.5_Pro"),
    ),
    (
        "models-by-organization",
        {"organization": "gaid:Google"},
        "developer",
        includes("gaid:Google", "gaid:Google_DeepMind"),
    ),
    ("multimodal-models", {}, "model", includes(*ARTICLE_MULTIMODAL, "gaid:Claude_3_Opus")),
    ("multimodal-models", {}, "isMultimodalLLM", {"true", "false"}),
    ("products-and-models", {"product": "gaid:ChatGPT"}, "model", {"gaid:GPT-5"}),
    ("products-and-models", {"product": "gaid:ChatGPT"}, "family", {"gaid:GPT"}),
    ("products-and-models", {"product": "gaid:Meta_AI_app"}, "family", {"gaid:Llama"}),
    ("products-and-models", {"product": "gaid:Claude_assistant"}, "family", {"gaid:Claude"}),
    (
        "release-timeline",
        {"fromYear": "2025"},
        "model",
        includes("gaid:Firefly_Image_Model_4", "gaid:GPT-4.5", "gaid:OpenAI_o3"),
    ),
    ("release-timeline", {"fromYear": "2027"}, "model", []),
    ("context-window-ranking", {}, "model", ["gaid:Gemini_1.5_Pro", "gaid:Gemini_1.5_Pro", "gaid:Claude_3_Opus"]),
    ("context-window-ranking", {}, "tokens", ["2000000", "1000000", "200000"]),
    ("context-window-ranking", {"minTokens": "500000"}, "status", ["gai:Consistent", "gai:Disputed"]),
    ("language-count-ranking", {}, "model", ["gaid:Qwen2.5", "gaid:GPT-4.5"]),
    ("language-count-ranking", {}, "status", ["gai:Consistent", "gai:Disputed"]),
    ("language-count-ranking", {"minLanguages": "20"}, "languages", ["29"]),
    ("comparison-table", {}, "feature", ["Scope", "Examples", "Input Type", "Output Type", "Core Function"]),
    ("comparison-table", {}, "llmStatus", ["gai:Consistent"] * 2 + ["gai:Disputed"] + ["gai:Consistent"] * 2),
    ("wikidata-lookup", {"item": "wd:Q115564437"}, "resource", {"gaid:ChatGPT"}),
    ("wikidata-lookup", {"item": "http://www.wikidata.org/entity/Q115305900"}, "resource", {"gai:LargeLanguageModel"}),
    ("wikidata-lookup", {"item": "wd:Q118876059"}, "type", {"gai:ModelFamily", "gai:Product"}),
    ("wikidata-lookup", {"item": "wd:Q1"}, "resource", set()),
    ("article-questions", {"status": "gai:Disputed"}, "question", {"Is ChatGPT an LLM or generative AI?"}),
    (
        "disputed-claims",
        {},
        "claim",
        {
            *("gaid:Claim_FAQ_ChatGPT_is_an_LLM", "gaid:Claim_Table_InputType_LLM"),
            *("gaid:Claim_GPT-4.5_supports_15_languages", "gaid:Claim_Claude_3.5_expected_mid-2025"),
            "gaid:Claim_Gemini_1.5_Pro_context_window_1M",
        },
    ),
    ("model-profile", {"model": "gaid:GPT-4.5"}, "graph", None),
    (
        "search-by-label",
        {"text": "GEMINI 1.5"},
        "resource",
        {
            *("gaid:Gemini_1.5", "gaid:Gemini_1.5_Pro"),
            *("gaid:Claim_Gemini_1.5_Pro_context_window_1M", "gaid:Claim_Gemini_1.5_Pro_context_window_2M"),
        },
    ),
    ("search-by-label", {"text": "dalle"}, "resource", includes("gaid:DALL-E", "gaid:DALL-E_3", "gaid:DALL-E_2")),
    ("search-by-label", {"text": '"> } ; DROP ALL ; #'}, "resource", set()),
    ("resource-by-label", {"label": "Runway ML@en"}, "resource", {"gaid:Runway", "gaid:Runway_company"}),
    ("resource-by-label", {"label": "Runway ML"}, "resource", {"gaid:Runway", "gaid:Runway_company"}),
    ("resource-by-label", {"label": "Runway ML@de"}, "resource", set()),
    ("resource-by-label", {"label": "Llama 3.1-405B"}, "resource", {"gaid:Llama_3.1-405B"}),
    (
        "open-weight-generative-models",
        {"modality": "gai:ImageModality"},
        "model",
        includes("gaid:Stable_Diffusion_XL_SDXL", "gaid:Infinity"),
    ),
    ("open-weight-generative-models", {"modality": "gai:ImageModality", "year": "2024"}, "year", {"2024"}),
    (
        "model-lineage",
        {"model": "gaid:GPT-4o_Mar_2025"},
        "relative",
        ["gaid:GPT-4o_Jan_2025", "gaid:GPT-4o_Nov_2024", "gaid:GPT-4o_Aug_2024", "gaid:GPT-4o_May_2024"],
    ),
    ("model-lineage", {"model": "gaid:GPT-4o_Mar_2025"}, "steps", ["1", "2", "3", "4"]),
    ("model-lineage", {"model": "gaid:Codex"}, "namedOnly", ["GPT-3 13B"]),
    ("largest-model-per-year", {"fromYear": "2020"}, "model", includes("gaid:GPT-3_175B_davinci")),
    ("largest-model-per-year", {"fromYear": "2024"}, "year", includes("2024", "2025")),
    ("generative-vs-discriminative", {"fromYear": "2024"}, "year", ["2024", "2025"]),
    ("organizations-by-generative-models", {"minModels": "40"}, "organization", ["gaid:Google", "gaid:OpenAI"]),
    ("changes-since-article", {}, "model", includes("gaid:Claude_Sonnet_4.5", "gaid:GPT-5.1")),
    ("changes-since-article", {"since": "2099-01-01"}, "model", []),
]


def _answer_id(value: object) -> str:
    """A test id that is the same in every process (a set's order changes with the hash seed)."""
    if isinstance(value, Includes):
        value = value.values
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(map(str, value))) + "}"
    return str(value)[:40]


@pytest.mark.parametrize(("name", "params", "column", "expected"), ANSWERS, ids=_answer_id)
def test_answers_on_the_shipped_data(
    reader: FlaskClient, name: str, params: dict[str, str], column: str, expected: Any
) -> None:
    found = [row[column] for row in rows(reader, name, **params) if column in row]
    if expected is None:
        assert found
    elif isinstance(expected, Includes):
        assert expected.values <= set(found), sorted(expected.values - set(found))
    elif isinstance(expected, list):
        assert found == expected
    else:
        assert set(found) == expected


def test_every_query_has_documented_answers() -> None:
    answered = {name for name, *_ in ANSWERS} | {"faq-are-all-llms-generative-ai"} | FEDERATED
    assert answered == set(NAMES)


def test_chatgpt_is_generative_ai_powered_by_an_llm_but_not_an_llm(client: FlaskClient) -> None:
    """The FAQ says ChatGPT is "both"; the graph says: generative AI, LLM-powered, built on the LLM GPT-5."""
    [row] = rows(client, "faq-is-chatgpt-an-llm")
    assert row == {
        "system": "gaid:ChatGPT",
        "label": "ChatGPT",
        "isGenerativeAI": "true",
        "isLLM": "false",
        "isLLMPoweredProduct": "true",
        "poweredBy": "gaid:GPT-5",
        "poweredByIsLLM": "true",
    }


def test_all_llms_are_generative_ai_by_inference(client: FlaskClient, kg: KnowledgeGraph) -> None:
    assert ask(client, "faq-are-all-llms-generative-ai") is True
    query = queries()["faq-are-all-llms-generative-ai"]
    assert bool(kg.query(query.sparql, infer=False)) is False  # only the inferred graph makes it so


def test_a_profile_separates_asserted_from_inferred_statements(client: FlaskClient) -> None:
    profile = rows(client, "model-profile", model="gaid:GPT-4.5")
    graphs = {(row["property"], row["value"]): row["graph"] for row in profile}
    assert graphs[("rdf:type", "gai:LargeLanguageModel")] == "https://w3id.org/genai-kg/graph/data"
    assert graphs[("rdf:type", "gai:GenerativeAI")] == "https://w3id.org/genai-kg/graph/inferred"
    assert graphs[("gai:releaseDate", "2025-02")] == "https://w3id.org/genai-kg/graph/data"
    assert any(row["property"] == "gai:about" and "Turing Test" in row["value"] for row in profile)


# -- binding ---------------------------------------------------------------------------------------------

BINDINGS: list[tuple[str, str, NamedNode | Literal | None]] = [
    ("iri", "gaid:ChatGPT", NamedNode("https://w3id.org/genai-kg/id/ChatGPT")),
    ("iri", "https://example.org/a#b", NamedNode("https://example.org/a#b")),
    ("iri", "http://example.org/a b", None),
    ("iri", "https://example.org/<x>", None),
    ("iri", 'https://example.org/"', None),
    ("iri", "https://example.org/{x}", None),
    ("iri", "https://example.org/a|b", None),
    ("iri", "https://example.org/^", None),
    ("iri", "https://example.org/`", None),
    ("iri", "https://example.org/\\", None),
    ("iri", "ChatGPT", None),
    ("iri", "", None),
    ("string", '"> } ; DROP ALL ; #', Literal('"> } ; DROP ALL ; #')),
    ("integer", "42", Literal("42", datatype=NamedNode(XSD + "integer"))),
    ("integer", "-007", Literal("-7", datatype=NamedNode(XSD + "integer"))),
    ("integer", "4.2", None),
    ("integer", "1 } #", None),
    ("decimal", "3.14", Literal("3.14", datatype=NamedNode(XSD + "decimal"))),
    ("decimal", "3", Literal("3.0", datatype=NamedNode(XSD + "decimal"))),
    ("decimal", "1e3", None),
    ("date", "2025-02-28", Literal("2025-02-28", datatype=NamedNode(XSD + "date"))),
    ("date", "2025-02-30", None),
    ("date", "2025-02", None),
    ("boolean", "true", Literal("true", datatype=NamedNode(XSD + "boolean"))),
    ("boolean", "0", Literal("false", datatype=NamedNode(XSD + "boolean"))),
    ("boolean", "yes", None),
    ("langString", "chat@en", Literal("chat", language="en")),
    ("langString", "Grüße@de-AT", Literal("Grüße", language="de-at")),
    ("langString", "chat", None),
    ("langString", "chat@en gb", None),
]


@pytest.mark.parametrize(("kind", "raw", "expected"), BINDINGS)
def test_binding(kind: str, raw: str, expected: NamedNode | Literal | None) -> None:
    param = Param("p", kind)
    if expected is None:
        with pytest.raises(BadParameter, match="parameter 'p': expected"):
            bind(param, raw)
    else:
        assert bind(param, raw) == expected


def test_enumeration_is_checked_after_typing() -> None:
    param = Param("m", "iri", enum=("gai:TextModality", "gai:ImageModality"))
    assert bind(param, "https://w3id.org/genai-kg/ontology#ImageModality") == NamedNode(
        "https://w3id.org/genai-kg/ontology#ImageModality"
    )
    with pytest.raises(BadParameter, match="one of gai:TextModality, gai:ImageModality"):
        bind(param, "gai:VideoModality")


def test_defaults_fill_in_and_required_parameters_must_be_given() -> None:
    query = queries()["models-by-modality"]
    assert dict(query.bind({}))["direction"] == NamedNode("https://w3id.org/genai-kg/ontology#outputModality")
    assert "modality" not in dict(query.bind({}))  # optional, no default: left unbound, matching every value
    with pytest.raises(BadParameter, match="'item': required"):
        queries()["wikidata-lookup"].bind({})
    with pytest.raises(BadParameter, match=r"'colour'.*no such parameter"):
        query.bind({"colour": "red"})


# -- broken files fail at start-up -----------------------------------------------------------------------

GOOD_BODY = "PREFIX gai: <https://w3id.org/genai-kg/ontology#>\nSELECT ?m ?x WHERE { ?m gai:outputModality ?x }\n"
BROKEN = {
    "no header": GOOD_BODY,
    "not YAML": "#+ title: [unclosed\n" + GOOD_BODY,
    "no title": "#+ description: x\n" + GOOD_BODY,
    "unknown key": "#+ title: t\n#+ colour: red\n" + GOOD_BODY,
    "unknown type": "#+ title: t\n#+ params:\n#+   - {name: x, type: colour}\n" + GOOD_BODY,
    "unused parameter": "#+ title: t\n#+ params:\n#+   - {name: y, type: iri}\n" + GOOD_BODY,
    "ill-typed default": "#+ title: t\n#+ params:\n#+   - {name: x, type: integer, default: many}\n" + GOOD_BODY,
    "required without example": "#+ title: t\n#+ params:\n#+   - {name: x, type: iri, required: true}\n" + GOOD_BODY,
    "SPARQL syntax": "#+ title: t\nSELECT ?m WHERE { ?m ?p }\n",
    "undeclared prefix": "#+ title: t\nSELECT ?m WHERE { ?m a gai:AIModel }\n",
    "parameter not projected": "#+ title: t\n#+ params:\n#+   - {name: x, type: iri}\n"
    "PREFIX gai: <https://w3id.org/genai-kg/ontology#>\nSELECT ?m WHERE { ?m gai:outputModality ?x }\n",
}


@pytest.mark.parametrize("text", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_file_fails_loading_and_names_the_file(tmp_path: Path, text: str) -> None:
    (tmp_path / "fine.rq").write_text("#+ title: fine\n" + GOOD_BODY)
    (tmp_path / "broken.rq").write_text(text)
    with pytest.raises(nq.QueryFileError, match=r"broken\.rq"):
        nq.load(tmp_path)


def test_a_broken_file_stops_the_app_from_starting(tmp_path: Path, kg: KnowledgeGraph) -> None:
    (tmp_path / "broken.rq").write_text(BROKEN["SPARQL syntax"])
    with pytest.raises(nq.QueryFileError, match=r"broken\.rq.*does not parse"):
        create_app(Config(store=None, queries_dir=tmp_path), kg=kg)


# -- HTTP ------------------------------------------------------------------------------------------------


def test_index_lists_every_file_as_json_and_html(client: FlaskClient) -> None:
    listed = client.get("/queries", headers={"Accept": "application/json"}).get_json()["queries"]
    assert [q["name"] for q in listed] == NAMES
    assert client.get("/queries.json").get_json()["queries"] == listed
    page = client.get("/queries", headers={"Accept": "text/html"})
    assert page.mimetype == "text/html"
    assert all(f"/queries/{name}" in page.get_data(as_text=True) for name in NAMES)


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_the_raw_file_is_served_as_it_is(reader: FlaskClient, path: Path) -> None:
    response = reader.get(f"/queries/{path.stem}.rq")
    assert response.mimetype == "application/sparql-query"
    assert response.get_data(as_text=True) == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("accept", "suffix", "media_type"),
    [
        ("application/sparql-results+json", "", "application/sparql-results+json"),
        ("application/sparql-results+xml", "", "application/sparql-results+xml"),
        ("text/csv", "", "text/csv"),
        ("text/tab-separated-values;q=0.9, text/csv;q=0.5", "", "text/tab-separated-values"),
        ("text/csv", ".json", "application/sparql-results+json"),
        (None, ".tsv", "text/tab-separated-values"),
        (None, "", "application/sparql-results+json"),
    ],
)
def test_results_are_negotiated_as_on_sparql(
    reader: FlaskClient, accept: str | None, suffix: str, media_type: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = reader.get(f"/queries/multimodal-models{suffix}", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert "Gemini" in response.get_data(as_text=True)


def test_a_graph_format_for_a_select_query_is_not_acceptable(client: FlaskClient) -> None:
    assert client.get("/queries/multimodal-models", headers={"Accept": "text/turtle"}).status_code == 406


def test_post_takes_a_form_and_nothing_else(client: FlaskClient) -> None:
    response = client.post(
        "/queries/models-by-modality", data={"modality": "gai:VideoModality"}, headers={"Accept": "text/csv"}
    )
    assert response.status_code == 200
    assert "Runway_Gen-3_Alpha" in response.get_data(as_text=True)
    refused = client.post("/queries/models-by-modality", json={"modality": "gai:VideoModality"})
    assert refused.status_code == 415


@pytest.mark.parametrize(
    ("query_string", "named"),
    [
        ("minTokens=lots", "minTokens"),
        ("minTokens=1&minTokens=2", "minTokens"),
        ("colour=red", "colour"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(client: FlaskClient, query_string: str, named: str) -> None:
    response = client.get(f"/queries/context-window-ranking?{query_string}", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert named in response.get_json()["detail"]


def test_a_missing_required_parameter_says_what_is_expected(client: FlaskClient) -> None:
    response = client.get("/queries/wikidata-lookup", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "'item': required: an absolute IRI" in response.get_json()["detail"]


def test_unknown_queries_and_suffixes_are_404(client: FlaskClient) -> None:
    assert client.get("/queries/no-such-query").status_code == 404
    assert client.get("/queries/multimodal-models.exe").status_code == 404


def test_a_browser_gets_the_query_a_form_and_a_table(client: FlaskClient) -> None:
    page = client.get("/queries/models-by-modality?modality=gai:ImageModality", headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert '<select id="param-modality" name="modality">' in html
    assert "<table>" in html and 'href="/id/DALL-E_3"' in html
    assert "SELECT ?modality ?direction ?model (MIN(STR(?name)) AS ?label)" in html


def test_a_browser_sees_the_form_before_the_required_values(client: FlaskClient) -> None:
    page = client.get("/queries/wikidata-lookup", headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="item"' in html and "<h2>Results</h2>" not in html
    bad = client.get("/queries/wikidata-lookup.html?item=not%20an%20IRI")
    assert bad.status_code == 400 and "parameter &#39;item&#39;" in bad.get_data(as_text=True)


def test_an_ask_query_reads_as_yes_or_no_in_a_browser(client: FlaskClient) -> None:
    html = client.get("/queries/faq-are-all-llms-generative-ai.html").get_data(as_text=True)
    assert "<strong>yes</strong>" in html


# -- a real server process and the command line ---------------------------------------------------------


def test_over_http_values_stay_values(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory")
    url = f"{server.url}/queries/models-by-organization"
    hostile = requests.get(url, params={"organization": '"> } ; DROP ALL ; #'}, timeout=30)
    assert hostile.status_code == 400 and "organization" in hostile.text
    answer = requests.get(url, params={"organization": "gaid:Meta"}, headers={"Accept": "text/csv"}, timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert "Llama_4" in answer.text
    form = requests.post(f"{server.url}/queries/faq-tool-for-the-job", data={"work": "'; DROP ALL; #"}, timeout=30)
    assert form.status_code == 400 and "work" in form.text
    search = f"{server.url}/queries/search-by-label.json"
    inert = requests.get(search, params={"text": '"> } ; DROP ALL ; #'}, timeout=30)
    assert inert.status_code == 200 and inert.json()["results"]["bindings"] == []
    found = requests.get(search, params={"text": "gemini 1.5"}, timeout=30).json()["results"]["bindings"]
    assert {row["resource"]["value"].rsplit("/", 1)[1] for row in found} >= {"Gemini_1.5", "Gemini_1.5_Pro"}
    still = requests.get(f"{server.url}/queries/faq-are-all-llms-generative-ai.json", timeout=30)
    assert still.json()["boolean"] is True


def test_cli_runs_a_named_query_with_parameters(runner: CliRunner, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    args = ["query", "--store", store, "--named", "models-by-modality", "--param", "modality=gai:VideoModality"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "gaid:Runway_Gen-3_Alpha" in result.output and "gaid:Sora" in result.output and " rows)" in result.output
    as_json = runner.invoke(
        main, ["query", "--store", store, "--named", "faq-are-all-llms-generative-ai", "--format", "json"]
    )
    assert '"boolean":true' in as_json.output
    bad = runner.invoke(main, ["query", "--store", store, "--named", "wikidata-lookup", "--param", "item=not an IRI"])
    assert bad.exit_code != 0 and "parameter 'item'" in bad.output
    neither = runner.invoke(main, ["query", "--store", store])
    assert neither.exit_code == 2


def test_cli_lists_the_named_queries(runner: CliRunner) -> None:
    result = runner.invoke(main, ["queries"])
    assert result.exit_code == 0
    assert all(f"{name}:" in result.output for name in NAMES)
    assert "--param item=…  (iri, required)" in result.output


def test_a_construct_query_answers_in_rdf(tmp_path: Path, kg: KnowledgeGraph) -> None:
    """No shipped query is a CONSTRUCT yet; one would be offered the RDF formats, and shown as triples."""
    (tmp_path / "powers.rq").write_text(
        "#+ title: What powers a product\n#+ params:\n#+   - {name: product, type: iri, example: gaid:ChatGPT}\n"
        "PREFIX gai: <https://w3id.org/genai-kg/ontology#>\n"
        "CONSTRUCT { ?product gai:poweredBy ?model } WHERE { ?product gai:poweredBy ?model }\n"
    )
    app = create_app(Config(store=None, queries_dir=tmp_path), kg=kg)
    client = app.test_client()
    turtle = client.get("/queries/powers?product=gaid:ChatGPT", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"
    assert "GPT-5" in turtle.get_data(as_text=True) and "Llama" not in turtle.get_data(as_text=True)
    assert client.get("/queries/powers", headers={"Accept": "text/csv"}).status_code == 406
    html = client.get("/queries/powers.html?product=gaid:ChatGPT").get_data(as_text=True)
    assert 'href="/id/GPT-5"' in html
