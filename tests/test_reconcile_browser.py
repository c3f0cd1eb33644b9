"""/reconcile as OpenRefine uses it from a browser: a page of another origin calls the API (CORS) and shows a
preview in a frame, in headless Chromium against a real server; the site's other pages refuse to be framed."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .conftest import ServerProcess, local_endpoint

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")

CHROMIUM = os.environ.get("GENAI_KG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

if not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium", allow_module_level=True)


@pytest.fixture
def page(serve: Callable[..., ServerProcess]) -> Iterator[tuple[Any, str, str]]:
    """A browser page, the service's URL, and the URL of a client page served from another origin (on the
    loopback, as OpenRefine is: Chromium keeps public pages from framing or calling loopback services)."""
    server = serve("--memory")
    body = (
        f'<!doctype html><title>client</title><iframe id="preview" src="{server.url}/reconcile/preview?id=DALL-E_3">'
        f'</iframe><iframe id="page" src="{server.url}/id/DALL-E_3"></iframe>'
    ).encode()
    with local_endpoint(200, body, "text/html; charset=utf-8") as client, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser.new_page(), server.url, client.url + "/"
        browser.close()


def test_another_origin_reconciles_and_frames_a_preview(page: tuple[Any, str, str]) -> None:
    browser_page, service, client = page
    browser_page.goto(client)
    heading = browser_page.frame_locator("#preview").locator("h1")
    heading.wait_for(state="attached", timeout=30_000)
    assert heading.text_content() == "DALL·E 3"
    queries = json.dumps({"q0": {"query": "DALLE 3", "type": "AIModel"}})
    answer = browser_page.evaluate(
        """async ([url, queries]) => {
             const body = new URLSearchParams({queries});
             const response = await fetch(url, {method: "POST", body});
             return await response.json();
           }""",
        [service + "/reconcile", queries],
    )
    assert answer["q0"]["result"][0]["id"] == "DALL-E_3" and answer["q0"]["result"][0]["match"] is True
    framed = browser_page.query_selector("#page").content_frame()  # the linked-data page refuses to be framed
    assert framed.url.startswith("chrome-error://") and "DALL·E 3" not in framed.content()
