"""The site in a real browser: headless Chromium (Debian's) driven by Playwright against a real server process.

Every request the browser makes is routed through a check: anything not for 127.0.0.1 is refused and fails
the test, so the pages are proven to work offline. Console errors and page errors fail the test too.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.both_backends

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")

CHROMIUM = os.environ.get("GENAI_KG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

if not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@dataclass
class Watched:
    """A page whose outside requests and console errors are collected."""

    page: Any
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def check(self) -> None:
        assert self.outside == [], f"requests left 127.0.0.1: {self.outside}"
        assert self.errors == [], f"console errors: {self.errors}"


@pytest.fixture
def site(browser: Any, serve: Callable[..., Any]) -> Iterator[tuple[str, Watched]]:
    server = serve("--memory")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watched = Watched(page)

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            request_route.continue_()
        else:
            watched.outside.append(url)
            request_route.abort()

    context.route("**/*", route)
    page.on("console", lambda message: message.type == "error" and watched.errors.append(message.text))
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    yield server.url, watched
    context.close()
    watched.check()


def test_resource_page_renders_and_its_links_navigate(site: tuple[str, Watched]) -> None:
    base, watched = site
    page = watched.page
    page.goto(base + "/id/ChatGPT")
    assert page.locator("h1").inner_text() == "ChatGPT"
    assert "https://w3id.org/genai-kg/id/ChatGPT" in page.locator(".canonical").inner_text()
    assert page.locator(".chips li.inferred").count() >= 3  # inferred types are marked
    page.locator("table.statements a", has_text="OpenAI").first.click()
    page.wait_for_url(base + "/id/OpenAI")
    assert page.locator("h1").inner_text() == "OpenAI"
    page.locator("table.incoming a", has_text="ChatGPT").first.click()
    page.wait_for_url(base + "/id/ChatGPT")
    page.locator(".chips li.inferred a.why").first.click()
    page.wait_for_url("**/infer/is-a?**")
    assert page.locator("body").inner_text().strip() != ""


def test_ontology_page_shows_the_class_diagram(site: tuple[str, Watched]) -> None:
    base, watched = site
    page = watched.page
    page.goto(base + "/ontology")
    diagram = page.locator("figure.diagram svg.class-diagram")
    assert diagram.is_visible()
    box = diagram.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 300
    labels = diagram.locator("text").all_text_contents()
    for name in ("generative AI", "generative model", "large language model", "multimodal large language model"):
        assert name in labels
    diagram.locator("a", has_text="large language model").first.click()
    page.wait_for_url(base + "/ontology/LargeLanguageModel")
    assert page.locator("h1").inner_text() == "large language model"


def test_editor_runs_a_query_and_shows_a_table(site: tuple[str, Watched]) -> None:
    base, watched = site
    page = watched.page
    page.goto(base + "/sparql")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.evaluate(
        "() => { window.genaiKgEditor.getTab().setQuery("
        "'PREFIX gai: <https://w3id.org/genai-kg/ontology#>\\n"
        "SELECT ?model WHERE { ?model a gai:MultimodalLLM } ORDER BY ?model'); }"
    )
    page.locator(".yasqe_queryButton").click()
    rows = page.locator(".yasr table tbody tr")
    rows.first.wait_for(timeout=15_000)
    assert rows.count() >= 2
    assert "Gemini_1.5_Pro" in page.locator(".yasr table").inner_text()
    # result links to our IRIs open our own pages
    assert page.locator('.yasr table a[href="/id/Gemini_1.5_Pro"]').count() == 1
    # the examples menu loads a named query into the editor
    page.locator("#examples").select_option(index=1)
    page.locator("#load-example").click()
    assert "SELECT" in page.evaluate("() => window.genaiKgEditor.getTab().getQuery()").upper()


def test_home_and_matrix_navigate(site: tuple[str, Watched]) -> None:
    base, watched = site
    page = watched.page
    page.goto(base + "/")
    assert "generative AI" in page.locator("h1").inner_text()
    page.locator("header nav a", has_text="Matrix").click()
    page.wait_for_url(base + "/matrix")
    page.locator('a.count[href*="modality=gai:ImageModality"][href*="DiffusionArchitecture"]').click()
    page.wait_for_url("**/matrix/models?**")
    page.locator(".chips a", has_text="DALL").click()
    page.wait_for_url(base + "/id/DALL-E_3")
    page.locator("header form.search input").fill("midjourney")
    page.locator("header form.search input").press("Enter")
    page.wait_for_url("**/search?q=midjourney")
    page.locator("main table a", has_text="Midjourney v6").click()
    page.wait_for_url(base + "/id/Midjourney_v6")
    page.goto(base + "/.well-known/void")
    assert page.locator("table.void").count() == 2 and page.locator("pre").count() == 0
    assert "void:Dataset" in page.locator("main").inner_text()


def test_editor_knows_our_prefixes_switches_inferences_and_shares_queries(site: tuple[str, Watched]) -> None:
    base, watched = site
    page = watched.page
    page.goto(base + "/queries/multimodal-models")
    page.locator("a.open-in-editor").click()
    page.wait_for_selector(".yasqe .CodeMirror")
    opened = page.evaluate("() => window.genaiKgEditor.getTab().getQuery()")
    assert "SELECT" in opened and "#+" not in opened
    assert page.locator("#named-link").is_visible()  # and back to the named query
    assert page.locator("#named-link").get_attribute("href") == "/queries/multimodal-models"
    # no PREFIX lines: the server declares gai:, and so does the editor's syntax check
    query = "SELECT ?model WHERE { ?model a gai:MultimodalLLM } ORDER BY ?model"
    page.evaluate(f"() => {{ window.genaiKgEditor.getTab().setQuery({query!r}); }}")
    page.wait_for_timeout(400)
    assert page.evaluate("() => window.genaiKgEditor.getTab().getYasqe().queryValid")
    assert page.locator(".yasqe_queryButton.query_error").count() == 0
    assert not page.locator("#named-link").is_visible()  # the text is no longer the named query's
    page.locator(".yasqe_queryButton").click()
    rows = page.locator(".yasr table tbody tr")
    rows.first.wait_for(timeout=15_000)
    assert rows.count() >= 2
    # without inferences, nothing is a multimodal LLM (the class is defined, never asserted)
    page.locator("#infer").uncheck()
    with page.expect_response(lambda r: r.url.endswith("/sparql") and r.request.method == "POST") as answer:
        page.locator(".yasqe_queryButton").click()
    assert "infer=false" in (answer.value.request.post_data or "")
    assert answer.value.json()["results"]["bindings"] == []
    # the address bar holds the query: opening it again opens the same text
    shared = page.locator("#share-link").get_attribute("href")
    assert shared.startswith("/sparql#query=") and page.url.endswith(shared)
    page.goto("about:blank")
    page.goto(base + shared)
    page.wait_for_selector(".yasqe .CodeMirror")
    assert page.evaluate("() => window.genaiKgEditor.getTab().getQuery()") == query


def test_pages_fit_a_phone_and_explain_inferred_rows(site: tuple[str, Watched]) -> None:
    base, watched = site
    page = watched.page
    page.set_viewport_size({"width": 420, "height": 860})
    for path in ("/", "/matrix", "/id/?class=gai:LargeLanguageModel", "/id/GPT-4.5", "/ontology"):
        page.goto(base + path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 420, (path, width)
    # every inferred row of a resource page, type or statement, says why
    page.goto(base + "/id/GPT-4.5")
    assert page.locator("table.statements tr.inferred").count() >= 1
    assert (
        page.locator("table.statements tr.inferred a.why").count()
        == page.locator("table.statements tr.inferred td:nth-child(3) a.why").count()
    )
    page.locator("table.statements tr.inferred a.why").first.click()
    page.wait_for_url("**/infer/explain?**")
    assert "https://" not in page.title()
    # facets narrow the listing and can be removed again
    page.goto(base + "/id/?class=gai:LargeLanguageModel")
    total = page.locator("p.lead").inner_text()
    page.locator('details[data-facet="modality"] a', has_text="image").first.click()
    page.wait_for_url("**modality=gai%3AImageModality**")
    assert page.locator("p.lead").inner_text() != total
    page.locator('details[data-facet="modality"] a.on').click()
    page.wait_for_url(base + "/id/?class=gai%3ALargeLanguageModel")
