"""The dataset's self-description and its dumps: ``/.well-known/void``, ``/dump.ttl`` and ``/dump.nq``.

Dumps are written by Oxigraph to a temporary file and streamed from there, so a large store never sits in
memory as one bytes object.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO

from flask import Blueprint, Flask, Response, render_template
from pyoxigraph import RdfFormat, serialize

from graph.void import DATASET, cached_statistics, void_triples

from .context import get_graph, public_url
from .pages import rdf

bp = Blueprint("void", __name__)

CHUNK = 256 * 1024
#: The union of all graphs as triples, each once (CONSTRUCT over the default union graph).
UNION = "CONSTRUCT { ?s ?p ?o } WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"


def init_app(app: Flask) -> None:
    """Register the VoID and dump routes."""
    app.register_blueprint(bp)


@bp.get("/.well-known/void")
@bp.get("/.well-known/void.<suffix>")
def void(suffix: str | None = None) -> Response:
    """The VoID description of the dataset, computed from the store (cached until the next write)."""
    media = rdf.variant(suffix)
    stats = cached_statistics(get_graph())
    triples = void_triples(stats, site=public_url())
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


def _stream(file: IO[bytes]) -> Iterator[bytes]:
    with file:
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk


def _download(file: IO[bytes], media: str, name: str) -> Response:
    response = Response(_stream(file), mimetype=media)
    response.call_on_close(file.close)  # also when the body is never read (HEAD, a client gone early)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@bp.get("/dump.nq")
def dump_nquads() -> Response:
    """Every quad of the dataset, named graphs included."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by the response stream, after the last chunk
    get_graph().dump(file, RdfFormat.N_QUADS)
    return _download(file, "application/n-quads", "genai-kg.nq")


@bp.get("/dump.ttl")
def dump_turtle() -> Response:
    """The default union graph (asserted and inferred triples) as Turtle, in full IRIs (safe for any parser)."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by the response stream, after the last chunk
    result = get_graph().query(UNION)
    serialize(result, file, format=RdfFormat.TURTLE)  # type: ignore[arg-type]
    return _download(file, "text/turtle", "genai-kg.ttl")
