"""Pages for finding one's way: the home page, the modality-by-architecture matrix and the models in a cell."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from graph import browse
from graph.browse import DIRECTIONS, NONE
from graph.errors import BadParameter
from graph.namespaces import expand
from graph.querying.work import Call

from ..context import get_service

bp = Blueprint("browse", __name__)


@bp.get("/")
def home() -> Response:
    """What this is, how big it is, and where to start."""
    found: browse.Home = get_service().value(Call(browse.home), cached=True)
    html = render_template(
        "pages/home.html",
        stats=found.stats,
        classes=found.classes,
        kinds=found.kinds,
        links=found.links,
        examples=found.examples,
    )
    return Response(html, mimetype="text/html")


def _direction() -> str:
    direction = request.args.get("by", "output")
    if direction not in DIRECTIONS:
        raise BadParameter("by", f"must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    return direction


@bp.get("/matrix")
def modality_matrix() -> Response:
    """Counts of generative AI systems per modality and architecture, each linking to its systems."""
    grid = get_service().value(Call(browse.matrix, (_direction(),)), cached=True)
    html = render_template("pages/matrix.html", m=grid, directions=list(DIRECTIONS), no_architecture=NONE.value)
    return Response(html, mimetype="text/html")


@bp.get("/matrix/models")
def cell() -> Response:
    """The systems of one matrix cell."""
    direction = _direction()
    modality = expand(request.args.get("modality", ""))
    architecture = expand(request.args.get("architecture", ""))
    found: browse.Cell = get_service().value(Call(browse.cell, (direction, modality, architecture)))
    html = render_template(
        "pages/models.html",
        models=found.models,
        modality=modality,
        architecture=architecture,
        direction=direction,
        labels=found.labels,
        no_architecture=NONE.value,
    )
    return Response(html, mimetype="text/html")


@bp.get("/search")
def find() -> Response:
    """Resources by label, for people who know a name but not its IRI."""
    text = request.args.get("q", "")
    if len(text) > 200:
        raise BadParameter("q", "at most 200 characters")
    found = get_service().value(Call(browse.search, (text,)))
    return Response(render_template("pages/search.html", text=text, found=found), mimetype="text/html")
