"""Inference benchmark: genai-kg's closure, kept in the store, against ``reasonable`` and owlrl on the same data,
and against ``oxigraph load`` (no reasoning) for the load.

The data is the LUBM-style university of ``tests/test_inference_university.py`` (ontology and instances) as
one N-Triples file. Every figure comes from a process of its own, so that peak memory is its own:

- ``reasonable`` and owlrl: parse the file, compute the closure (seconds of the closure alone, peak RSS);
- ``oxigraph load`` (the CLI of the ``oxigraph`` wheel, when installed beside this Python): the file into a
  new store, no reasoning (seconds);
- genai-kg ``load``: a new on-disk store with the shipped graph, then the file bulk-loaded and its closure
  computed, as ``genai-kg load`` does (seconds, peak RSS of this process and of the bulk path's child,
  inferred triples, which engine reasoned: ``bulk`` past ``GENAI_KG_BULK_REASONING_QUADS``, else ``store``);
- genai-kg ``force``: ``genai-kg infer --force`` on that materialised store (the bulk path finds nothing to
  change; seconds, peak RSS of both processes);
- genai-kg ``reopen``: open that materialised store (as ``serve`` and every CLI command do) and answer one
  query (seconds, RSS; nothing is rebuilt: the closure is current);
- genai-kg ``updates``: one-fact INSERT DATA / DELETE DATA through ``KnowledgeGraph.update`` (median and max),
  a fact with a wide fan-out, an axiom added and removed (``GraduateCourse rdfs:subClassOf Offering``), and one
  write that removes 1% of the data (a ``Delta``, as the update planner
  will make for a ``DELETE … WHERE``).

    python -m bench.inference --departments 30            # about 100k triples
    python -m bench.inference --departments 300 --skip owlrl   # about 1M triples
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("genai-kg", "reasonable", "owlrl", "oxigraph")
UB = "http://swat.cse.lehigh.edu/onto/univ-bench.owl#"
STUDENT = "<http://www.university.example/University0/Department0/UndergraduateStudent0>"


def write_dataset(path: Path, departments: int) -> int:
    """Write the ontology and ``departments`` departments of data as N-Triples; returns the triple count."""
    from pyoxigraph import RdfFormat, parse

    from tests.test_inference_university import ONTOLOGY, generate

    lines = [str(q.triple) + " ." for q in parse(ONTOLOGY, format=RdfFormat.TURTLE)]
    universities = max(1, departments // 15)
    lines += generate(universities, departments // universities)
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def _rss_mb(field: str = "VmHWM") -> float:
    """This process's peak (``VmHWM``) or current (``VmRSS``) resident memory; unlike ru_maxrss, not inherited."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """CPU time (user and system) of this process and of its finished children: on a shared machine, what a
    figure cost where the wall clock says how long others made it wait."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _count(kg: Any, sparql: str) -> int:
    return int(next(iter(kg.query(sparql)))["n"].value)


def genai_kg_load(path: Path, store: Path) -> dict[str, Any]:
    from graph import open_knowledge_graph
    from graph.inference import closure_state

    kg = open_knowledge_graph(store)  # the shipped graph, as `genai-kg load` finds a new store
    base = _rss_mb("VmRSS")
    started, cpu = time.perf_counter(), _cpu_seconds()
    from pyoxigraph import RdfFormat

    report = kg.bulk_load(path, RdfFormat.N_TRIPLES, to_graph=None, base_iri=path.resolve().as_uri())
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    inferred = _count(kg, "SELECT (COUNT(*) AS ?n) { GRAPH <https://w3id.org/genai-kg/graph/inferred> { ?s ?p ?o } }")
    reasoning = closure_state(kg).report
    kg.close()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "loaded": report.added,
        "inferred": inferred,
        "triples_per_second": report.added / seconds,
        "engine": reasoning.get("engine"),
        "reasoning_seconds": reasoning.get("seconds"),
        "peak_rss_mb": _rss_mb(),
        "child_peak_rss_mb": reasoning.get("child_peak_rss", 0) / 2**20,
        "base_rss_mb": base,
    }


