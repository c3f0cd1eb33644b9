"""Pages for finding one's way: the home page, the modality-by-architecture matrix and the models in a cell."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from pyoxigraph import NamedNode

from graph.browse import DIRECTIONS, NONE, class_counts, matrix, models_in, search
from graph.describe import exists, label, labels
from graph.errors import BadParameter
from graph.namespaces import GAI, GAID, expand
from graph.void import cached_statistics

from ..context import get_graph

bp = Blueprint("browse", __name__)

#: The defined "kinds of model" the home page offers as entry points.
KINDS = [
    "TextGenerator",
    "ImageGenerator",
    "VideoGenerator",
    "AudioGenerator",
    "MusicGenerator",
    "CodeGenerator",
    "ThreeDGenerator",
    "MultimodalLLM",
    "DiffusionModel",
    "TransformerBasedModel",
    "LLMPoweredProduct",
]


#: Instances the home page offers as examples (those the graph holds).
EXAMPLES = ["ChatGPT", "GPT-4.5", "OpenAI", "Gemini_1.5_Pro", "Midjourney_v6", "DALL-E_3", "Suno"]


@bp.get("/")
def home() -> Response:
    """What this is, how big it is, and where to start."""
    kg = get_graph()
    stats = cached_statistics(kg)
    counts = class_counts(kg, stats.classes)
    by_iri = {c.value: (c, name, n) for c, name, n in counts}
    kinds = [by_iri[GAI + k] for k in KINDS if GAI + k in by_iri]
    links = sum(sum(per.values()) for per in stats.linksets.values())
    examples = [(GAID + name, label(kg, NamedNode(GAID + name))) for name in EXAMPLES if exists(kg, GAID + name)]
    html = render_template("pages/home.html", stats=stats, classes=counts, kinds=kinds, links=links, examples=examples)
    return Response(html, mimetype="text/html")


def _direction() -> str:
    direction = request.args.get("by", "output")
    if direction not in DIRECTIONS:
        raise BadParameter("by", f"must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    return direction


@bp.get("/matrix")
def modality_matrix() -> Response:
    """Counts of generative AI systems per modality and architecture, each linking to its systems."""
    grid = matrix(get_graph(), _direction())
    html = render_template("pages/matrix.html", m=grid, directions=list(DIRECTIONS), no_architecture=NONE.value)
    return Response(html, mimetype="text/html")


@bp.get("/matrix/models")
def cell() -> Response:
    """The systems of one matrix cell."""
    kg = get_graph()
    direction = _direction()
    modality = expand(request.args.get("modality", ""))
    architecture = expand(request.args.get("architecture", ""))
    found = models_in(kg, modality, architecture, direction)
    names = labels(kg, [NamedNode(modality), NamedNode(architecture)])
    names[NONE.value] = "no architecture recorded"
    html = render_template(
        "pages/models.html",
        models=found,
        modality=modality,
        architecture=architecture,
        direction=direction,
        labels=names,
        no_architecture=NONE.value,
    )
    return Response(html, mimetype="text/html")


@bp.get("/search")
def find() -> Response:
    """Resources by label, for people who know a name but not its IRI."""
    text = request.args.get("q", "")
    if len(text) > 200:
        raise BadParameter("q", "at most 200 characters")
    html = render_template("pages/search.html", text=text, found=search(get_graph(), text))
    return Response(html, mimetype="text/html")
