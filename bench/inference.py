"""Inference benchmark: genai-kg's reasoner against ``reasonable`` and owlrl on the same university data.

Each engine runs in its own process (so peak memory is its own) on one N-Triples file: the LUBM-style
ontology and data of ``tests/test_inference_university.py``. For genai-kg it also times single-fact
updates (INSERT DATA / DELETE DATA through ``KnowledgeGraph.update``, inferred graph written).

    python -m bench.inference --departments 30            # about 100k triples
    python -m bench.inference --departments 300 --skip owlrl   # about 1M triples
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("genai-kg", "reasonable", "owlrl")


def write_dataset(path: Path, departments: int) -> int:
    """Write the ontology and ``departments`` departments of data as N-Triples; returns the triple count."""
    from pyoxigraph import RdfFormat, parse

    from tests.test_inference_university import ONTOLOGY, generate

    lines = [str(q.triple) + " ." for q in parse(ONTOLOGY, format=RdfFormat.TURTLE)]
    universities = max(1, departments // 15)
    lines += generate(universities, departments // universities)
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def _rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_genai_kg(path: Path, updates: int) -> dict[str, Any]:
    from pyoxigraph import NamedNode, RdfFormat

    from graph import KnowledgeGraph
    from graph.inference import Reasoner

    base = _rss_mb()
    kg = KnowledgeGraph.open()
    kg.store.bulk_load(path=str(path), format=RdfFormat.TURTLE, to_graph=NamedNode("urn:bench:data"))
    reasoner = Reasoner(kg)
    kg.subscribe(reasoner.on_change)
    report = reasoner.materialize()
    figures: dict[str, Any] = {
        "seconds": report.closure_seconds,
        "seconds_with_store": report.seconds,
        "inferred": report.inferred,
        "closure": report.asserted + report.inferred,
    }
    student = "<http://www.university.example/University0/Department0/UndergraduateStudent0>"
    adds, removes = [], []
    for i in range(updates):
        course = f"<http://www.university.example/bench/GraduateCourse{i}>"
        fact = f"{student} <http://swat.cse.lehigh.edu/onto/univ-bench.owl#teachingAssistantOf> {course}"
        for kind, timings in (("INSERT", adds), ("DELETE", removes)):
            started = time.perf_counter()
            kg.update(f"{kind} DATA {{ GRAPH <urn:bench:data> {{ {fact} }} }}")
            timings.append(time.perf_counter() - started)
            assert reasoner.last is not None and not reasoner.last.full
            assistant = f"ASK {{ {student} a <http://swat.cse.lehigh.edu/onto/univ-bench.owl#TeachingAssistant> }}"
            assert bool(kg.query(assistant)) == (kind == "INSERT"), "the update did not change the inferences"
    # a fact with a wide fan-out: a department's place in the (transitive) organisation tree, which the
    # affiliatedWith chain of every member of staff depends on
    department = "<http://www.university.example/University0/Department0>"
    fact = f"{department} <http://swat.cse.lehigh.edu/onto/univ-bench.owl#subOrganizationOf> <http://www.university.example/University0>"
    wide = []
    for kind in ("DELETE", "INSERT"):
        started = time.perf_counter()
        kg.update(f"{kind} DATA {{ GRAPH <urn:bench:data> {{ {fact} }} }}")
        wide.append(time.perf_counter() - started)
        assert reasoner.last is not None and not reasoner.last.full
    figures |= {"wide_remove_ms": 1000 * wide[0], "wide_add_ms": 1000 * wide[1], "wide_changed": reasoner.last.added}
    figures |= {
        "add_ms_median": 1000 * statistics.median(adds),
        "add_ms_max": 1000 * max(adds),
        "remove_ms_median": 1000 * statistics.median(removes),
        "remove_ms_max": 1000 * max(removes),
        "peak_rss_mb": _rss_mb(),
        "base_rss_mb": base,
    }
    return figures


def run_reasonable(path: Path, updates: int) -> dict[str, Any]:
    import rdflib
    import reasonable

    base = _rss_mb()
    reasoner = reasonable.PyReasoner()
    reasoner.load_file(str(path))
    started = time.perf_counter()
    closure = reasoner.reason()
    seconds = time.perf_counter() - started
    figures: dict[str, Any] = {"seconds": seconds, "closure": len(closure)}
    if updates:
        graph = rdflib.Graph().parse(str(path), format="nt")
        fact = (
            rdflib.URIRef("http://www.university.example/University0/Department0/UndergraduateStudent0"),
            rdflib.URIRef("http://swat.cse.lehigh.edu/onto/univ-bench.owl#teachingAssistantOf"),
            rdflib.URIRef("http://www.university.example/bench/GraduateCourse0"),
        )
        graph.add(fact)
        started = time.perf_counter()
        reasoner.update_graph(graph)
        reasoner.reason()
        figures["add_ms"] = 1000 * (time.perf_counter() - started)
        graph.remove(fact)
        started = time.perf_counter()
        reasoner.update_graph(graph)
        reasoner.reason()
        figures["remove_ms"] = 1000 * (time.perf_counter() - started)
    return figures | {"peak_rss_mb": _rss_mb(), "base_rss_mb": base}


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


RUNNERS = {"genai-kg": run_genai_kg, "reasonable": run_reasonable, "owlrl": run_owlrl}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--departments", type=int, default=30, help="15 departments a university, ~3.4k triples each")
    parser.add_argument("--skip", action="append", default=[], choices=ENGINES)
    parser.add_argument("--updates", type=int, default=20, help="single-fact updates to time")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before an engine is given up")
    parser.add_argument("--engine", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(RUNNERS[args.engine](args.data, args.updates)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "university.ttl"  # N-Triples is Turtle; reasonable reads .ttl only
        triples = write_dataset(data, args.departments)
        print(f"{triples} asserted triples ({args.departments} departments)", flush=True)
        for engine in ENGINES:
            if engine in args.skip:
                continue
            command = [sys.executable, "-m", "bench.inference", "--engine", engine, "--data", str(data)]
            command += ["--updates", str(args.updates)]
            try:
                done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                print(f"{engine:>10}: did not finish in {args.timeout:.0f} s", flush=True)
                continue
            if done.returncode:
                print(f"{engine:>10}: failed\n{done.stderr[-2000:]}", flush=True)
                continue
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{engine:>10}: "
                + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()),
                flush=True,
            )


if __name__ == "__main__":
    main()