def genai_kg_force(store: Path) -> dict[str, Any]:
    from graph import open_knowledge_graph
    from graph.inference import materialize

    kg = open_knowledge_graph(store)
    started, cpu = time.perf_counter(), _cpu_seconds()
    report = materialize(kg, force=True)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    kg.close()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "engine": report.engine,
        "added": report.added,
        "removed": report.removed,
        "peak_rss_mb": _rss_mb(),
        "child_peak_rss_mb": report.child_peak_rss / 2**20,
    }


def run_oxigraph(path: Path, updates: int) -> dict[str, Any]:
    """``oxigraph load`` of the file into a new store: the store's own speed, no reasoning."""
    binary = Path(sys.executable).parent / "oxigraph"
    if not binary.exists():
        raise SystemExit(f"no oxigraph CLI beside {sys.executable}")
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.perf_counter(), _cpu_seconds()
        subprocess.run([str(binary), "load", "--location", tmp, "--file", str(path)], check=True, capture_output=True)
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    triples = sum(1 for _ in path.open("rb"))
    return {"seconds": seconds, "cpu_seconds": cpu, "triples_per_second": triples / seconds}


def genai_kg_reopen(store: Path) -> dict[str, Any]:
    started = time.perf_counter()
    from graph import open_knowledge_graph
    from graph.inference import closure_state

    kg = open_knowledge_graph(store)
    answer = bool(kg.query(f"ASK {{ {STUDENT} a <{UB}Student> }}"))
    seconds = time.perf_counter() - started
    assert answer and closure_state(kg).current
    return {"first_answer_seconds": seconds, "rss_mb": _rss_mb("VmRSS")}


def genai_kg_updates(store: Path, updates: int) -> dict[str, Any]:
    from pyoxigraph import DefaultGraph

    from graph import open_knowledge_graph
    from graph.delta import Delta
    from graph.inference import closure_state
    from graph.inference.reasoner import touches_schema

    kg = open_knowledge_graph(store)
    adds, removes = [], []
    for i in range(updates):
        course = f"<http://www.university.example/bench/GraduateCourse{i}>"
        fact = f"{STUDENT} <{UB}teachingAssistantOf> {course}"
        for kind, timings in (("INSERT", adds), ("DELETE", removes)):
            started = time.perf_counter()
            report = kg.update(f"{kind} DATA {{ {fact} }}")
            timings.append(time.perf_counter() - started)
            assert not report.full
            assistant = f"ASK {{ {STUDENT} a <{UB}TeachingAssistant> }}"
            assert bool(kg.query(assistant)) == (kind == "INSERT"), "the update did not change the inferences"
    # a fact with a wide fan-out: a department's place in the (transitive) organisation tree, which the
    # affiliatedWith chain of every member of staff depends on
    department = "<http://www.university.example/University0/Department0>"
    fact = f"{department} <{UB}subOrganizationOf> <http://www.university.example/University0>"
    wide = []
    for kind in ("DELETE", "INSERT"):
        started = time.perf_counter()
        report = kg.update(f"{kind} DATA {{ {fact} }}")
        wide.append(time.perf_counter() - started)
    # an axiom with a wide fan-out added and removed: every graduate course becomes an offering, and back
    axiom = f"<{UB}GraduateCourse> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{UB}Offering>"
    schema = []
    for kind in ("INSERT", "DELETE"):
        started = time.perf_counter()
        report = kg.update(f"{kind} DATA {{ {axiom} }}")
        schema.append((time.perf_counter() - started, report))
    data = [q for q in kg.quads(None, None, None, DefaultGraph()) if not touches_schema(q.triple)]  # type: ignore[arg-type]
    share = random.Random(1).sample(data, len(data) // 100)
    started, cpu = time.perf_counter(), _cpu_seconds()
    removed = kg.write(Delta(removed=tuple(share)))
    one_percent, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    engine = closure_state(kg).report.get("engine")
    started = time.perf_counter()
    kg.write(Delta(added=tuple(share)))
    back = time.perf_counter() - started
    return {
        "add_ms_median": 1000 * statistics.median(adds),
        "add_ms_max": 1000 * max(adds),
        "remove_ms_median": 1000 * statistics.median(removes),
        "remove_ms_max": 1000 * max(removes),
        "wide_remove_ms": 1000 * wide[0],
        "wide_add_ms": 1000 * wide[1],
        "axiom_add_ms": 1000 * schema[0][0],
        "axiom_remove_ms": 1000 * schema[1][0],
        "axiom_inferred": schema[0][1].inferred_added,
        "axiom_full": int(schema[0][1].full or schema[1][1].full),  # a number: the report reads numbers
        "remove_1pct_quads": removed.removed,
        "remove_1pct_seconds": one_percent,
        "remove_1pct_cpu_seconds": cpu,
        "remove_1pct_inferred_removed": removed.inferred_removed,
        "remove_1pct_engine": engine,
        "add_1pct_back_seconds": back,
        "peak_rss_mb": _rss_mb(),
    }


def run_reasonable(path: Path, updates: int) -> dict[str, Any]:
    import reasonable

    base = _rss_mb()
    reasoner = reasonable.PyReasoner()
    started = time.perf_counter()
    reasoner.load_file(str(path))
    parsed = time.perf_counter() - started
    started, cpu = time.perf_counter(), _cpu_seconds()
    closure = reasoner.reason()
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "parse_seconds": parsed,
        "closure": len(closure),
        "peak_rss_mb": _rss_mb(),
        "base_rss_mb": base,
    }


