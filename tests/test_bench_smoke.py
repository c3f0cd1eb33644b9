"""The benchmark harness at a tiny size, so it never rots: figures are recorded, never compared to thresholds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import loadgen, peers, queries, report, run
from bench.servers import NAIVE, Server
from server.config import default_query_workers


def test_harness_runs_end_to_end_at_a_tiny_size(tmp_path: Path) -> None:
    """genai-kg always; Oxigraph's server and rdflib-endpoint when ``bench/.venv`` has them; the larger size
    is above ``serve_max``, so only its loads are measured."""
    tools = peers.find()
    options = run.Options(
        sizes=(200, 400),
        serve_max=200,
        seconds=0.3,
        loadgen="python",
        out=tmp_path / "out",
        results=tmp_path / "RESULTS.md",
        install=False,
        use_peers=tools.oxigraph is not None,
        inference=False,
        command="python -m bench.run --sizes 200",
    )
    result, loads_only = run.run(options)

    assert result.triples > 200 * 10
    assert set(result.load_seconds) >= {"genai-kg"}
    for query in queries.THROUGHPUT:
        assert result.rows[query.name]["genai-kg"] > 0, result.notes
        assert result.rows[query.name]["genai-kg (infer=false)"] > 0, result.notes
        assert result.throughput[query.name]["genai-kg"]["requests"] > 0
        assert result.throughput[query.name]["genai-kg"]["cpu_ms"] > 0  # the server's processes, per answer
    assert result.stream["genai-kg"]["status"] == 200
    assert result.stream["genai-kg"]["rows"] >= result.triples
    workers = default_query_workers()
    assert set(result.latency["genai-kg"]) == {"0", str(workers), str(workers + 1)}  # runaway queries in flight
    assert result.latency["genai-kg"]["0"]["requests"] > 0
    if tools.oxigraph is not None:
        assert result.rows["lookup"]["oxigraph"] == result.rows["lookup"]["genai-kg (infer=false)"]
        assert result.rows["lookup"][NAIVE] == result.rows["lookup"]["oxigraph"]
        assert set(result.latency["oxigraph"]) == set(result.latency["genai-kg"])
        assert result.stream["oxigraph"]["rows"] == result.triples

    assert run.LOADING_PATH in loads_only.load_seconds
    assert "genai-kg" not in loads_only.load_seconds
    assert not loads_only.throughput

    text = options.results.read_text() if options.results else ""
    for heading in ("## Targets", "## Machine", "## Figures per size", "## Growth", "## Commands"):
        assert heading in text
    raw = json.loads((options.out / "results.json").read_text())
    assert [size["models"] for size in raw["sizes"]] == [200, 400]


@pytest.mark.skipif(peers.find().wrk is None, reason="wrk is not installed")
def test_wrk_load_generator_counts_answers(tmp_path: Path) -> None:
    """wrk with the Lua script that fills each query's slot, against a real genai-kg server."""
    tools = peers.find()
    assert tools.wrk is not None
    server = Server("genai-kg", [str(tools.genai_kg), "serve", "--memory", "--port", "{port}"], "/sparql")
    with server.start(tmp_path / "server.log"):
        figure = loadgen.run_wrk(tools.wrk, server, queries.JOIN, 1000, seconds=1, connections=2)
    assert figure.requests > 0
    assert figure.tool == "wrk"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("process 1;a (x.py:1);b (y.py:2) 3\nprocess 1;a (x.py:1) 1\n", [("a (x.py:1)", 1.0), ("b (y.py:2)", 0.75)]),
        ("_run_code (<frozen runpy>:88);f (x.py:1) 2\n", [("f (x.py:1)", 1.0)]),
        ("", []),
    ],
)
def test_hot_functions_share_of_samples(raw: str, expected: list[tuple[str, float]]) -> None:
    assert report.hot_functions(raw) == expected


def test_inference_figures_are_read_from_bench_inference_output() -> None:
    """As ``bench/inference.py`` prints them: genai-kg's phases on lines of their own, merged."""
    text = """```
102769 asserted triples (30 departments)
     genai-kg load: seconds=0.544, cpu_seconds=1.169, engine=bulk
  genai-kg updates: add_ms_median=0.124, add_ms_max=0.432, remove_ms_max=0.345, axiom_add_ms=801.3, \
axiom_remove_ms=991.1, axiom_inferred=11318, axiom_full=0
        reasonable: seconds=1.663, closure=260000
```"""
    ((triples, figures),) = report.inference_figures(text)
    assert triples == 102769
    assert figures["reasonable"]["seconds"] == 1.663
    assert figures["genai-kg"]["seconds"] == 0.544 and figures["genai-kg"]["add_ms_max"] == 0.432
    rows = report.inference_targets(text)
    assert len(rows) == 3
    assert "3.06x" in rows[0]
    assert "met" in rows[1]
    assert "11,318 inferred; the rows it changes" in rows[2] and "801 / 991 ms" in rows[2]


def test_first_views_script_runs_on_the_shipped_graph(tmp_path: Path) -> None:
    """``bench.views`` (a new store: the server loads the shipped graph): every page answers in each round."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.views", "--store", str(tmp_path / "store"), "--wait", "3"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| `")]
    assert len(rows) == 6 and all(line.count(" s |") == 4 for line in rows), done.stdout
