"""Where the join and aggregate gap lies: the same quads read in several layouts, in one process.

The harness's join and aggregate ratios compare genai-kg's store (asserted graphs, the reasoner's named graph,
every graph read as one default graph) with Oxigraph's (the catalogue alone, in its default graph). This
copies genai-kg's quads into fresh on-disk stores (and into memory) and times each benchmark query on each,
so that the cost of the data (the closure beside the catalogue) and the cost of the layout (named graphs read
as a union) can be told apart:

- ``oxigraph``: Oxigraph's own store of the catalogue, its default graph;
- ``genai-kg``: genai-kg's store as the server reads it (the union of all graphs);
- ``copy, as stored``: the same quads bulk-loaded into a new store, read as a union (the store's age aside);
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


def layouts(stores: Path, folder: Path) -> dict[str, tuple[Store, bool]]:
    """Each layout's store, and whether it is read as the union of its graphs."""
    genai_kg = Store.read_only(str(stores / "genai-kg"))
    quads = list(genai_kg)
    found: dict[str, tuple[Store, bool]] = {
        "oxigraph": (Store.read_only(str(stores / "oxigraph")), False),
        "genai-kg": (genai_kg, True),
    }
    for name, copy, union in (
        ("copy, as stored", quads, True),
        ("copy, one default graph", [Quad(q.subject, q.predicate, q.object, DefaultGraph()) for q in quads], False),
    ):
        path = folder / name.replace(" ", "_").replace(",", "")
        written = Store(str(path))
        written.bulk_extend(copy)
        written.flush()
        written.optimize()
        del written
        found[name] = (Store.read_only(str(path)), union)
    found["copy, one default graph, read as a union"] = (found["copy, one default graph"][0], True)
    memory = Store()
    memory.bulk_extend(quads)
    found["in memory, as stored"] = (memory, True)
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
        for name, (store, union) in found.items():
            cells = []
            for _, sparql, weight in work:

                def answer(store: Store = store, sparql: str = sparql, union: bool = union) -> int:
                    return sum(1 for _ in store.query(sparql, use_default_graph_as_union=union))

                ms, rows = timed(answer, args.repeat * weight)
                cells.append(f"{ms:.1f} ({rows} rows)")
            print(f"| {name} | " + " | ".join(cells) + " |")
        found.clear()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
