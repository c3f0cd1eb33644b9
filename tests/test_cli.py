"""Every CLI command, run through click's runner against an on-disk store in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from server.cli import main


def run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_query_loads_a_new_store_and_prints_a_table(runner: CliRunner, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    code, out = run(runner, "query", "SELECT ?l WHERE { gaid:ChatGPT rdfs:label ?l }", "--store", store)
    assert code == 0
    assert "ChatGPT" in out
    assert "(1 row)" in out


def test_query_in_json(runner: CliRunner, tmp_path: Path) -> None:
    code, out = run(runner, "query", "ASK { gaid:OpenAI ?p ?o }", "--store", str(tmp_path / "s"), "--format", "json")
    assert code == 0
    assert json.loads(out)["boolean"] is True


def test_bad_query_is_a_clean_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["query", "SELEC nothing", "--store", str(tmp_path / "s")])
    assert result.exit_code == 1
    assert "Error" in result.output


def test_load_then_query_then_export(runner: CliRunner, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    data = tmp_path / "extra.ttl"
    data.write_text("<http://example.org/x> <http://example.org/p> 42 .\n")
    code, out = run(runner, "load", str(data), "--store", store, "--graph", "http://example.org/g")
    assert code == 0
    assert "1 quads loaded" in out
    code, out = run(runner, "query", "SELECT ?o { GRAPH <http://example.org/g> { ?s ?p ?o } }", "--store", store)
    assert "42" in out
    target = tmp_path / "out.ttl"
    code, _ = run(
        runner, "export", "--store", store, "--graph", "http://example.org/g", "--format", "ttl", "-o", str(target)
    )
    assert code == 0
    assert "http://example.org/x" in target.read_text()


def test_load_reports_syntax_error_with_position(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("<http://e/a> <http://e/p> .\n")
    result = runner.invoke(main, ["load", str(bad), "--store", str(tmp_path / "s")])
    assert result.exit_code == 1
    assert "line 1" in result.output


def test_export_whole_dataset_as_nquads(runner: CliRunner, tmp_path: Path) -> None:
    code, out = run(runner, "export", "--store", str(tmp_path / "s"))
    assert code == 0
    assert "<https://w3id.org/genai-kg/graph/ontology> ." in out


def test_export_triples_format_needs_a_graph(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["export", "--store", str(tmp_path / "s"), "--format", "ttl"])
    assert result.exit_code == 1
    assert "name the graph" in result.output


def test_stats(runner: CliRunner, tmp_path: Path) -> None:
    code, out = run(runner, "stats", "--store", str(tmp_path / "s"))
    assert code == 0
    assert "https://w3id.org/genai-kg/graph/data" in out
    assert "classes" in out
    assert "(default graph)" not in out


def test_stats_count_every_graph_and_the_default_graph(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "two.nt"
    data.write_text("<http://e/a> <http://e/p> <http://e/b> .\n<http://e/a> <http://e/p> <http://e/c> .\n")
    store = str(tmp_path / "s")
    assert run(runner, "load", str(data), "--store", store)[0] == 0
    code, out = run(runner, "stats", "--store", store)
    assert code == 0
    lines = out.splitlines()
    assert ["2", "(default", "graph)"] in [line.split() for line in lines]
    per_graph = [int(line.split()[0]) for line in lines if line.startswith("  ")]
    assert lines[0] == f"quads       {sum(per_graph)}"


def test_validate_conforms(runner: CliRunner, tmp_path: Path) -> None:
    code, out = run(runner, "validate", "--store", str(tmp_path / "s"))
    assert out.strip().endswith("conforms"), out
    assert code == 0
