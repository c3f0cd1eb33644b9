"""/reconcile: the Reconciliation Service API 0.2, every answer validated against the API's own JSON Schemas.

The schemas and examples are the API's (tests/data/reconciliation-api-0.2, W3C Software and Document License):
the example query batches and data extension queries marked valid are answered, those marked invalid refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from graph.errors import BadRequest
from graph.matching import Candidate, Matcher, candidates
from graph.namespaces import GAI, GAID
from graph.reconciliation import parsing
from server import Config, create_app

from .conftest import shipped_in_memory

API = Path(__file__).parent / "data" / "reconciliation-api-0.2"
SCHEMAS = {path.stem: json.loads(path.read_text()) for path in (API / "schemas").glob("*.json")}
REGISTRY: Registry[Any] = Registry().with_resources(
    (schema["$id"].rstrip("#"), Resource.from_contents(schema, default_specification=DRAFT7))
    for schema in SCHEMAS.values()
)


def valid(name: str, document: Any) -> Any:
    """``document`` after checking it against the API's schema ``name``; the errors name every problem."""
    validator = Draft7Validator(SCHEMAS[name], registry=REGISTRY)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == [], "\n".join(errors)
    return document


def examples(kind: str, verdict: str) -> list[Path]:
    return sorted((API / "examples" / kind / verdict).glob("*.json"))


@pytest.fixture(scope="module")
def app() -> Iterator[Flask]:
    """One app for this module's read-only tests (a store per test would cost most of their time)."""
    built = create_app(Config(store=None, query_timeout=10.0), kg=shipped_in_memory())
    built.testing = True
    yield built


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def reconcile(client: FlaskClient, queries: dict[str, Any], *, method: str = "post") -> dict[str, Any]:
    if method == "post":
        response = client.post("/reconcile", data={"queries": json.dumps(queries)})
    else:
        response = client.get("/reconcile", query_string={"queries": json.dumps(queries)})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body: dict[str, Any] = valid("reconciliation-result-batch", response.get_json())
    assert set(body) == set(queries)
    return body


