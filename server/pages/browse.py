"""Pages for finding one's way: the home page, the modality-by-architecture matrix, the models in a cell, search,
and every resource by class with facets. Each is also data: ``.json`` (and ``.csv`` where it is a table) beside
the HTML, or the same chosen by ``Accept``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from pyoxigraph import NamedNode

from graph import browse, charts, search
from graph.browse import DIRECTIONS, FACETS, MAX_PAGE_SIZE, NONE
from graph.errors import BadParameter
from graph.namespaces import compact, expand
from graph.querying.work import Call

from ..context import get_service
from ..errors import problem
from ..negotiation import choose

bp = Blueprint("browse", __name__)

HTML_JSON = ["text/html", "application/json"]
TABLES = ["text/html", "application/json", "text/csv"]
#: Folders whose index is the page without the slash.
FOLDERS = {
    "api": "openapi.api",
    "matrix": "browse.modality_matrix",
    "ontology": "ontology.ontology",
    "queries": "queries.index",
}


def _format(suffix: str | None, offers: list[str]) -> str:
    """The media type to send: a suffix, else ``Accept`` (HTML for browsers and ``*/*``); 406 otherwise."""
    if suffix is not None and suffix not in ("html", "json", "csv"):
        abort(404)
    chosen = choose(request.headers.get("Accept"), offers, suffix=suffix)
    if chosen is None:
        abort(406, f"this page is available as {', '.join(offers)}")
    return chosen


def _varied(response: Response) -> Response:
    response.vary.add("Accept")
    return response


def _csv(header: list[str], rows: Iterable[Iterable[object]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(out.getvalue(), content_type="text/csv; charset=utf-8")


@bp.get("/")
@bp.get("/index.<suffix>")
def home(suffix: str | None = None) -> Response:
    """What this is, how big it is, and where to start."""
    media = _format(suffix, HTML_JSON)
    found: browse.Home = get_service().value(Call(browse.home), cached=True)
    if media == "application/json":
        return _varied(
            jsonify(
                {
                    "triples": found.stats.triples,
                    "resources": found.stats.subjects,
                    "classes_in_use": len(found.stats.classes),
                    "properties": len(found.stats.properties),
                    "classes": [{"iri": c.value, "label": name, "members": n} for c, name, n in found.classes],
                    "kinds": [{"iri": c.value, "label": name, "members": n} for c, name, n in found.kinds],
                    "links": found.links,
                    "examples": [{"iri": iri, "label": name} for iri, name in found.examples],
                }
            )
        )
    html = render_template(
        "pages/home.html",
        per_year=get_service().value(Call(charts.models_per_year), cached=True),
        stats=found.stats,
        classes=found.classes,
        kinds=found.kinds,
        links=found.links,
        examples=found.examples,
    )
    return _varied(Response(html, mimetype="text/html"))


def _direction() -> str:
    direction = request.args.get("by", "output")
    if direction not in DIRECTIONS:
        raise BadParameter("by", f"must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    return direction


@bp.get("/matrix")
@bp.get("/matrix.<suffix>")
def modality_matrix(suffix: str | None = None) -> Response:
    """Counts of generative AI systems per modality and architecture, each linking to its systems."""
    direction = _direction()  # a bad parameter is a 400 in any format
    media = _format(suffix, TABLES)
    grid: browse.Matrix = get_service().value(Call(browse.matrix, (direction,)), cached=True)
    cells = [
        (m.value, name, a.value, aname, grid.counts.get((m.value, a.value), 0))
        for m, name in grid.modalities
        for a, aname in grid.architectures
    ]
    if media == "text/csv":
        return _varied(_csv(["modality", "modality_label", "architecture", "architecture_label", "count"], cells))
    if media == "application/json":
        keys = ("modality", "modality_label", "architecture", "architecture_label", "count")
        return _varied(
            jsonify({"direction": grid.direction, "cells": [dict(zip(keys, c, strict=True)) for c in cells]})
        )
    parameters = get_service().value(Call(charts.parameters_over_time), cached=True)
    html = render_template(
        "pages/matrix.html", m=grid, directions=list(DIRECTIONS), no_architecture=NONE.value, parameters=parameters
    )
    return _varied(Response(html, mimetype="text/html"))


#: The pictures on their own, as ``/charts/<name>.svg``.
CHARTS = {"models-per-year": charts.models_per_year, "parameters": charts.parameters_over_time}


@bp.get("/charts/<name>.svg")
def chart(name: str) -> Response:
    """One of the pictures of the home page and the matrix, as an SVG document."""
    if name not in CHARTS:
        abort(404)
    svg = get_service().value(Call(CHARTS[name]), cached=True)
    return Response(svg, mimetype="image/svg+xml")


@bp.get("/matrix/models")
def cell() -> Response:
    """The systems of one matrix cell; without a cell, a page that says how to pick one."""
    if not request.args.get("modality") or not request.args.get("architecture"):
        return problem(
            400,
            "Bad Request",
            "This page lists the systems of one cell of the matrix: it needs a modality and an architecture, "
            "e.g. ?modality=gai:Image&architecture=gai:Diffusion. Pick a number in the matrix.",
            extra={"help_link": url_for("browse.modality_matrix"), "help_text": "Pick a cell in the matrix"},
        )
    direction = _direction()
    modality = expand(request.args.get("modality", ""))
    architecture = expand(request.args.get("architecture", ""))
    page = _number("page", 1, 1_000_000)
    found: browse.Cell = get_service().value(Call(browse.cell, (direction, modality, architecture, page)))
    html = render_template(
        "pages/models.html",
        found=found,
        modality=modality,
        architecture=architecture,
        direction=direction,
        labels=found.labels,
        no_architecture=NONE.value,
    )
    return Response(html, mimetype="text/html")


@bp.get("/search")
@bp.get("/search.<suffix>")
def find(suffix: str | None = None) -> Response:
    """Resources by label, for people who know a name but not its IRI."""
    text = request.args.get("q", "")
    if len(text) > 200:
        raise BadParameter("q", "at most 200 characters")
    media = _format(suffix, HTML_JSON)
    found = get_service().value(Call(search.search, (text,)))
    if media == "application/json":
        return _varied(jsonify({"q": text, "results": [{"iri": n.value, "label": name} for n, name in found]}))
    return _varied(Response(render_template("pages/search.html", text=text, found=found), mimetype="text/html"))


def _number(name: str, default: int, top: int) -> int:
    raw = request.args.get(name, str(default))
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= top:
        raise BadParameter(name, f"must be a whole number from 1 to {top}, not {raw!r}")
    return int(raw)


def _iri(name: str, value: str) -> str:
    iri = expand(value.strip())
    try:
        NamedNode(iri)
    except ValueError:
        raise BadParameter(name, f"not an IRI or prefix:Local: {value!r}") from None
    return iri


@bp.get("/id/")
@bp.get("/id.<suffix>")
def index(suffix: str | None = None) -> Response:
    """Every resource of ours, by class, with facets (modality, architecture, organisation, source)."""
    raw_class = request.args.get("class", "").strip()
    type_iri = _iri("class", raw_class) if raw_class else None
    chosen = {name: tuple(_iri(name, v) for v in request.args.getlist(name) if v) for name in FACETS}
    chosen = {name: values for name, values in chosen.items() if values}
    size = _number("size", 50, MAX_PAGE_SIZE)
    page = _number("page", 1, 1_000_000)
    media = _format(suffix, TABLES)
    found: browse.Listing = get_service().value(Call(browse.listing, (type_iri, chosen, page, size)))
    if media == "text/csv":
        return _varied(_csv(["iri", "label"], found.rows))
    if media == "application/json":
        data = asdict(found)
        data["rows"] = [{"iri": iri, "label": name} for iri, name in found.rows]
        data["classes"] = [{"iri": iri, "label": name, "members": n} for iri, name, n in found.classes]
        return _varied(jsonify(data))
    pages = max(1, -(-found.total // size))
    return _varied(
        Response(
            render_template("pages/index.html", found=found, pages=pages, toggle=_toggle, page_link=_page_link),
            mimetype="text/html",
        )
    )


def _query(params: list[tuple[str, str]]) -> str:
    return url_for("browse.index") + ("?" + urlencode(params) if params else "")


def _current() -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.args.items(multi=True) if k != "page" and v]


def _toggle(facet: str, value: str) -> str:
    """The listing's URL with the facet value added, or removed when it is chosen (back to page 1)."""
    params = _current()
    short = compact(value)
    if any(k == facet and expand(v) == value for k, v in params):
        return _query([(k, v) for k, v in params if not (k == facet and expand(v) == value)])
    return _query([*params, (facet, short)])


def _page_link(number: int) -> str:
    return _query([*_current(), ("page", str(number))])


@bp.get("/<any(api, matrix, ontology, queries):folder>/")
def folder(folder: str) -> Response:
    """``/matrix/`` is ``/matrix`` (and so for the other folders): the page without the slash, not a 404."""
    target = url_for(FOLDERS[folder])
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    return redirect(target, code=308)  # type: ignore[return-value]


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for ``/favicon.ico`` whatever the page says: the site's icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)  # type: ignore[return-value]
