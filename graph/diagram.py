"""The class hierarchy as an SVG picture, laid out in pure Python (no graphviz needed at run time).

The picture is an indented tree of the ``gai:`` classes by their nearest superclass, asserted or inferred;
defined classes (owl:equivalentClass, membership inferred) are drawn dashed. Each box links to its page.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from pyoxigraph import NamedNode

from .describe import RDFS, TYPE, label
from .docs import OWL
from .namespaces import GAI, GRAPH_ONTOLOGY, page_path
from .store import KnowledgeGraph

ROW, INDENT, BOX, PAD, CHAR = 30, 30, 22, 10, 7.7
SUBCLASS = NamedNode(RDFS + "subClassOf")
EQUIVALENT = NamedNode(OWL + "equivalentClass")


@dataclass
class Node:
    """A class in the picture."""

    iri: str
    label: str
    defined: bool
    parents: list[str]
    descendants: int = 0
    primary: str | None = None
    depth: int = 0
    row: int = 0


def _classes(kg: KnowledgeGraph) -> dict[str, Node]:
    quads = kg.quads(None, TYPE, NamedNode(OWL + "Class"), GRAPH_ONTOLOGY)
    named = sorted(
        {q.subject.value for q in quads if isinstance(q.subject, NamedNode) and q.subject.value.startswith(GAI)}
    )
    supers: dict[str, set[str]] = {}
    for iri in named:
        found = {q.object.value for q in kg.quads(NamedNode(iri), SUBCLASS, None) if isinstance(q.object, NamedNode)}
        supers[iri] = {s for s in found if s in named and s != iri}
    nodes = {}
    for iri, ups in supers.items():
        proper = {s for s in ups if iri not in supers[s]}  # an equivalent class is no parent
        direct = sorted(s for s in proper if not any(s in supers[o] and o != s for o in proper))
        defined = next(iter(kg.quads(NamedNode(iri), EQUIVALENT, None, GRAPH_ONTOLOGY)), None)
        nodes[iri] = Node(iri, label(kg, NamedNode(iri)), defined is not None, direct)
    for ups in supers.values():
        for up in ups:
            nodes[up].descendants += 1
    return nodes


def _layout(nodes: dict[str, Node]) -> list[Node]:
    """Order the nodes depth-first under their first parent; returns them in drawing order."""
    children: dict[str | None, list[Node]] = {}
    for node in nodes.values():
        # the parent with the larger family holds the box (generative model sits under generative AI)
        node.primary = min(node.parents, key=lambda p: (-nodes[p].descendants, nodes[p].label.lower()), default=None)
        children.setdefault(node.primary, []).append(node)
    ordered: list[Node] = []

    def visit(parent: str | None, depth: int) -> None:
        for child in sorted(children.get(parent, []), key=lambda n: (n.defined, n.label.lower())):
            child.depth, child.row = depth, len(ordered)
            ordered.append(child)
            visit(child.iri, depth + 1)

    visit(None, 0)
    return ordered


#: The diagram's own style, inline so that the SVG stands alone (pages allow it by its hash: server/security.py).
STYLE = (
    "text{font:13px system-ui,-apple-system,'Segoe UI',sans-serif;fill:#1d2430}"
    ".class rect,rect.class{fill:#eaf1ff;stroke:#3763c4;stroke-width:1.2}"
    ".defined rect,rect.defined{fill:#fff6e5;stroke:#c27c00;stroke-dasharray:4 3}"
    "a:hover rect{stroke-width:2.4}"
    ".edge{fill:none;stroke:#8a94a6;stroke-width:1.2}"
    ".note{fill:#6b7280;font-size:12px;font-style:italic}"
)


def class_diagram(kg: KnowledgeGraph, link_base: str = "") -> str:
    """An SVG document of the class tree; each box links to its class's page under ``link_base``."""

    def href(iri: str) -> str:
        return link_base + (page_path(iri) or "")

    ordered = _layout(_classes(kg))
    by_iri = {n.iri: n for n in ordered}
    top = 44
    width = 0.0
    parts: list[str] = []
    for node in ordered:
        x, y = 8 + node.depth * INDENT, top + node.row * ROW
        box = len(node.label) * CHAR + 2 * PAD
        primary = by_iri.get(node.primary) if node.primary else None
        if primary is not None:
            px, py = 8 + primary.depth * INDENT + 12, top + primary.row * ROW + BOX
            parts.append(f'<path class="edge" d="M{px},{py} V{y + BOX / 2} H{x}"/>')
        css = "class defined" if node.defined else "class"
        title = escape(f"{node.label} ({'defined: inferred, never asserted' if node.defined else 'class'})")
        parts.append(
            f'<a href="{escape(href(node.iri))}" class="{css}"><title>{title}</title>'
            f'<rect x="{x}" y="{y}" width="{box:.0f}" height="{BOX}" rx="5"/>'
            f'<text x="{x + PAD}" y="{y + 15}">{escape(node.label)}</text></a>'
        )
        others = [by_iri[p].label for p in node.parents if p in by_iri and by_iri[p] is not primary]
        end = x + box
        if others:
            note = "also ⊑ " + ", ".join(others)
            parts.append(f'<text class="note" x="{end + 8:.0f}" y="{y + 15}">{escape(note)}</text>')
            end += 8 + len(note) * CHAR * 0.9
        width = max(width, end)
    height = top + len(ordered) * ROW + 8
    width = max(width + 16, 420)
    legend = (
        '<g class="legend"><rect class="class" x="8" y="8" width="18" height="14" rx="3"/>'
        '<text x="32" y="20">asserted class</text>'
        '<rect class="defined" x="150" y="8" width="18" height="14" rx="3"/>'
        '<text x="174" y="20">defined class (members inferred)</text></g>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="class-diagram" role="img" '
        f'aria-label="Class hierarchy of the genai-kg ontology" width="{width:.0f}" height="{height}" '
        f'viewBox="0 0 {width:.0f} {height}"><style>{STYLE}</style>{legend}{"".join(parts)}</svg>'
    )