def top(client: FlaskClient, query: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = reconcile(client, {"q": query})["q"]["result"]
    return result


# -- the manifest ------------------------------------------------------------------------------------------


def test_the_manifest_describes_every_service(client: FlaskClient) -> None:
    response = client.get("/reconcile", headers={"Origin": "http://127.0.0.1:3333"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "http://127.0.0.1:3333")
    manifest = valid("manifest", response.get_json())
    assert manifest["versions"] == ["0.2"]
    assert manifest["identifierSpace"] == GAID and manifest["schemaSpace"] == GAI
    assert manifest["defaultTypes"][:3] == [
        {"id": "AIModel", "name": "AI model"},
        {"id": "Organization", "name": "organization"},
        {"id": "Product", "name": "product"},
    ]
    assert manifest["view"]["url"] == "http://localhost/id/{{id}}"
    assert manifest["preview"]["url"] == "http://localhost/reconcile/preview?id={{id}}"
    assert manifest["batchSize"] == parsing.MAX_BATCH
    for kind in ("entity", "type", "property"):
        service = manifest["suggest"][kind]
        assert service["service_url"] + service["service_path"] == f"http://localhost/reconcile/suggest/{kind}"
    proposals = manifest["extend"]["propose_properties"]
    assert proposals["service_url"] + proposals["service_path"] == "http://localhost/reconcile/properties"


def test_the_view_and_the_preview_of_an_id_resolve(client: FlaskClient) -> None:
    manifest = client.get("/reconcile").get_json()
    for id in (
        "DALL-E_3",
        "GPT-4.5",
        "Llama_3.1-405B",
        "Mila_-_Quebec_AI_originally_Montreal_Institute_for_Learning_Algorithms",
    ):
        for template in (manifest["view"]["url"], manifest["preview"]["url"]):
            path = template.replace("http://localhost", "").replace("{{id}}", quote(id, safe=""))
            assert client.get(path, headers={"Accept": "text/html"}).status_code == 200, path


# -- reconciliation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["DALL·E 3", "DALL-E 3", "DALLE 3", "dall e 3"])
def test_punctuation_does_not_matter(client: FlaskClient, name: str) -> None:
    best = top(client, {"query": name, "type": "AIModel"})[0]
    assert (best["id"], best["name"], best["score"], best["match"]) == ("DALL-E_3", "DALL·E 3", 100, True)
    assert {"id": "ImageGenerator", "name": "image generator"} in best["type"]


def test_a_model_name_matches_its_model(client: FlaskClient) -> None:
    for name, expected in [
        ("GPT-4.5", "GPT-4.5"),
        ("GPT-4 (Mar 2023)", "GPT-4_Mar_2023"),
        ("claude 3 opus", "Claude_3_Opus"),
    ]:
        best = top(client, {"query": name})[0]
        assert (best["id"], best["match"]) == (expected, True), name
        assert 0 <= best["score"] <= 100


def test_an_ambiguous_name_is_never_a_match(client: FlaskClient) -> None:
    """The graph has two GPT-4 models (Epoch AI's March and June 2023 rows) and no resource named just GPT-4."""
    found = top(client, {"query": "GPT-4"})
    assert {c["id"] for c in found[:2]} == {"GPT-4_Mar_2023", "GPT-4_Jun_2023"}
    assert found[0]["score"] == found[1]["score"] == 100
    assert not any(c["match"] for c in found)
    assert [c["score"] for c in found] == sorted((c["score"] for c in found), reverse=True)


def test_a_type_filters_the_candidates(client: FlaskClient) -> None:
    untyped = top(client, {"query": "Claude"})
    assert {"Claude", "Claude_model", "Claude_assistant"} <= {c["id"] for c in untyped[:3]}
    assert not any(c["match"] for c in untyped)
    typed = top(client, {"query": "Claude", "type": "AIModel", "limit": 20})
    assert typed[0]["id"] == "Claude_model" and typed[0]["match"]
    assert "Claude_assistant" not in {c["id"] for c in typed}
    product = top(client, {"query": "Claude", "type": ["Product", "ModelFamily"], "type_strict": "any"})
    assert {c["id"] for c in product if c["score"] == 100} == {"Claude", "Claude_assistant"}
    both = top(client, {"query": "Claude", "type": ["Product", "ModelFamily"], "type_strict": "all"})
    assert both == []


@pytest.mark.parametrize(
    ("developer", "expected"),
    [("Google DeepMind", "Gemini"), ({"id": "Google_DeepMind"}, "Gemini"), ("Google", "Gemini_chatbot")],
)
def test_the_developer_disambiguates(client: FlaskClient, developer: Any, expected: str) -> None:
    """ "Gemini" names a model family (Google DeepMind's) and a chatbot (Google's): the developer tells which."""
    assert not any(c["match"] for c in top(client, {"query": "Gemini"}))
    found = top(client, {"query": "Gemini", "properties": [{"pid": "developedBy", "v": developer}]})
    assert (found[0]["id"], found[0]["match"]) == (expected, True)
    assert {"id": "developer", "value": 2} in found[0]["features"]
    assert found[1]["score"] < found[0]["score"]


def test_a_contradicted_property_lowers_the_score_and_the_match(client: FlaskClient) -> None:
    right = top(client, {"query": "GPT-4.5", "properties": [{"pid": "releaseDate", "v": "2025-02"}]})[0]
    found = top(client, {"query": "GPT-4.5", "properties": [{"pid": "gai:releaseDate", "v": "1999"}]})
    wrong = next(c for c in found if c["id"] == "GPT-4.5")
    assert right["id"] == "GPT-4.5" and not any(c["match"] for c in found)
    assert right["match"] and not wrong["match"] and wrong["score"] < right["score"]
    assert {"id": "property:releaseDate", "value": False} in wrong["features"]


def test_properties_alone_find_what_an_organisation_develops(client: FlaskClient) -> None:
    found = top(client, {"properties": [{"pid": "developedBy", "v": "Anthropic"}], "type": "AIModel", "limit": 50})
    assert "Claude_3_Opus" in {c["id"] for c in found}
    assert not any(c["match"] for c in found)


def test_an_id_is_found_by_its_iri(client: FlaskClient) -> None:
    for query in (GAID + "OpenAI", "gaid:OpenAI"):
        best = top(client, {"query": query})[0]
        assert (best["id"], best["match"]) == ("OpenAI", True)


def test_get_and_post_answer_alike(client: FlaskClient) -> None:
    queries = {"a": {"query": "Midjourney"}, "b": {"query": "Stable Diffusion", "limit": 2}}
    assert reconcile(client, queries, method="get") == reconcile(client, queries, method="post")
    assert len(reconcile(client, queries)["b"]["result"]) == 2


@pytest.mark.parametrize("path", examples("reconciliation-query-batch", "valid"), ids=lambda p: p.name)
def test_the_api_s_valid_query_batches_are_answered(client: FlaskClient, path: Path) -> None:
    batch = json.loads(path.read_text())
    valid("reconciliation-query-batch", batch)
    reconcile(client, batch)


@pytest.mark.parametrize("path", examples("reconciliation-query-batch", "invalid"), ids=lambda p: p.name)
def test_the_api_s_invalid_query_batches_are_refused(client: FlaskClient, path: Path) -> None:
    response = client.post("/reconcile", data={"queries": path.read_text()})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert response.get_json()["detail"].startswith("queries")


HOSTILE = [
    ("not JSON", "{", 400),
    ("a list", "[]", 400),
    ("a query that is not an object", '{"q": 1}', 400),
    ("a query that is a number", '{"q": {"query": 12}}', 400),
    ("no limit", '{"q": {"query": "x", "limit": 0}}', 400),
    ("an infinite limit", '{"q": {"query": "x", "limit": Infinity}}', 400),
    ("a limit that is not a number", '{"q": {"query": "x", "limit": NaN}}', 400),
    ("a boolean limit", '{"q": {"query": "x", "limit": true}}', 400),
    ("an unknown strictness", '{"q": {"query": "x", "type_strict": "maybe"}}', 400),
    ("a property without a value", '{"q": {"query": "x", "properties": [{"pid": "developedBy"}]}}', 400),
    ("a property that is no IRI", '{"q": {"query": "x", "properties": [{"pid": "a b", "v": "c"}]}}', 400),
    ("deep JSON", '{"q": {"query": "x", "properties": [{"pid": "p", "v": ' + "[" * 20 + "]" * 20 + "}]}}", 400),
    ("too many queries", json.dumps({str(n): {"query": "x"} for n in range(101)}), 413),
    ("too long a name", json.dumps({"q": {"query": "x" * 501}}), 413),
    ("too many properties", json.dumps({"q": {"query": "x", "properties": [{"pid": "p", "v": "v"}] * 21}}), 413),
]


@pytest.mark.parametrize(("what", "text", "status"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_batches_are_refused_with_a_message(client: FlaskClient, what: str, text: str, status: int) -> None:
    for response in (
        client.post("/reconcile", data={"queries": text}),
        client.get("/reconcile", query_string={"queries": text}),
    ):
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.get_json()["detail"]


def test_a_large_limit_is_capped(client: FlaskClient) -> None:
    assert len(top(client, {"query": "GPT"})) == parsing.DEFAULT_LIMIT
    assert parsing.DEFAULT_LIMIT < len(top(client, {"query": "GPT", "limit": 10**9})) <= parsing.MAX_LIMIT


# -- suggest, preview --------------------------------------------------------------------------------------


SUGGEST_SCHEMAS = {
    "entity": "suggest-entities-response",
    "type": "suggest-types-response",
    "property": "suggest-properties-response",
}


def suggest(client: FlaskClient, kind: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/reconcile/suggest/{kind}", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = valid(SUGGEST_SCHEMAS[kind], response.get_json())
    result: list[dict[str, Any]] = body["result"]
    return result


def test_suggest_entities_by_part_of_their_name_with_a_cursor(client: FlaskClient) -> None:
    first = suggest(client, "entity", prefix="dalle")
    assert first[0]["name"] == "DALL·E" and "DALL-E_3" in {s["id"] for s in first}
    assert suggest(client, "entity", prefix="dalle", cursor=1, limit=2) == first[1:3]
    assert suggest(client, "entity", prefix="") == []
    assert suggest(client, "entity", prefix="gaid:OpenAI")[0]["id"] == "OpenAI"


def test_suggest_types_and_properties(client: FlaskClient) -> None:
    types = suggest(client, "type", prefix="large lang")
    assert types[0]["id"] == "LargeLanguageModel"
    assert suggest(client, "type", prefix="LLM")[0]["id"] == "LargeLanguageModel"  # its alternative label
    assert {"id": "GenerativeModel", "name": "generative model"} in types[0]["broader"]
    assert len(suggest(client, "type", prefix="", limit=50)) > 20
    properties = suggest(client, "property", prefix="develop")
    assert {"developedBy", "develops"} <= {p["id"] for p in properties}


@pytest.mark.parametrize(
    ("params", "status"),
    [({"cursor": "-1"}, 400), ({"cursor": "x"}, 400), ({"limit": "1000"}, 400), ({"prefix": "x" * 201}, 400)],
)
def test_suggest_bounds_its_inputs(client: FlaskClient, params: dict[str, str], status: int) -> None:
    response = client.get("/reconcile/suggest/entity", query_string={"prefix": "gpt", **params})
    assert response.status_code == status and response.get_json()["detail"]


def test_a_preview_is_small_html_that_openrefine_may_frame(client: FlaskClient) -> None:
    response = client.get("/reconcile/preview", query_string={"id": "DALL-E_3"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<script" not in html and "style=" not in html and len(html) < 2000
    assert "DALL·E 3" in html and 'href="/id/DALL-E_3"' in html and "OpenAI" in html
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "script-src 'self'" in policy
    assert "X-Frame-Options" not in response.headers
    elsewhere = client.get("/reconcile")
    assert "frame-ancestors 'none'" in elsewhere.headers["Content-Security-Policy"]
    assert client.get("/reconcile/preview", query_string={"id": "NoSuchThing"}).status_code == 404
    assert client.get("/reconcile/preview").status_code == 400


# -- data extension ----------------------------------------------------------------------------------------


def extend(client: FlaskClient, query: dict[str, Any]) -> dict[str, Any]:
    valid("data-extension-query", query)
    response = client.post("/reconcile", data={"extend": json.dumps(query)})
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = valid("data-extension-response", response.get_json())
    return body


def test_extend_with_developer_and_release_date(client: FlaskClient) -> None:
    properties = [{"id": "developedBy"}, {"id": "releaseDate"}, {"id": "parameterCount"}, {"id": "skos:altLabel"}]
    body = extend(client, {"ids": ["DALL-E_3", "GPT-4_Mar_2023", "Llama_2-70B"], "properties": properties})
    assert body["meta"][0] == {
        "id": "developedBy",
        "name": "developed by",
        "type": {"id": "Organization", "name": "organization"},
    }
    rows = body["rows"]
    assert rows["DALL-E_3"]["developedBy"] == [{"id": "OpenAI", "name": "OpenAI"}]
    assert rows["DALL-E_3"]["releaseDate"] == [{"date": "2023-10-19T00:00:00Z"}]
    assert rows["DALL-E_3"]["skos:altLabel"] == [{"str": "DALL-E 3"}]
    assert rows["Llama_2-70B"]["parameterCount"] == [{"int": 70_000_000_000}]
    assert rows["GPT-4_Mar_2023"]["developedBy"] == [{"id": "OpenAI", "name": "OpenAI"}]


def test_extend_keeps_partial_dates_as_text_and_limits_values(client: FlaskClient) -> None:
    body = extend(
        client,
        {
            "ids": ["GPT-4.5"],
            "properties": [{"id": "releaseDate"}, {"id": "inputModality", "settings": {"limit": "1"}}],
        },
    )
    assert {"str": "2025-02"} in body["rows"]["GPT-4.5"]["releaseDate"]  # the article's month
    assert {"date": "2025-02-27T00:00:00Z"} in body["rows"]["GPT-4.5"]["releaseDate"]  # Epoch AI's day
    assert len(body["rows"]["GPT-4.5"]["inputModality"]) == 1


@pytest.mark.parametrize("path", examples("data-extension-query", "valid"), ids=lambda p: p.name)
def test_the_api_s_extension_queries_are_answered(client: FlaskClient, path: Path) -> None:
    """Their ids are not ours: every row is there, empty."""
    query = json.loads(path.read_text())
    body = extend(client, query)
    assert set(body["rows"]) == set(query["ids"])
    assert all(values == [] for row in body["rows"].values() for values in row.values())


@pytest.mark.parametrize(
    "text",
    [
        "{",
        '{"ids": []}',
        '{"ids": "x", "properties": []}',
        '{"ids": [1], "properties": []}',
        '{"ids": ["a"], "properties": [{"name": "x"}]}',
        '{"ids": ["a"], "properties": [{"id": "x", "settings": {"limit": "-1"}}]}',
        '{"ids": ["a b"], "properties": [{"id": "developedBy"}]}',
        '{"ids": ["a"], "properties": [{"id": "x", "settings": {"limit": Infinity}}]}',
        '{"ids": ["a"], "properties": [{"id": "x", "settings": {"limit": NaN}}]}',
    ],
)
def test_bad_extension_queries_are_refused(client: FlaskClient, text: str) -> None:
    response = client.post("/reconcile", data={"extend": text})
    assert response.status_code == 400 and response.get_json()["detail"]


def test_property_proposals_follow_the_type(client: FlaskClient) -> None:
    response = client.get("/reconcile/properties", query_string={"type": "AIModel", "limit": "5"})
    body = valid("data-extension-property-proposal", response.get_json())
    assert body["type"] == "AIModel" and len(body["properties"]) == 5
    assert {"releaseDate", "developedBy"} <= {p["id"] for p in body["properties"]}
    organizations = client.get("/reconcile/properties", query_string={"type": "gai:Organization"}).get_json()
    assert "develops" in {p["id"] for p in organizations["properties"]}
    assert "parameterCount" not in {p["id"] for p in organizations["properties"]}
    for untyped in ({}, {"type": ""}):  # OpenRefine sends an empty type for a column reconciled without one
        anything = valid(
            "data-extension-property-proposal", client.get("/reconcile/properties", query_string=untyped).get_json()
        )
        assert {"developedBy", "releaseDate"} <= {p["id"] for p in anything["properties"][:10]}
    for bad in ({"type": "NoSuchClass"}, {"type": "AIModel", "limit": "x"}):
        assert client.get("/reconcile/properties", query_string=bad).status_code == 400


# -- JSONP, CORS -------------------------------------------------------------------------------------------


def test_jsonp_wraps_json_in_a_checked_callback(client: FlaskClient) -> None:
    response = client.get("/reconcile", query_string={"callback": "jQuery1_2.done"})
    assert response.mimetype == "application/javascript"
    text = response.get_data(as_text=True)
    assert text.startswith("/**/jQuery1_2.done(") and text.endswith(");")
    valid("manifest", json.loads(text[len("/**/jQuery1_2.done(") : -2]))
    for bad in ("alert(1)//", "a;b", "", "x" * 400, "1abc"):
        response = client.get("/reconcile/suggest/type", query_string={"prefix": "a", "callback": bad})
        assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_a_preflight_from_another_origin_is_allowed(client: FlaskClient) -> None:
    response = client.options(
        "/reconcile",
        headers={"Origin": "http://localhost:3333", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "http://localhost:3333")


def test_one_parameter_of_each(client: FlaskClient) -> None:
    both = client.post("/reconcile", data={"queries": "{}", "extend": "{}"})
    assert both.status_code == 400
    twice = client.get("/reconcile?queries={}&queries={}")
    assert twice.status_code == 400
    assert client.post("/reconcile", data={}).status_code == 400
    assert client.get("/reconcile", query_string={"queries": "{}"}).get_json() == {}


#: Keys a batch or an extension uses, so that generated documents get past the first checks.
FIELDS = ["query", "type", "limit", "properties", "type_strict", "pid", "v", "id", "name", "ids", "settings"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(document=JSON)
def test_any_json_is_read_or_refused_with_a_message(document: Any) -> None:
    """Whatever a client sends, the readers answer a value or a BadRequest (a 4xx), never another error."""
    text = json.dumps(document)
    for read in (parsing.parse_batch, parsing.parse_extension):
        try:
            read(text)
        except BadRequest as error:
            assert str(error)
    try:
        parsing.parse_batch(json.dumps({"q": document}))
    except BadRequest as error:
        assert str(error)


def test_previews_may_be_framed_only_by_the_cors_origins() -> None:
    config = Config(store=None, query_workers=0, cors_origins=("http://localhost:3333", "http://127.0.0.1:3333"))
    client = create_app(config, kg=shipped_in_memory()).test_client()
    policy = client.get("/reconcile/preview?id=OpenAI").headers["Content-Security-Policy"]
    assert "frame-ancestors http://localhost:3333 http://127.0.0.1:3333" in policy
    assert "frame-ancestors 'none'" in client.get("/reconcile").headers["Content-Security-Policy"]


# -- the matcher's additions for this API ------------------------------------------------------------------

MODEL, PRODUCT, FAMILY = GAI + "AIModel", GAI + "Product", GAI + "ModelFamily"
SMALL = Matcher(
    [
        Candidate("x:family", ("Gemini",), frozenset({FAMILY}), ("Google DeepMind",)),
        Candidate("x:chatbot", ("Gemini",), frozenset({PRODUCT}), ("Google",)),
        Candidate("x:both", ("Gemini",), frozenset({PRODUCT, MODEL}), ("Google",)),
        Candidate("x:other", ("Imagen",), frozenset({MODEL}), ("Google DeepMind",)),
    ]
)


def test_the_matcher_takes_several_types() -> None:
    def found(**options: Any) -> list[str]:
        return [s.candidate.iri for s in SMALL.match("Gemini", **options).candidates]

    assert set(found()) == {"x:both", "x:chatbot", "x:family"}
    assert set(found(type=[FAMILY, MODEL])) == {"x:family", "x:both"}
    assert found(type=[PRODUCT, MODEL], all_types=True) == ["x:both"]
    assert SMALL.match("Gemini", type=[PRODUCT, MODEL], all_types=True).match is not None  # alone: a match
    assert found(type=FAMILY) == ["x:family"]


def test_the_matcher_lists_what_an_organisation_develops() -> None:
    assert [c.iri for c in SMALL.developed_by(["Google DeepMind"])] == ["x:family", "x:other"]
    assert [c.iri for c in SMALL.developed_by(["Google DeepMind"], type=MODEL)] == ["x:other"]
    assert SMALL.developed_by(["Nobody"]) == []


def test_a_closed_store_gives_the_same_candidates_faster() -> None:
    """The reconciliation reads types from the materialised closure; the path gives the same (shipped graph)."""
    kg = shipped_in_memory()
    assert candidates(kg, closed=True) == candidates(kg)
