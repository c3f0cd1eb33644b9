"""The linked-data site: resource pages, ontology documentation, the home page and the browsing matrix."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask
from pyoxigraph import NamedNode

from graph.describe import labels
from graph.inference.wording import indefinite_article
from graph.named_queries import NamedQuery, split_header
from graph.namespaces import compact, expand, page_path
from graph.querying.work import Call

from ..context import get_service, link
from . import browse, ontology, resources
from .links import href, link_html, term_html, tokens_html

#: Where the OWL 2 RL rules (``cax-sco``, ``cls-svf1``, …) are defined: every rule code links there.
OWL_RL_TABLE = "https://www.w3.org/TR/owl2-profiles/#Reasoning_in_OWL_2_RL_and_RDF_Graphs_using_Rules"


def label_of(name: str) -> str:
    """The label of a term given as an IRI or ``prefix:Local`` (as a page's parameters give it), else its
    compact form: page titles name things, not IRIs."""
    iri = expand(name.strip())
    try:
        node = NamedNode(iri)
    except ValueError:
        return name
    found: dict[str, str] = get_service().value(Call(labels, ([node],)))
    return found.get(iri) or compact(iri)


def editor_link(query: NamedQuery) -> str:
    """The query editor with a named query's SPARQL open in it (without its ``#+`` header), which can lead back."""
    return link("/sparql") + "#" + urlencode({"query": split_header(query.sparql)[1].lstrip("\n"), "name": query.name})


def init_app(app: Flask) -> None:
    """Register the page blueprints and the helpers their templates use."""
    app.jinja_env.globals.update(
        href=href,
        link_to=link_html,
        page_path=page_path,
        term=term_html,
        tokens=tokens_html,
        compact=compact,
        expand=expand,
        label_of=label_of,
        owl_rl_table=OWL_RL_TABLE,
        editor_link=editor_link,
    )
    app.jinja_env.filters["article"] = indefinite_article
    app.jinja_env.tests["iri"] = lambda value: isinstance(value, NamedNode)
    for blueprint in (browse.bp, ontology.bp, resources.bp):
        app.register_blueprint(blueprint)
