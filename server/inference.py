"""The inference API under ``/infer/``: types, is-a with explanations, the class hierarchy, classification
of a hypothetical description, and consistency. JSON by default, HTML for browsers (or a ``.html`` suffix).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, render_template, request
from jinja2 import TemplateNotFound
from pyoxigraph import RdfFormat

from graph.errors import BadRequest, NotFound
from graph.inference import Reasoner, reasoner_of
from graph.inference.classify import classify as classify_description
from graph.inference.consistency import clashes, shape_violations
from graph.inference.explanation import explain, resolve
from graph.inference.explanation import is_a as entails
from graph.inference.hierarchy import neighbours
from graph.inference.hierarchy import types as types_of
from graph.loading import parse_quads

from .context import GRAPH, get_graph
from .negotiation import choose

bp = Blueprint("inference", __name__, url_prefix="/infer")

#: Body types ``classify`` reads, besides anything else RdfFormat knows by media type.
CLASSIFY_FORMATS = ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]


def init_app(app: Flask) -> None:
    """Register the blueprint and materialise the inferences before the first request."""
    reasoner_of(app.extensions[GRAPH])
    app.register_blueprint(bp)


def get_reasoner() -> Reasoner:
    return reasoner_of(get_graph())


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
        response = Response(render_template(f"infer/{template}.html", base=_base(), **data), mimetype="text/html")
    else:
        response = jsonify(data)
    response.vary.add("Accept")
    return response


def _base() -> str:
    """The page layout: the site's ``base.html`` when the pages blueprint provides one, else ours."""
    try:
        current_app.jinja_env.get_template("base.html")
    except TemplateNotFound:
        return "infer/_layout.html"
    return "base.html"


def _plain(value: Any) -> Any:
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) and not isinstance(value, type) else value


@bp.get("/")
@bp.get("/index.<suffix>")
def index(suffix: str | None = None) -> Response:
    """The entailment regime and the last materialisation or update: counts and time."""
    report = get_reasoner().last
    data = {
        "report": _plain(report),
        "regime": "OWL 2 RL + RDFS, materialised (queries see asserted and inferred triples unless infer=false)",
    }
    return _answer("index", data, suffix)


@bp.get("/types")
@bp.get("/types.<suffix>")
def types(suffix: str | None = None) -> Response:
    """The classes of ?iri=: asserted and inferred, separated."""
    reasoner = get_reasoner()
    iri = _param("iri")
    with reasoner.lock:  # ids are only meaningful for the closure they were resolved against
        found = types_of(reasoner, resolve(reasoner, iri, what="resource"))
    return _answer("types", {"iri": iri, **_plain(found)}, suffix)


@bp.get("/is-a")
@bp.get("/is-a.<suffix>")
def is_a(suffix: str | None = None) -> Response:
    """Whether ?iri= is a ?class= (instance or subclass), with an explanation when it is."""
    reasoner = get_reasoner()
    iri, cls = _param("iri"), _param("class")
    with reasoner.lock:
        holds, explanation = entails(
            reasoner, resolve(reasoner, iri, what="resource"), resolve(reasoner, cls, what="class")
        )
    data: dict[str, Any] = {"iri": iri, "class": cls, "result": holds}
    data["explanation"] = explanation.as_json() if explanation else None
    return _answer("is_a", data, suffix)


@bp.get("/explain")
@bp.get("/explain.<suffix>")
def explain_triple(suffix: str | None = None) -> Response:
    """Why ?subject= ?predicate= ?object= (IRIs) holds: asserted, or its derivation; 404 when it does not."""
    reasoner = get_reasoner()
    data: dict[str, Any] = {name: _param(name) for name in ("subject", "predicate", "object")}
    with reasoner.lock:
        s, p, o = (resolve(reasoner, data[name], what=name) for name in ("subject", "predicate", "object"))
        if (s, p, o) not in reasoner.closure:
            raise NotFound("the knowledge graph neither states nor entails this triple")
        data["explanation"] = explain(reasoner, (s, p, o)).as_json()
    return _answer("explain", data, suffix)


def _hierarchy(up: bool, suffix: str | None) -> Response:
    reasoner = get_reasoner()
    cls = _param("class")
    with reasoner.lock:
        found = neighbours(reasoner, resolve(reasoner, cls, what="class"), up=up)
    return _answer(
        "hierarchy", {"class": cls, "direction": "superclasses" if up else "subclasses", **_plain(found)}, suffix
    )


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
    else:
        text, media = request.get_data(as_text=True), request.mimetype
    rdf_format = RdfFormat.from_media_type(media) if media else None
    if rdf_format is None:
        abort(415, f"send the description as one of {', '.join(CLASSIFY_FORMATS)}, not {media!r}")
    quads = list(parse_quads(text.encode(), rdf_format, base_iri="https://w3id.org/genai-kg/id/", name="description"))
    if not quads:
        raise BadRequest("the description holds no triples")
    results = []
    for found in classify_description(get_reasoner(), quads):
        item = _plain(dataclasses.replace(found, explanations={}))
        item["explanations"] = {c: e.as_json() for c, e in found.explanations.items()}
        results.append(item)
    return _answer("classify", {"results": results, "data": text, "format": media}, suffix)


@bp.get("/consistency")
@bp.get("/consistency.<suffix>")
def consistency(suffix: str | None = None) -> Response:
    """Disjointness and other OWL 2 RL clashes, and SHACL violations (?shacl=false skips them)."""
    found = [_plain(c) for c in clashes(get_reasoner())]
    check_shapes = request.args.get("shacl", "true").lower() not in ("false", "0", "no", "off")
    shacl = [_plain(v) for v in shape_violations(get_graph())] if check_shapes else []
    data = {"consistent": not found, "conforms": not shacl, "disjointness": found, "shacl": shacl}
    return _answer("consistency", data, suffix)
