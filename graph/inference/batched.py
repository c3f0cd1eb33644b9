"""Writing many triples to the store in bounded batches, for the bulk path (:mod:`.bulk`) and the closure graph
(:mod:`.closure_graph`).

An embedded store takes a file of lines whole (its loader reads it in blocks of whole lines) and removes a
batch per transaction; a remote engine takes one bounded request at a time (it refuses one huge update), and
the write turn, a lease there, is renewed between them.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeVar

from pyoxigraph import DefaultGraph, NamedNode, RdfFormat

if TYPE_CHECKING:
    from ..backend import GraphName
    from ..store import KnowledgeGraph

#: Lines per batch of what is removed from an embedded store (one transaction each), and of everything written
#: to a remote engine (one request each).
EMBEDDED_BATCH_LINES = 200_000
REMOTE_BATCH_LINES = 5_000

Item = TypeVar("Item")


def batch_lines(kg: KnowledgeGraph) -> int:
    """Lines (triples) per batch of a removal from ``kg``."""
    return REMOTE_BATCH_LINES if kg.backend.shared else EMBEDDED_BATCH_LINES


def batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    """``items`` in lists of ``size``, the last one shorter."""
    found = iter(items)
    while batch := list(itertools.islice(found, size)):
        yield batch


def line_batches(path: Path, size: int) -> Iterator[bytes]:
    """A file's lines, ``size`` lines at a time."""
    with path.open("rb") as lines:
        while chunk := b"".join(itertools.islice(lines, size)):
            yield chunk


def renewer(kg: KnowledgeGraph) -> Callable[[], None]:
    """What keeps ``kg``'s write turn during a long write (a remote engine's lease; nothing for a lock)."""
    renew: Callable[[], None] | None = getattr(kg.backend.writer(), "renew", None)
    return renew if renew is not None else lambda: None


def asserted_graphs(kg: KnowledgeGraph) -> list[GraphName]:
    """The graphs whose triples are stated: the default graph and the named graphs but the reasoner's."""
    return [DefaultGraph(), *kg.named_graphs(infer=False)]


def dump_asserted(kg: KnowledgeGraph, output: IO[bytes]) -> None:
    """Every asserted graph as N-Triples."""
    renew = renewer(kg)
    for graph in asserted_graphs(kg):
        renew()
        kg.backend.dump(output, RdfFormat.N_TRIPLES, from_graph=graph, prefixes=None)


def add_lines(kg: KnowledgeGraph, path: Path, graphs: tuple[NamedNode, ...]) -> None:
    """Add a file of N-Triples to ``graphs``: whole to the embedded store, in batches to a remote engine."""
    if not kg.backend.shared:
        with path.open("rb") as lines:
            kg.backend.add_ntriples(lines, graphs)
        return
    renew = renewer(kg)
    for chunk in line_batches(path, REMOTE_BATCH_LINES):
        renew()
        kg.backend.add_ntriples(io.BytesIO(chunk), graphs)
