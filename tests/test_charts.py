"""The pictures (graph/charts.py): their figures are the graph's, they link to pages, they follow writes, and
the pages show them inline under the Content-Security-Policy (no ``<style>``, no script)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from flask.testing import FlaskClient
from pyoxigraph import QuerySolutions

from graph import KnowledgeGraph, charts
from graph.namespaces import GAID

SVG = "{http://www.w3.org/2000/svg}"


def titles(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(SVG + "title")]


def count(kg: KnowledgeGraph, sparql: str) -> int:
    result = kg.query(sparql)
    assert isinstance(result, QuerySolutions)
    return int(next(iter(result))["n"].value)


def test_models_per_year_counts_what_the_graph_says(kg: KnowledgeGraph) -> None:
    svg = charts.models_per_year(kg)
    assert "<style" not in svg and "<script" not in svg
    text_2023 = count(
        kg,
        """SELECT (COUNT(*) AS ?n) WHERE {
             { SELECT ?m (MIN(SUBSTR(STR(?d), 1, 4)) AS ?y) WHERE { ?m a gai:AIModel ; gai:releaseDate ?d } GROUP BY ?m }
             FILTER(?y = "2023") FILTER EXISTS { ?m gai:outputModality gai:TextModality } }""",
    )
    assert text_2023 > 10 and f"2023: {text_2023} text" in titles(svg)
    assert any(t.startswith("2014: ") and t.endswith("(not generative)") for t in titles(svg))


@pytest.mark.parametrize("tallest", [1, 6, 7, 999, 6_001, 12_345, 10**9])
def test_the_gridlines_fit_any_height(tallest: int) -> None:
    ticks = charts._ticks(tallest)
    assert ticks[0] == 0 and 1 <= len(ticks) - 1 <= 6 and ticks[-1] <= tallest < ticks[-1] + ticks[1]


def test_parameters_over_time_has_a_dot_per_model_linked_to_its_page(kg: KnowledgeGraph) -> None:
    svg = charts.parameters_over_time(kg)
    dots = re.findall(r'<a href="(/id/[^"]+)"><circle [^>]*fill="(#[0-9a-f]+)"', svg)
    models = count(
        kg, "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a gai:AIModel ; gai:parameterCount ?p ; gai:releaseDate ?d }"
    )
    assert len(dots) == models > 500
    colours = dict(dots)
    assert colours["/id/VGG16"] == charts.OTHER  # an image classifier: not generative
    assert colours["/id/Codex"] != charts.OTHER  # a code generator
    assert any(t.startswith("VGG16: 138,000,000 parameters") for t in titles(svg))


def test_parameters_over_time_shades_a_density_above_its_dots(
    kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``MAX_DOTS`` models a square per year and half-decade, titled with its count, replaces the dots."""
    dots = len(re.findall(r"<circle [^>]*><title>", charts.parameters_over_time(kg)))
    monkeypatch.setattr(charts, "MAX_DOTS", 100)
    kg.extensions.clear()  # drawn again, not the picture kept for this generation
    svg = charts.parameters_over_time(kg)
    assert svg.count("<circle") == 2 and 'href="/id/' not in svg  # the legend's two
    counts = [int(c.replace(",", "")) for c in re.findall(r": ([\d,]+) models \(", " ".join(titles(svg)))]
    assert sum(counts) == dots and max(counts) > 1


def test_lineage_shows_ancestors_and_descendants_and_follows_writes(kg: KnowledgeGraph) -> None:
    palm = charts.lineage(kg, GAID + "PaLM_540B")
    assert palm is not None
    for descendant in ("Flan-PaLM_540B", "Minerva_540B", "PaLM-E"):
        assert f'href="/id/{descendant}"' in palm
    assert charts.lineage(kg, GAID + "OpenAI") is None  # no lineage links: no picture
    kg.update("INSERT DATA { GRAPH <urn:t> { gaid:MyPaLM gai:baseModel gaid:Flan-PaLM_540B } }")
    grown = charts.lineage(kg, GAID + "PaLM_540B")
    assert grown is not None and 'href="/id/MyPaLM"' in grown  # two generations down


def test_pages_show_the_pictures_inline(client: FlaskClient) -> None:
    home = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert re.search(r'<figure class="chart card"><svg [^>]*class="chart"', home)
    matrix = client.get("/matrix", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'id="parameters"' in matrix and matrix.count("<circle") > 500
    page = client.get("/id/PaLM_540B", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'id="lineage"' in page and 'href="/id/Minerva_540B"' in page
    assert 'id="lineage"' not in client.get("/id/OpenAI", headers={"Accept": "text/html"}).get_data(as_text=True)
    for page_html in (home, matrix, page):
        assert "<style" not in page_html.split("<figure", 1)[1].split("</figure>", 1)[0]


def test_each_picture_on_its_own(client: FlaskClient) -> None:
    for name in ("models-per-year", "parameters"):
        response = client.get(f"/charts/{name}.svg")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        ET.fromstring(response.get_data(as_text=True))  # well-formed XML
    assert client.get("/charts/nothing.svg").status_code == 404
