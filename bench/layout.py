"""Where the join and aggregate gap lies: the same quads read in several layouts, in one process.

The harness's join and aggregate ratios compare genai-kg's store (asserted graphs, the reasoner's inferred
graph, and the closure graph that holds each of their triples once) with Oxigraph's (the catalogue alone, in
its default graph). This copies genai-kg's quads into fresh on-disk stores (and into memory) and times each
benchmark query on each, so that the cost of the data (the closure beside the catalogue) and the cost of the
layout can be told apart:

- ``oxigraph``: Oxigraph's own store of the catalogue, its default graph;
- ``genai-kg``: genai-kg's store as the server reads it (its closure graph), and read as the union of its
  asserted and inferred graphs (as it was read before the closure graph);
- ``copy, as stored``: the asserted and inferred quads bulk-loaded into a new store, read as a union;
- ``copy, one default graph``: every quad in the default graph, read as the default graph alone, and read as
  a union (with no named graph to read);
- ``in memory, as stored``: the first copy in an in-memory store, read as a union.

Usage (after ``make bench QUICK=1`` has left its stores)::

    .venv/bin/python -m bench.layout --stores bench/out/20000/stores

Times are CPU seconds of this process, the least of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from pyoxigraph import DefaultGraph, Quad, Store

from graph.namespaces import GRAPH_CLOSURE

from . import queries


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(run: Callable[[], int], repeat: int) -> tuple[float, int]:
    """The least CPU milliseconds of ``repeat`` calls of ``run``, and the rows it gave."""
    best, rows = float("inf"), 0
    for _ in range(repeat):
        started = _cpu()
        rows = run()
        best = min(best, _cpu() - started)
    return best * 1000, rows


#: How a layout is read: as its default graph, as the union of its graphs, or through genai-kg's closure graph.
DEFAULT: dict[str, object] = {}
UNION: dict[str, object] = {"use_default_graph_as_union": True}
CLOSURE: dict[str, object] = {"default_graph": [GRAPH_CLOSURE]}


def layouts(stores: Path, folder: Path) -> dict[str, tuple[Store, dict[str, object]]]:
    """Each layout's store, and how it is read."""
    genai_kg = Store.read_only(str(stores / "genai-kg"))
    quads = [q for q in genai_kg if q.graph_name != GRAPH_CLOSURE]
    found: dict[str, tuple[Store, dict[str, object]]] = {
        "oxigraph": (Store.read_only(str(stores / "oxigraph")), DEFAULT),
        "genai-kg (its closure graph)": (genai_kg, CLOSURE),
    }
    for name, copy, options in (
        ("copy, as stored", quads, UNION),
        ("copy, one default graph", [Quad(q.subject, q.predicate, q.object, DefaultGraph()) for q in quads], DEFAULT),
    ):
        path = folder / name.replace(" ", "_").replace(",", "")
        written = Store(str(path))
        written.bulk_extend(copy)
        written.flush()
        written.optimize()
        del written
        found[name] = (Store.read_only(str(path)), options)
    found["copy, one default graph, read as a union"] = (found["copy, one default graph"][0], UNION)
    memory = Store()
    memory.bulk_extend(quads)
    found["in memory, as stored"] = (memory, UNION)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=Path, default=Path("bench/out/20000/stores"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = (("join", queries.JOIN.text(3), 10), ("aggregate", queries.AGGREGATE.text(), 1))
    with tempfile.TemporaryDirectory(prefix="genai-kg-layout-") as folder:
        found = layouts(args.stores, Path(folder))
        print("| layout | " + " | ".join(f"{name} (CPU ms)" for name, _, _ in work) + " |")
        print("| --- |" + " ---: |" * len(work))
        for name, (store, options) in found.items():
            cells = []
            for _, sparql, weight in work:

                def answer(store: Store = store, sparql: str = sparql, options: dict[str, object] = options) -> int:
                    return sum(1 for _ in store.query(sparql, **options))  # type: ignore[arg-type]

                ms, rows = timed(answer, args.repeat * weight)
                cells.append(f"{ms:.1f} ({rows} rows)")
            print(f"| {name} | " + " | ".join(cells) + " |")
        found.clear()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
