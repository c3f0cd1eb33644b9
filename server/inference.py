"""The inference API under ``/infer/``: types, is-a with explanations, the class hierarchy, classification
of a hypothetical description, and consistency. JSON by default, HTML for browsers (or a ``.html`` suffix).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, abort, jsonify, render_template, request

from graph.errors import BadRequest
from graph.inference import api, closure_state
from graph.input_limits import check_rdf
from graph.loading import parse_quads
from graph.querying.work import Call

from .context import get_config, get_graph, get_service, page_layout
from .negotiation import GRAPH_TYPES, choose, rdf_body_format

bp = Blueprint("inference", __name__, url_prefix="/infer")


def init_app(app: Flask) -> None:
    """Register the blueprint (the closure was made current when the store was opened)."""
    app.register_blueprint(bp)


def _param(name: str) -> str:
    value = request.values.get(name, "").strip()
    if not value:
        raise BadRequest(f"missing parameter {name!r} (a full IRI or prefix:Local)")
    return value


def _answer(template: str, data: dict[str, Any], suffix: str | None) -> Response:
    """``data`` as JSON, or rendered with ``infer/<template>.html`` when HTML is asked for."""
    wanted = choose(request.headers.get("Accept"), ["application/json", "text/html"], suffix=suffix)
    if wanted is None:
        abort(406, "this resource is available as application/json and text/html")
    if wanted == "text/html":
        html = render_template(f"infer/{template}.html", base=page_layout("infer/_layout.html"), **data)
        response = Response(html, mimetype="text/html")
    else:
        response = jsonify(data)
    response.vary.add("Accept")
    return response


def _ask(function: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """An answer of :mod:`graph.inference.api`, computed by the query service within the request's budget
    (cached until the next write: the same question on the same generation has the same answer)."""
    return dict(get_service().value(Call(function, args, kind="infer"), cached=True))


@bp.get("/")
@bp.get("/index.<suffix>")
def index(suffix: str | None = None) -> Response:
    """The entailment regime, the closure's state and what the last reasoning did: counts and time."""
    state = closure_state(get_graph())
    data = {
        "state": state.status,
        "generation": state.generation,
        "report": state.report or None,
        "regime": "OWL 2 RL + RDFS, materialised (queries see asserted and inferred triples unless infer=false)",
    }
    return _answer("index", data, suffix)


@bp.get("/types")
@bp.get("/types.<suffix>")
def types(suffix: str | None = None) -> Response:
    """The classes of ?iri=: asserted and inferred, separated."""
    return _answer("types", _ask(api.types, _param("iri")), suffix)


@bp.get("/is-a")
@bp.get("/is-a.<suffix>")
def is_a(suffix: str | None = None) -> Response:
    """Whether ?iri= is a ?class= (instance or subclass), with an explanation when it is."""
    return _answer("is_a", _ask(api.is_a, _param("iri"), _param("class")), suffix)


@bp.get("/explain")
@bp.get("/explain.<suffix>")
def explain_triple(suffix: str | None = None) -> Response:
    """Why ?subject= ?predicate= ?object= (IRIs) holds: asserted, or its derivation; 404 when it does not."""
    names = (_param("subject"), _param("predicate"), _param("object"))
    return _answer("explain", _ask(api.why, *names), suffix)


def _hierarchy(up: bool, suffix: str | None) -> Response:
    return _answer("hierarchy", _ask(api.hierarchy, _param("class"), up), suffix)


@bp.get("/superclasses")
@bp.get("/superclasses.<suffix>")
def superclasses(suffix: str | None = None) -> Response:
    """The superclasses of ?class=: direct, all, and equivalent classes."""
    return _hierarchy(True, suffix)


@bp.get("/subclasses")
@bp.get("/subclasses.<suffix>")
def subclasses(suffix: str | None = None) -> Response:
    """The subclasses of ?class=: direct, all, and equivalent classes."""
    return _hierarchy(False, suffix)


@bp.route("/classify", methods=["GET", "POST"])
@bp.route("/classify.<suffix>", methods=["GET", "POST"])
def classify(suffix: str | None = None) -> Response:
    """The classes a POSTed RDF description (Turtle, JSON-LD, …) would fall into; nothing is stored."""
    if request.method == "GET":
        return _answer("classify", {"results": None, "data": "", "format": "text/turtle"}, suffix)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        text, media = request.form.get("data", ""), request.form.get("format", "text/turtle")
        data = text.encode()
    else:
        data, media = request.get_data(), request.mimetype
        text = data.decode("utf-8", "replace")  # shown again in the form; the parser reads the bytes
    rdf_format = rdf_body_format(media)
    if rdf_format is None:
        abort(415, f"send the description as one of {', '.join(GRAPH_TYPES)}, not {media!r}")
    check_rdf(data, rdf_format, get_config().input_limits(), name="description")
    quads = list(parse_quads(data, rdf_format, base_iri="https://w3id.org/genai-kg/id/", name="description"))
    if not quads:
        raise BadRequest("the description holds no triples")
    results = get_service().value(Call(api.classify, (quads,), kind="infer"))
    return _answer("classify", {"results": results, "data": text, "format": media}, suffix)


@bp.get("/consistency")
@bp.get("/consistency.<suffix>")
def consistency(suffix: str | None = None) -> Response:
    """Disjointness and other OWL 2 RL clashes, and SHACL violations (?shacl=false skips them)."""
    check_shapes = request.args.get("shacl", "true").lower() not in ("false", "0", "no", "off")
    data = get_service().value(Call(api.consistency, (check_shapes,), kind="infer"), cached=True)
    return _answer("consistency", data, suffix)
