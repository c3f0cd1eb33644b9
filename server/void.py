"""The dataset's self-description and its dumps: ``/.well-known/void``, ``/dump.ttl`` and ``/dump.nq``.

Dumps stream from a query worker in frames as Oxigraph writes them, within the request's budget, so a large
store never sits in memory as one bytes object.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, render_template

from graph.export import dump_dataset, dump_union
from graph.querying.work import Answer, Call, Stream
from graph.void import DATASET, statistics, void_triples

from .answers import streamed
from .context import get_config, get_service, public_url
from .pages import rdf

bp = Blueprint("void", __name__)


def init_app(app: Flask) -> None:
    """Register the VoID and dump routes."""
    app.register_blueprint(bp)


@bp.get("/.well-known/void")
@bp.get("/.well-known/void.<suffix>")
def void(suffix: str | None = None) -> Response:
    """The VoID description of the dataset, computed from the store (cached until the next write)."""
    media = rdf.variant(suffix)
    stats = get_service().value(Call(statistics, kind="stats"), cached=True)
    triples = void_triples(stats, site=public_url(), endpoints=get_config().allowed_endpoints)
    if media == "text/html":
        turtle = rdf.rdf_body(triples, "text/turtle").decode()
        html = render_template(
            "pages/void.html",
            stats=stats,
            turtle=turtle,
            path="/.well-known/void",
            alternates=[(m, rdf.EXTENSIONS[m]) for m in rdf.OFFERS if m != "text/html"],
        )
        response = Response(html, mimetype="text/html")
    else:
        response = Response(rdf.rdf_body(triples, media), mimetype=media)
    return rdf.linked(response, "/.well-known/void", media, iri=DATASET.value)


def _download(answer: Answer, name: str) -> Response:
    response = streamed(answer)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@bp.get("/dump.nq")
def dump_nquads() -> Response:
    """Every quad of the dataset, named graphs included."""
    return _download(get_service().run(Stream(dump_dataset, kind="dump", budgeted=False)), "genai-kg.nq")


@bp.get("/dump.ttl")
def dump_turtle() -> Response:
    """The default union graph (asserted and inferred triples) as Turtle, in full IRIs (safe for any parser)."""
    return _download(get_service().run(Stream(dump_union, kind="dump", budgeted=False)), "genai-kg.ttl")
