"""What one write changes in the asserted graphs: the value every write path hands to the knowledge graph.

SPARQL Update (planned operation by operation), the Graph Store Protocol, ``genai-kg load`` and the shipped
graph all describe their effect as a :class:`Delta`; :meth:`graph.store.KnowledgeGraph.write` applies it,
reasons over exactly what changed, and publishes a new generation, in that order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyoxigraph import NamedNode, Quad


@dataclass(frozen=True)
class Delta:
    """Quads to remove, then quads to add, and named graphs that must exist (or not) afterwards.

    ``removed`` is applied before ``added``, so a quad in both stays. ``created`` names graphs that must
    exist even when empty (``CREATE GRAPH``, a Graph Store PUT of an empty body); ``dropped`` names graphs
    that must not exist afterwards (their quads are listed in ``removed`` too).

    >>> from pyoxigraph import NamedNode, Quad
    >>> q = Quad(NamedNode("http://ex/s"), NamedNode("http://ex/p"), NamedNode("http://ex/o"))
    >>> Delta(added=(q,)).then(Delta(removed=(q,)))
    Delta(removed=(), added=(), created=(), dropped=())
    """

    removed: tuple[Quad, ...] = ()
    added: tuple[Quad, ...] = ()
    created: tuple[NamedNode, ...] = ()
    dropped: tuple[NamedNode, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.removed or self.added or self.created or self.dropped)

    def __len__(self) -> int:
        """How many quads the write touches (what the update size limit counts)."""
        return len(self.removed) + len(self.added)

    def then(self, later: Delta) -> Delta:
        """This delta followed by ``later``, as one delta with the same net effect.

        Both must be exact (each removes only quads present, adds only quads absent, in the state the
        previous one left), as the update planner makes them; the result is exact too.
        """
        later_removed, later_added = set(later.removed), set(later.added)
        removed = _unique(
            [q for q in self.removed if q not in later_added] + [q for q in later.removed if q not in self.added]
        )
        earlier_removed = set(self.removed)
        added = _unique(
            [q for q in self.added if q not in later_removed] + [q for q in later.added if q not in earlier_removed]
        )
        dropped = set(later.dropped)
        created = _unique([g for g in self.created if g not in dropped] + list(later.created))
        kept = set(later.created)
        return Delta(
            removed=tuple(removed),
            added=tuple(added),
            created=tuple(created),
            dropped=tuple(_unique([g for g in self.dropped if g not in kept] + list(later.dropped))),
        )

    def graphs(self) -> set[NamedNode]:
        """Every named graph the delta touches (to refuse writes into graphs clients may not write)."""
        found = {q.graph_name for q in (*self.removed, *self.added) if isinstance(q.graph_name, NamedNode)}
        return found | set(self.created) | set(self.dropped)


def _unique(items: Iterable[Quad] | Iterable[NamedNode]) -> list:
    return list(dict.fromkeys(items))
