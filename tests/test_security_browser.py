"""Stored XSS in a real browser: hostile labels and IRIs rendered by headless Chromium run no script of theirs.

The hostile data of ``tests/test_security.py`` is written into a real server, then every page that shows
it is opened: no dialog opens, ``window.__xss`` (which each payload would set) stays unset, no link has a
scheme other than http(s) or mailto, the page after the JSON-LD block is whole, and the browser reports
no console error — a payload that the Content-Security-Policy had to block would show there, so a clean
console means that none even tried. The vendored front ends (YASGUI, Swagger UI) work under the policy.
"""

from __future__ import annotations

from typing import Any

import requests

from graph.namespaces import GRAPH_DATA

from . import test_browser
from .test_browser import Watched
from .test_security import AUTH, HOSTILE, LABEL

#: The browser and the watched page of tests/test_browser.py (a headless Chromium, requests kept local).
browser, site = test_browser.browser, test_browser.site

PAGES = [
    "/id/Evil",
    "/search?q=script",
    "/queries/model-profile.html?model=gaid:Evil",
    "/infer/types.html?iri=gaid:Evil",
    "/ontology",
]
#: Links whose scheme is not one a page may link to.
BAD_LINKS = """() => Array.from(document.querySelectorAll('a[href], area[href]'))
    .map(a => a.getAttribute('href'))
    .filter(h => !/^(https?:|mailto:|[\\/?#])/i.test(h.trim()))"""


def seed(base: str) -> None:
    response = requests.post(
        f"{base}/store",
        params={"graph": GRAPH_DATA.value},
        data=HOSTILE.encode(),
        headers={"Content-Type": "text/turtle", **AUTH},
        timeout=60,
    )
    assert response.status_code in (201, 204), response.text


def test_hostile_data_runs_no_script_on_any_page(site: tuple[str, Watched]) -> None:
    base, watched = site
    seed(base)
    page: Any = watched.page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in PAGES:
        page.goto(base + path)
        page.wait_for_load_state("load")
        assert page.evaluate("() => window.__xss") is None, path
        assert page.evaluate(BAD_LINKS) == [], path
    page.goto(base + "/id/Evil")
    assert page.locator("h1").inner_text(timeout=5_000) == LABEL
    assert page.locator("footer.site").is_visible(timeout=5_000)  # the page after the JSON-LD block is all there
    described = page.evaluate(
        "() => JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
    )
    assert any(value["@value"] == LABEL for node in described["@graph"] for value in node.get("rdfs:label", []))
    assert dialogs == []


def test_the_editor_shows_hostile_results_without_running_them(site: tuple[str, Watched]) -> None:
    base, watched = site
    seed(base)
    page: Any = watched.page
    page.goto(base + "/sparql")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.evaluate(
        "() => { window.genaiKgEditor.getTab().setQuery("
        "'SELECT ?link ?label WHERE { <https://w3id.org/genai-kg/id/Evil> "
        "<http://www.w3.org/2000/01/rdf-schema#seeAlso> ?link ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?label }'); }"
    )
    page.locator(".yasqe_queryButton").click()
    page.locator(".yasr table tbody tr").first.wait_for(timeout=15_000)
    assert "javascript:window.__xss=1" in page.locator(".yasr table").inner_text()
    assert page.evaluate(BAD_LINKS) == []
    assert page.evaluate("() => window.__xss") is None


def test_the_api_page_works_under_the_policy(site: tuple[str, Watched]) -> None:
    base, watched = site
    page: Any = watched.page
    page.goto(base + "/api")
    page.locator(".opblock").first.wait_for(timeout=15_000)
    assert page.locator(".opblock").count() > 20
    assert page.evaluate("() => window.__xss") is None
