"""Pictures of the knowledge graph, drawn server-side as SVG like the class diagram: models per year by output
modality, parameter counts over time on a log scale (generative and not), and a model's lineage.

Each is a function of a knowledge graph returning an SVG document (the query service runs it and keeps it
until the next write). Colours and fonts are presentation attributes, never ``<style>``, so that a page can
show the picture inline under its Content-Security-Policy. Every mark has a ``<title>`` (a tooltip, and what
a screen reader says), and the figures come from queries a reader can run themselves at ``/sparql``.
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from pyoxigraph import Literal, NamedNode, QuerySolutions

from .describe import label
from .namespaces import GAI, compact, page_path
from .store import KnowledgeGraph

FONT = 'font-family="system-ui,-apple-system,Segoe UI,sans-serif" font-size="12" fill="#1d2430"'
MUTED = "#6b7280"
#: Output modalities in the order of the legend, with their colours (colour-blind safe, Okabe and Ito).
MODALITIES = {
    GAI + "TextModality": "#0072b2",
    GAI + "CodeModality": "#56b4e9",
    GAI + "ImageModality": "#e69f00",
    GAI + "VideoModality": "#d55e00",
    GAI + "AudioModality": "#009e73",
    GAI + "MusicModality": "#cc79a7",
    GAI + "ThreeDModality": "#f0e442",
    GAI + "MolecularModality": "#999999",
}
OTHER = "#c9ced6"

#: The first year of each model: its earliest release date, whatever the source (xsd:date, gYearMonth, gYear).
_FIRST_YEAR = "(MIN(SUBSTR(STR(?date), 1, 4)) AS ?year)"

PER_YEAR = f"""
SELECT ?model ?year (GROUP_CONCAT(DISTINCT STR(?output); separator=" ") AS ?outputs) WHERE {{
  {{ SELECT ?model {_FIRST_YEAR} WHERE {{ ?model a gai:AIModel ; gai:releaseDate ?date }} GROUP BY ?model }}
  OPTIONAL {{ ?model gai:outputModality ?output }}
}} GROUP BY ?model ?year"""

PARAMETERS = f"""
SELECT ?model ?year (MAX(?count) AS ?parameters) (SAMPLE(?generative) AS ?isGenerative) WHERE {{
  {{ SELECT ?model {_FIRST_YEAR} WHERE {{ ?model a gai:AIModel ; gai:releaseDate ?date }} GROUP BY ?model }}
  ?model gai:parameterCount ?count .
  BIND(EXISTS {{ ?model a gai:GenerativeAI }} AS ?generative)
}} GROUP BY ?model ?year"""


def _svg(width: float, height: float, title: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'class="chart" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" {FONT}>'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _select(kg: KnowledgeGraph, sparql: str) -> QuerySolutions:
    result = kg.query(sparql)
    assert isinstance(result, QuerySolutions)
    return result


def _year(value: object) -> int | None:
    text = value.value if isinstance(value, Literal) else ""
    return int(text) if text.isdigit() else None


def models_per_year(kg: KnowledgeGraph) -> str:
    """Stacked bars: the models first released each year, by output modality (a model with several counts in
    each); models without one (discriminative: classifiers, detectors, game players) in grey. A scan of the
    models, drawn once per generation (:meth:`~graph.store.KnowledgeGraph.cached`)."""
    return kg.cached("models per year", _models_per_year)


def _models_per_year(kg: KnowledgeGraph) -> str:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in _select(kg, PER_YEAR):
        year = _year(row["year"])
        if year is None:
            continue
        outputs = row["outputs"].value.split() if isinstance(row["outputs"], Literal) else []
        for output in outputs or [""]:
            counts[year][output if output in MODALITIES else ("" if not output else "other")] += 1
    if not counts:
        return _svg(400, 40, "Models per year: none dated", '<text x="8" y="24">No dated models.</text>')
    years = list(range(min(counts), max(counts) + 1))
    tallest = max(sum(c.values()) for c in counts.values())
    left, top, plot_h = 44, 52, 220
    bar = max(4.0, min(18.0, 900 / len(years)))
    width = left + len(years) * bar + 16
    parts = [_legend([*MODALITIES, "other", ""], left, 8, width)]
    for tick in _ticks(tallest):
        y = top + plot_h - tick / tallest * plot_h
        parts.append(f'<line x1="{left}" x2="{width - 8:.0f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{tick}</text>')
    for i, year in enumerate(years):
        x, base = left + i * bar, float(top + plot_h)
        for key in [*MODALITIES, "other", ""]:
            n = counts.get(year, {}).get(key, 0)
            if not n:
                continue
            h = n / tallest * plot_h
            base -= h
            what = _modality_name(key)
            parts.append(
                f'<rect x="{x + 0.5:.1f}" y="{base:.1f}" width="{bar - 1:.1f}" height="{h:.1f}" '
                f'fill="{_colour(key)}"><title>{year}: {n} {escape(what)}</title></rect>'
            )
        if year % 10 == 0 or (len(years) < 30 and year % 5 == 0):
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{year}</text>')
    title = f"Models first released per year, {years[0]} to {years[-1]}, by output modality"
    return _svg(width, top + plot_h + 28, title, "".join(parts))


def parameters_over_time(kg: KnowledgeGraph, link_base: str = "") -> str:
    """A scatter plot: parameter count (log scale) against the year of release, generative models in colour,
    the others in grey; each dot names its model and links to its page. A scan of the models, drawn once per
    generation (:meth:`~graph.store.KnowledgeGraph.cached`)."""
    return kg.cached(f"parameters over time {link_base}", _parameters_over_time, link_base)


def _parameters_over_time(kg: KnowledgeGraph, link_base: str) -> str:
    points = []
    for row in _select(kg, PARAMETERS):
        year, count = _year(row["year"]), row["parameters"]
        try:
            parameters = float(count.value) if isinstance(count, Literal) else 0.0
        except ValueError:
            continue
        if year is None or parameters <= 0 or not isinstance(row["model"], NamedNode):
            continue
        generative = isinstance(row["isGenerative"], Literal) and row["isGenerative"].value == "true"
        points.append((year, parameters, generative, row["model"]))
    if not points:
        return _svg(400, 40, "Parameters over time: no counts", '<text x="8" y="24">No parameter counts.</text>')
    first, last = min(p[0] for p in points), max(p[0] for p in points)
    low = math.floor(math.log10(min(p[1] for p in points)))
    high = math.ceil(math.log10(max(p[1] for p in points)))
    left, top, plot_w, plot_h = 56, 36, 760, 300
    span = max(1, last - first + 1)

    def at(year: float, parameters: float) -> tuple[float, float]:
        x = left + (year - first + 0.5) / span * plot_w
        y = top + plot_h - (math.log10(parameters) - low) / max(1, high - low) * plot_h
        return x, y

    parts = [
        f'<circle cx="{left + 6}" cy="14" r="5" fill="#0072b2"/><text x="{left + 16}" y="18">generative</text>',
        f'<circle cx="{left + 110}" cy="14" r="5" fill="{OTHER}"/><text x="{left + 120}" y="18">not generative</text>',
    ]
    for exponent in range(low, high + 1):
        _, y = at(first, 10.0**exponent)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{_power(exponent)}</text>')
    for year in range(first, last + 1):
        if year % 10 == 0 or (span < 30 and year % 5 == 0):
            x, _ = at(year, 10.0**low)
            parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle">{year}</text>')
    if len(points) > MAX_DOTS:
        parts += _density(points, at, span, plot_w)
        title = f"Parameter counts of {len(points):,} models, {first} to {last}, log scale, shaded by how many"
        return _svg(left + plot_w + 16, top + plot_h + 30, title, "".join(parts))
    # the generative dots last, on top; a dot per model, jittered within its year by its name
    for year, parameters, generative, model in sorted(points, key=lambda p: p[2]):
        x, y = at(year + (zlib.crc32(model.value.encode()) % 80 - 40) / 100, parameters)
        name = f"{label(kg, model)}: {parameters:,.0f} parameters ({year})"
        dot = (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="{"#0072b2" if generative else OTHER}" '
            f'fill-opacity="0.8"><title>{escape(name)}</title></circle>'
        )
        path = page_path(model.value)
        parts.append(f'<a href="{escape(link_base + path)}">{dot}</a>' if path else dot)
    title = f"Parameter counts of {len(points)} models, {first} to {last}, log scale"
    return _svg(left + plot_w + 16, top + plot_h + 30, title, "".join(parts))


#: Above this many models the scatter plot becomes a density: a dot per model, each with its name and link,
#: made the matrix page 18.5 MB and took 14 s at 100,000 models.
MAX_DOTS = 2000


def _density(
    points: list[tuple[int, float, bool, NamedNode]],
    at: Callable[[float, float], tuple[float, float]],
    span: int,
    plot_w: float,
) -> list[str]:
    """A square per year and half-decade of parameters that holds models, shaded by how many (log scale) and
    coloured by what most of them are (generative or not), each titled with its figures."""
    bins: dict[tuple[int, int], list[int]] = {}
    for year, parameters, generative, _ in points:
        tally = bins.setdefault((year, math.floor(2 * math.log10(parameters))), [0, 0])
        tally[0] += 1
        tally[1] += generative
    most = max(n for n, _ in bins.values())
    width = plot_w / span
    parts = []
    for (year, half), (n, generative_models) in sorted(bins.items()):
        x, _ = at(year - 0.5, 1.0)
        _, bottom = at(year, 10 ** (half / 2))
        _, top = at(year, 10 ** ((half + 1) / 2))
        shade = 0.25 + 0.75 * math.log1p(n) / math.log1p(most)
        colour = "#0072b2" if 2 * generative_models >= n else OTHER
        low, high = 10 ** (half / 2), 10 ** ((half + 1) / 2)
        words = f"{year}: {n:,} models ({generative_models:,} generative), {low:,.0f} to {high:,.0f} parameters"
        parts.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{width:.1f}" height="{bottom - top:.1f}" fill="{colour}" '
            f'fill-opacity="{shade:.2f}"><title>{escape(words)}</title></rect>'
        )
    return parts


@dataclass
class _Node:
    iri: str
    name: str
    depth: int  # < 0 ancestors, 0 the model, > 0 descendants


#: Lineage links: gai:baseModel (fine-tuned or distilled from) and gai:variantOf (a size or dated variant).
LINKS = (NamedNode(GAI + "baseModel"), NamedNode(GAI + "variantOf"))
MAX_GENERATIONS, MAX_PER_GENERATION = 6, 12


def lineage(kg: KnowledgeGraph, iri: str, link_base: str = "") -> str | None:
    """The lineage of the model ``iri``: what it is based on (up to six generations), and what is based on
    it (as many), each generation in a row, at most twelve a row; None when it has no lineage links."""
    start = NamedNode(iri)
    nodes: dict[str, _Node] = {iri: _Node(iri, label(kg, start), 0)}
    edges: list[tuple[str, str, str]] = []  # (child, parent, link)
    for step in (-1, 1):
        frontier = [start]
        for generation in range(1, MAX_GENERATIONS + 1):
            found: list[NamedNode] = []
            for current in frontier:
                for predicate in LINKS:
                    pattern = kg.quads(current, predicate, None) if step < 0 else kg.quads(None, predicate, current)
                    for quad in pattern:
                        other = quad.object if step < 0 else quad.subject
                        if not isinstance(other, NamedNode):
                            continue
                        child, parent = (current, other) if step < 0 else (other, current)
                        edge = (child.value, parent.value, compact(predicate.value))
                        if edge not in edges:
                            edges.append(edge)
                        if other.value not in nodes and len(found) < MAX_PER_GENERATION:
                            nodes[other.value] = _Node(other.value, label(kg, other), step * generation)
                            found.append(other)
            frontier = found
    if len(nodes) == 1:
        return None
    rows: dict[int, list[_Node]] = defaultdict(list)
    for entry in nodes.values():
        rows[entry.depth].append(entry)
    depths = sorted(rows)
    box_w, box_h, gap_x, gap_y = 150, 26, 14, 44
    width = max(len(r) for r in rows.values()) * (box_w + gap_x) + gap_x
    place: dict[str, tuple[float, float]] = {}
    for r, depth in enumerate(depths):
        row = sorted(rows[depth], key=lambda n: n.name.lower())
        offset = (width - len(row) * (box_w + gap_x) + gap_x) / 2
        for i, placed in enumerate(row):
            place[placed.iri] = (offset + i * (box_w + gap_x), 12 + r * (box_h + gap_y))
    parts = []
    for lower, upper, kind in edges:
        if lower in place and upper in place:
            (cx, cy), (px, py) = place[lower], place[upper]
            dash = ' stroke-dasharray="4 3"' if kind == "gai:variantOf" else ""
            # the older model above: the arrow goes from the model down to what was built on it
            parts.append(
                f'<line x1="{px + box_w / 2:.1f}" y1="{py + box_h:.1f}" x2="{cx + box_w / 2:.1f}" y2="{cy:.1f}" '
                f'stroke="#8a94a6" stroke-width="1.2"{dash}><title>{escape(kind)}</title></line>'
            )
    for drawn in nodes.values():
        x, y = place[drawn.iri]
        shown = drawn.name if len(drawn.name) <= 22 else drawn.name[:21] + "…"
        fill, stroke = ("#fff6e5", "#c27c00") if drawn.depth == 0 else ("#eaf1ff", "#3763c4")
        box = (
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{box_w}" height="{box_h}" rx="5" fill="{fill}" stroke="{stroke}"/>'
            f'<text x="{x + box_w / 2:.1f}" y="{y + 17:.1f}" text-anchor="middle">{escape(shown)}</text>'
        )
        path = page_path(drawn.iri)
        title = f"<title>{escape(drawn.name)}</title>"
        parts.append(f'<a href="{escape(link_base + path)}">{title}{box}</a>' if path else f"<g>{title}{box}</g>")
    height = 12 + len(depths) * (box_h + gap_y) - gap_y + 12
    title = f"Lineage of {nodes[iri].name}: based on (above) and basis of (below); dashed: variant of"
    return _svg(width, height, title, "".join(parts))


def _legend(keys: list[str], x: float, y: float, width: float) -> str:
    parts, at, line = [], x, y
    for key in keys:
        name = _modality_name(key)
        step = 22 + len(name) * 6.6
        if at + step > width:
            at, line = x, line + 18
        parts.append(
            f'<rect x="{at:.0f}" y="{line}" width="12" height="12" fill="{_colour(key)}"/>'
            f'<text x="{at + 16:.0f}" y="{line + 10}">{escape(name)}</text>'
        )
        at += step
    return "".join(parts)


def _modality_name(key: str) -> str:
    if key == "":
        return "no output modality (not generative)"
    if key == "other":
        return "other output"
    return key.removeprefix(GAI).removesuffix("Modality").replace("ThreeD", "3D").lower()


def _colour(key: str) -> str:
    return MODALITIES.get(key, "#7f7f7f" if key == "other" else OTHER)


def _ticks(tallest: int) -> list[int]:
    """Gridlines from zero at a round step (1, 2, 2.5 or 5 times a power of ten), at most six above zero,
    however tall the tallest bar (a year of 10,000 models had no step and failed the home page).

    >>> _ticks(7), _ticks(60), _ticks(11_234)
    ([0, 2, 4, 6], [0, 10, 20, 30, 40, 50, 60], [0, 2000, 4000, 6000, 8000, 10000])
    """
    steps = (m * 10**k for k in itertools.count() for m in (1, 2, 2.5, 5))
    step = next(int(s) for s in steps if s == int(s) and tallest / s <= 6)
    return list(range(0, tallest + 1, step))


def _power(exponent: int) -> str:
    names = {3: "1K", 6: "1M", 9: "1B", 12: "1T"}
    return names.get(exponent, f"1e{exponent}")