def run_owlrl(path: Path, updates: int) -> dict[str, Any]:
    import owlrl
    import rdflib

    base = _rss_mb()
    graph = rdflib.Graph().parse(str(path), format="nt")
    started = time.perf_counter()
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    return {
        "seconds": time.perf_counter() - started,
        "closure": len(graph),
        "peak_rss_mb": _rss_mb(),
        "base_rss_mb": base,
    }


def _child(arguments: list[str], timeout: float) -> dict[str, Any] | str:
    """Run this module in a process of its own; its figures, or why there are none."""
    command = [sys.executable, "-m", "bench.inference", *arguments]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"did not finish in {timeout:.0f} s"
    if done.returncode:
        return f"failed\n{done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _show(name: str, figures: dict[str, Any] | str) -> None:
    if isinstance(figures, str):
        print(f"{name:>18}: {figures}", flush=True)
        return
    shown = ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items())
    print(f"{name:>18}: {shown}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--departments", type=int, default=30, help="15 departments a university, ~3.4k triples each")
    parser.add_argument("--skip", action="append", default=[], choices=ENGINES)
    parser.add_argument("--updates", type=int, default=20, help="single-fact updates to time")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before an engine is given up")
    parser.add_argument("--engine", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--phase", choices=("load", "reopen", "force", "updates"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine == "genai-kg":
        phases = {
            "load": lambda: genai_kg_load(args.data, args.store),
            "reopen": lambda: genai_kg_reopen(args.store),
            "force": lambda: genai_kg_force(args.store),
            "updates": lambda: genai_kg_updates(args.store, args.updates),
        }
        print(json.dumps(phases[args.phase]()))
        return
    if args.engine:
        runners = {"reasonable": run_reasonable, "owlrl": run_owlrl, "oxigraph": run_oxigraph}
        print(json.dumps(runners[args.engine](args.data, args.updates)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "university.ttl"  # N-Triples is Turtle; reasonable reads .ttl only
        store = Path(tmp) / "store"
        triples = write_dataset(data, args.departments)
        print(f"{triples} asserted triples ({args.departments} departments)", flush=True)
        for engine in ENGINES:
            if engine in args.skip:
                continue
            given = ["--engine", engine, "--data", str(data), "--updates", str(args.updates)]
            if engine != "genai-kg":
                _show(engine, _child(given, args.timeout))
                continue
            for phase in ("load", "reopen", "force", "updates"):
                _show(f"genai-kg {phase}", _child([*given, "--store", str(store), "--phase", phase], args.timeout))


if __name__ == "__main__":
    main()
