"""Errors and browsing as a user meets them: the branded error page or problem+json, "did you mean …",
folders with a slash, the faceted resource listing, and every browsing page as data (JSON, CSV).

The pages only read, so one app serves the module.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from graph import KnowledgeGraph, browse, describe, stats
from graph.namespaces import GAI, GAID
from server import Config, create_app

from .conftest import shipped_in_memory

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance"}


@pytest.fixture(scope="module")
def site() -> Iterator[FlaskClient]:
    app = create_app(Config(store=None, token="t", query_workers=0), kg=shipped_in_memory())
    app.testing = True
    yield app.test_client()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/no/such/page", 404),
        ("/id/NoSuchThing", 404),
        ("/ontology/NoSuchTerm", 404),
        ("/matrix?by=sideways", 400),
        ("/id/?size=100000", 400),
        ("/search?q=" + "x" * 300, 400),
        ("/queries/no-such-query", 404),
    ],
)
def test_errors_are_a_branded_page_for_browsers_and_problem_json_for_the_rest(
    site: FlaskClient, path: str, status: int
) -> None:
    page = site.get(path, headers=HTML)
    assert page.status_code == status and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert 'class="brand"' in text and 'action="/search"' in text and "Werkzeug" not in text
    for accept in ({}, {"Accept": "*/*"}, {"Accept": "application/json"}, {"Accept": "application/problem+json"}):
        answer = site.get(path, headers=accept)
        assert answer.status_code == status and answer.mimetype == "application/problem+json", accept
        body = answer.get_json(force=True)
        assert set(body) >= PROBLEM_MEMBERS and body["status"] == status and body["instance"] == path.split("?")[0]
    plain = site.get(path, headers={"Accept": "text/plain"})
    assert plain.mimetype == "text/plain" and plain.status_code == status


def test_an_unknown_resource_suggests_close_names(site: FlaskClient) -> None:
    page = site.get("/id/GPT_4o", headers=HTML).get_data(as_text=True)
    assert "Did you mean" in page and 'href="/id/GPT-4o_mini"' in page
    problem = site.get("/id/GPT_4o", headers={"Accept": "text/turtle"}).get_json(force=True)
    assert GAID + "GPT-4o_mini" in [s["iri"] for s in problem["suggestions"]]


@pytest.mark.parametrize(
    ("path", "target"),
    [("/matrix/", "/matrix"), ("/ontology/", "/ontology"), ("/queries/", "/queries"), ("/api/", "/api")],
)
def test_folders_with_a_slash_lead_to_their_page(site: FlaskClient, path: str, target: str) -> None:
    answer = site.get(path + "?by=input", headers=HTML)
    assert answer.status_code == 308 and answer.headers["Location"] == target + "?by=input"
    assert site.get(path, headers=HTML, follow_redirects=True).status_code == 200


def test_the_favicon_is_the_site_icon(site: FlaskClient) -> None:
    with site.get("/favicon.ico", follow_redirects=True) as answer:
        assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"


def test_a_matrix_cell_without_parameters_says_how_to_pick_one(site: FlaskClient) -> None:
    page = site.get("/matrix/models", headers=HTML)
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "needs a modality and an architecture" in page.get_data(as_text=True) and 'href="/matrix"' in page.get_data(
        as_text=True
    )


def test_the_listing_filters_by_class_and_facets_and_counts_each_value(site: FlaskClient) -> None:
    everything = site.get("/id.json").get_json()
    llms = site.get("/id.json?class=gai:LargeLanguageModel").get_json()
    assert 0 < llms["total"] < everything["total"] and llms["type"] == GAI + "LargeLanguageModel"
    assert set(llms["facets"]) == {"modality", "architecture", "organisation", "source"}
    image = next(v for v in llms["facets"]["modality"] if v["iri"] == GAI + "ImageModality")
    narrowed = site.get("/id.json?class=gai:LargeLanguageModel&modality=gai:ImageModality").get_json()
    assert narrowed["total"] == image["count"] and all(
        v["count"] <= image["count"] for f in narrowed["facets"].values() for v in f
    )
    assert next(v for v in narrowed["facets"]["modality"] if v["iri"] == GAI + "ImageModality")["chosen"]
    page = site.get("/id/?class=gai:LargeLanguageModel&modality=gai:ImageModality", headers=HTML)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "large language model" in text
    # the chosen value's link removes it; another value's link adds it
    assert 'href="/id/?class=gai%3ALargeLanguageModel"' in text
    assert "modality=gai%3AImageModality&amp;modality=gai%3ATextModality" in text


def test_the_listing_pages_are_bounded_and_also_csv(site: FlaskClient) -> None:
    first = site.get("/id.json?size=5").get_json()
    second = site.get("/id.json?size=5&page=2").get_json()
    assert len(first["rows"]) == 5 and not {r["iri"] for r in first["rows"]} & {r["iri"] for r in second["rows"]}
    table = list(csv.reader(io.StringIO(site.get("/id.csv?size=5").get_data(as_text=True))))
    assert table[0] == ["iri", "label"] and [r[0] for r in table[1:]] == [r["iri"] for r in first["rows"]]
    for bad in ("size=0", "size=201", "page=0", "page=x", "class=%3C", "colour=red&modality=%20%3C"):
        assert site.get(f"/id.json?{bad}").status_code == 400, bad


@pytest.mark.parametrize(
    ("path", "key"),
    [("/", "classes"), ("/matrix", "cells"), ("/search?q=gpt", "results"), ("/id/", "rows")],
)
def test_browsing_pages_are_also_json(site: FlaskClient, path: str, key: str) -> None:
    json_path = {"/": "/index.json", "/id/": "/id.json"}.get(
        path, path.replace("?", ".json?") if "?" in path else path + ".json"
    )
    by_suffix = site.get(json_path)
    assert by_suffix.status_code == 200 and by_suffix.mimetype == "application/json" and by_suffix.get_json()[key]
    html_path = path
    by_accept = site.get(html_path, headers={"Accept": "application/json"})
    assert by_accept.mimetype == "application/json" and "Accept" in by_accept.headers["Vary"]
    assert site.get(html_path, headers=HTML).mimetype == "text/html"


def test_the_matrix_is_also_csv(site: FlaskClient) -> None:
    answer = site.get("/matrix.csv?by=input")
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert rows and sum(int(r["count"]) for r in rows) > 0


@pytest.mark.parametrize("name", ["GPT-4.5", "OpenAI"])
def test_every_inferred_row_has_a_why_link_that_explains_it(site: FlaskClient, name: str) -> None:
    page = site.get(f"/id/{name}", headers=HTML).get_data(as_text=True)
    types = re.findall(r'href="(/infer/is-a\?[^"]+)"', page)
    statements = re.findall(r'href="(/infer/explain\?[^"]+)"', page)
    assert types and (statements or name != "OpenAI")
    assert "why is it a AI" not in page and ("why is it an AI system?" in page or name == "OpenAI")
    for link in types + statements:
        explained = site.get(html.unescape(link), headers=HTML)
        assert explained.status_code == 200, link
        assert "<strong>Yes.</strong>" in explained.get_data(as_text=True) or "/infer/explain" in link


def test_explanations_name_things_by_label_and_gloss_each_rule(site: FlaskClient) -> None:
    page = site.get("/infer/is-a?iri=gaid:ChatGPT&class=gai:LLMPoweredProduct", headers=HTML).get_data(as_text=True)
    assert "<title>Is ChatGPT an LLM-powered product? · genai-kg</title>" in page
    assert "cls-svf1: something related by the property" in page
    assert 'href="https://www.w3.org/TR/owl2-profiles/#Reasoning_in_OWL_2_RL_and_RDF_Graphs_using_Rules"' in page
    why = site.get("/infer/explain?subject=gaid:ChatGPT&predicate=rdf:type&object=gai:AISystem", headers=HTML).get_data(
        as_text=True
    )
    assert (
        "<title>Why ChatGPT rdf:type AI system · genai-kg</title>" in why
        and "https://w3id.org" not in why.split("<title>")[1].split("</title>")[0]
    )


def test_pages_never_show_anonymous_classes_as_types(site: FlaskClient) -> None:
    for name in ("ChatGPT", "GPT-4.5", "Stable_Diffusion_3"):
        page = site.get(f"/id/{name}", headers=HTML).get_data(as_text=True)
        chips = page.split('id="types"')[1].split("</ul>")[0] if 'id="types"' in page else ""
        assert "genid" not in chips and 'class="blank"' not in chips and 'class="expr"' not in chips


def test_term_pages_say_how_much_each_term_is_used(site: FlaskClient) -> None:
    prop = site.get("/ontology/outputModality", headers=HTML).get_data(as_text=True)
    assert re.search(r"used in \d{2,} triples as the property", prop)
    cls = site.get("/ontology/LargeLanguageModel", headers=HTML).get_data(as_text=True)
    assert re.search(r'<a href="/id/\?class=gai(:|%3A)LargeLanguageModel">\d+ instances</a>', cls)


def test_the_ontology_tables_define_each_property_and_count_its_uses(site: FlaskClient) -> None:
    page = site.get("/ontology", headers=HTML).get_data(as_text=True)
    row = page.split('<tr id="outputModality">')[1].split("</tr>")[0]
    assert 'class="definition">A modality of the new content' in row and re.search(r"used in \d+ triples", row)


def test_the_void_page_is_tables_with_the_turtle_behind_a_link(site: FlaskClient) -> None:
    page = site.get("/.well-known/void", headers=HTML).get_data(as_text=True)
    assert page.count('<table class="void">') == 2 and "<pre" not in page and 'href="/.well-known/void.ttl"' in page


def test_editor_examples_have_clean_titles_and_no_header(site: FlaskClient) -> None:
    page = site.get("/sparql", headers=HTML).get_data(as_text=True)
    config = json.loads(re.search(r'id="editor-config">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert config["examples"] and not any(e["title"][:1] in "'\"" for e in config["examples"])
    assert not any(line.startswith("#+") for e in config["examples"] for line in e["query"].splitlines())
    assert "#+" not in config["query"] and config["queries"] == "/queries/"
    named = site.get("/queries/multimodal-models", headers=HTML).get_data(as_text=True)
    assert 'class="open-in-editor" href="/sparql#query=' in named and "name=multimodal-models" in named


def test_every_page_and_the_cli_count_alike(site: FlaskClient) -> None:
    home = site.get("/index.json").get_json()
    figures = stats.compute(shipped_in_memory())
    assert (home["classes_in_use"], home["resources"], home["properties"]) == (
        figures.classes,
        figures.resources,
        figures.properties,
    )
    void = site.get("/.well-known/void", headers=HTML).get_data(as_text=True)
    assert f'Classes <span class="muted">({figures.classes})</span>' in void
    ontology = site.get("/ontology", headers=HTML).get_data(as_text=True)
    assert f"the data uses {figures.classes} classes" in ontology


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("llm", GAI + "LargeLanguageModel"),  # its alternative label, exactly
        ("diffusion", GAI + "DiffusionModel"),  # the ontology's term before the systems named so
        ("openai", GAID + "OpenAI"),
    ],
)
def test_search_ranks_by_label_alternative_label_and_type(site: FlaskClient, text: str, first: str) -> None:
    results = site.get("/search.json", query_string={"q": text}).get_json()["results"]
    assert results[0]["iri"] == first
    iris = [r["iri"] for r in results]
    claims = [i for i, iri in enumerate(iris) if "/id/Claim_" in iri]
    systems = [i for i, iri in enumerate(iris) if iri.startswith(GAID) and "/id/Claim_" not in iri]
    assert not claims or not systems or min(claims) > min(systems)


def test_the_ontology_draws_its_properties_as_edges_from_domain_to_range(site: FlaskClient) -> None:
    page = site.get("/ontology", headers=HTML).get_data(as_text=True)
    svg = page.split('class="property-diagram"')[1].split("</svg>")[0]
    assert svg.count('class="arrow"') >= 10
    for name in ("output modality", "powered by", "member of"):
        assert f">{name}</text>" in svg
    assert 'href="/ontology/outputModality"' in svg and 'href="/ontology/GenerativeAI"' in svg


def test_a_long_listing_names_its_resources_as_a_short_one(kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``FEW`` resources the labels come from one read of every label: the same names, the same order."""
    short = [browse.listing(kg, None, {}, page, 50).rows for page in (1, 2, 7)]
    monkeypatch.setattr(describe, "FEW", 0)
    assert [browse.listing(kg, None, {}, page, 50).rows for page in (1, 2, 7)] == short
    assert all(short)


def test_a_matrix_cell_is_paged(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browse, "CELL_PAGE", 3)
    url = "/matrix/models?modality=gai:TextModality&architecture=gai:TransformerArchitecture&by=output"
    first = client.get(url).get_data(as_text=True)
    total = int(re.search(r"</em>:\s*([\d,]+)\.</p>", first).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert total > 6 and first.count('<li><a href="/id/') == 3 and 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get(url + "&page=2").get_data(as_text=True)
    assert 'rel="prev"' in second and "page 2 of" in second
    assert set(re.findall(r'href="(/id/[^"]+)"', first)).isdisjoint(re.findall(r'href="(/id/[^"]+)"', second))
    assert client.get(url + f"&page={total}").status_code == 400
