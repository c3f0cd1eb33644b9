"""Update planning benchmark: how long graph/updates.py takes to plan an update, next to Oxigraph running it.

Two cases from issue 17 and the planner's brief, each on an in-memory store with no reasoner attached:

- ``DELETE … WHERE`` removing 10,000 of 1,000,000 quads: planned (evaluate the WHERE, instantiate, check
  each quad) and written, against ``Store.update`` of the same text on a copy;
- ``INSERT DATA`` of 100,000 quads (one ``GRAPH`` block, and one ``GRAPH`` block per quad as genai-kg's own
  writers send them): planned and written, against pyoxigraph parsing the same triples as TriG and
  ``Store.update`` running the text on an empty store.

    python -m bench.updates                      # 1,000,000 quads, 100,000 inserted
    python -m bench.updates --quads 100000 --insert 10000
"""

from __future__ import annotations

import argparse
import time

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, parse

from graph.backend import quad_block
from graph.embedded import EmbeddedBackend
from graph.store import KnowledgeGraph
from graph.updates import parse_update

GRAPH = NamedNode("urn:bench:g")
PREDICATES = 100


def store_of(quads: int) -> Store:
    """``quads`` quads in one graph: subjects times 100 predicates, so each predicate holds 1% of them."""
    store = Store()
    store.bulk_extend(
        Quad(NamedNode(f"urn:bench:s{i}"), NamedNode(f"urn:bench:p{k}"), Literal(i), GRAPH)
        for i in range(quads // PREDICATES)
        for k in range(PREDICATES)
    )
    return store


def copy_of(store: Store) -> Store:
    copy = Store()
    copy.bulk_extend(store)
    return copy


def delete_where(quads: int) -> None:
    base = store_of(quads)
    text = f"DELETE WHERE {{ GRAPH {GRAPH} {{ ?s <urn:bench:p7> ?o }} }}"
    kg, other = KnowledgeGraph(EmbeddedBackend(copy_of(base))), copy_of(base)
    started = time.perf_counter()
    delta = parse_update(text).plan(kg)
    planned = time.perf_counter()
    kg.write(delta)
    written = time.perf_counter()
    other.update(text)
    native = time.perf_counter() - written
    print(f"DELETE WHERE, {len(delta):,} of {quads:,} quads removed")
    print(f"  plan {planned - started:.3f} s, write {written - planned:.3f} s; Store.update {native:.3f} s")


def insert_data(count: int) -> None:
    quads = [
        Quad(NamedNode(f"urn:bench:n{i}"), NamedNode("urn:bench:p"), Literal(f"v{i}"), GRAPH) for i in range(count)
    ]
    triples = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)
    for name, data in (
        ("one GRAPH block", f"GRAPH {GRAPH} {{\n{triples}\n}}"),
        ("a GRAPH block per quad", quad_block(quads)),
    ):
        text = f"INSERT DATA {{\n{data}\n}}"
        kg = KnowledgeGraph.open()
        started = time.perf_counter()
        delta = parse_update(text).plan(kg)
        planned = time.perf_counter()
        kg.write(delta)
        written = time.perf_counter()
        list(parse(data, RdfFormat.TRIG))
        parsed = time.perf_counter()
        Store().update(text)
        native = time.perf_counter() - parsed
        print(f"INSERT DATA of {count:,} quads, {name} ({len(text) / 1e6:.1f} MB)")
        print(
            f"  plan {planned - started:.3f} s, write {written - planned:.3f} s; pyoxigraph parse as TriG "
            f"{parsed - written:.3f} s, Store.update {native:.3f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quads", type=int, default=1_000_000, help="store size for DELETE WHERE")
    parser.add_argument("--insert", type=int, default=100_000, help="quads in the INSERT DATA")
    args = parser.parse_args()
    delete_where(args.quads)
    insert_data(args.insert)


if __name__ == "__main__":
    main()
