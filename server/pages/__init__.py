"""The linked-data site: resource pages, ontology documentation, the home page and the browsing matrix."""

from __future__ import annotations

from flask import Flask

from graph.namespaces import compact, page_path

from . import browse, ontology, resources
from .links import href, term_html, tokens_html


def init_app(app: Flask) -> None:
    """Register the page blueprints and the helpers their templates use."""
    app.jinja_env.globals.update(href=href, page_path=page_path, term=term_html, tokens=tokens_html, compact=compact)
    for blueprint in (browse.bp, ontology.bp, resources.bp):
        app.register_blueprint(blueprint)