def property_edges(kg: KnowledgeGraph) -> list[tuple[str, str, str]]:
    """(domain, property, range) for every ``gai:`` object property whose domain and range are named classes."""
    edges = []
    for quad in kg.quads(None, TYPE, NamedNode(OWL + "ObjectProperty"), GRAPH_ONTOLOGY):
        prop = quad.subject
        if not isinstance(prop, NamedNode) or not prop.value.startswith(GAI):
            continue
        ends = {
            role: [
                q.object.value
                for q in kg.quads(prop, NamedNode(RDFS + role), None, GRAPH_ONTOLOGY)
                if isinstance(q.object, NamedNode)  # a class expression is left to the properties table
            ]
            for role in ("domain", "range")
        }
        edges += [(domain, prop.value, range_) for domain in ends["domain"] for range_ in ends["range"]]
    return sorted(set(edges))


def property_diagram(kg: KnowledgeGraph, link_base: str = "") -> str:
    """An SVG picture of the object properties as edges, domain → range, one row each; boxes and labels link
    to their pages under ``link_base``. Domains and ranges that are class expressions are left to the table.

    It is drawn inside the ontology page, styled by the site's stylesheet (``svg.property-diagram``): the page's
    security policy allows one inline style, the class diagram's."""

    def href(iri: str) -> str:
        return link_base + (page_path(iri) or "")

    edges = property_edges(kg)
    names = {iri: label(kg, NamedNode(iri)) for edge in edges for iri in edge}
    left = max((len(names[d]) for d, _, _ in edges), default=8) * CHAR + 2 * PAD
    middle = max((len(names[p]) for _, p, _ in edges), default=8) * CHAR * 0.95 + 40
    right = max((len(names[r]) for _, _, r in edges), default=8) * CHAR + 2 * PAD
    parts = []
    for row, (domain, prop, range_) in enumerate(edges):
        y = 8 + row * ROW
        for x, iri, width in ((8, domain, left), (8 + left + middle, range_, right)):
            parts.append(
                f'<a href="{escape(href(iri))}" class="class"><title>{escape(iri)}</title>'
                f'<rect x="{x:.0f}" y="{y}" width="{width:.0f}" height="{BOX}" rx="5"/>'
                f'<text x="{x + PAD:.0f}" y="{y + 15}">{escape(names[iri])}</text></a>'
            )
        start, end = 8 + left, 8 + left + middle
        parts.append(f'<path class="arrow" marker-end="url(#head)" d="M{start:.0f},{y + BOX / 2} H{end - 2:.0f}"/>')
        parts.append(
            f'<a href="{escape(href(prop))}"><title>{escape(prop)}</title>'
            f'<text class="property" x="{start + 10:.0f}" y="{y + 7}">{escape(names[prop])}</text></a>'
        )
    width = 16 + left + middle + right
    height = 16 + len(edges) * ROW
    marker = (
        '<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto"><path class="head" d="M0,0 L10,5 L0,10 z"/></marker></defs>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="property-diagram" role="img" '
        f'aria-label="Object properties of the genai-kg ontology, from domain to range" width="{width:.0f}" '
        f'height="{height}" viewBox="0 0 {width:.0f} {height}">{marker}'
        f"{''.join(parts)}</svg>"
    )
