"""What the CLI says when something is wrong, and what it leaves behind: scripts rely on both (docs/cli.md)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from tqdm import tqdm

from server.cli import _reading, main
from server.locations import status


def test_an_unknown_extension_is_named_and_nothing_is_loaded(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "data.txt"
    data.write_text("<http://example.org/x> <http://example.org/p> 42 .\n")
    result = runner.invoke(main, ["load", str(data), "--store", str(tmp_path / "s")])
    assert result.exit_code == 1 and "'.txt' names no RDF format" in result.output and "--format" in result.output
    loaded = runner.invoke(main, ["load", str(data), "--format", "ttl", "--store", str(tmp_path / "s")])
    assert loaded.exit_code == 0, loaded.output


def test_an_unknown_named_query_points_at_the_command_that_lists_them(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["query", "--named", "no-such-query", "--store", str(tmp_path / "s")])
    assert result.exit_code == 1 and "`genai-kg queries`" in result.output and "/queries" not in result.output


def test_exporting_an_empty_default_graph_fails_and_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "out.ttl"
    args = ["export", "--store", str(tmp_path / "s"), "--graph", "default", "--format", "ttl", "-o", str(target)]
    result = runner.invoke(main, args)
    assert result.exit_code == 1 and "holds no triples" in result.output and "named graphs" in result.output
    assert not target.exists() and list(tmp_path.glob("out.ttl*")) == []


def test_a_failed_export_leaves_no_file(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "out.ttl"
    args = ["export", "--store", str(tmp_path / "s"), "--graph", "gai:nothing", "--format", "ttl", "-o", str(target)]
    result = runner.invoke(main, args)
    assert result.exit_code != 0 and not target.exists() and list(tmp_path.glob("out.ttl*")) == []


def test_slow_steps_say_what_they_do_and_quick_ones_stay_silent(capsys: pytest.CaptureFixture[str]) -> None:
    with status("reasoning", after=0.05, shown=True):
        time.sleep(0.2)
    with status("counting", after=5, shown=True):
        pass
    with status("hidden", after=0.0, shown=False):
        time.sleep(0.01)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "reasoning …" and lines[1].startswith("reasoning: done in ") and len(lines) == 2


def test_load_says_when_the_file_is_read_and_the_store_is_being_written_and_reasoned_over() -> None:
    out = io.StringIO()
    with tqdm(total=10, desc="f.nt", file=out, mininterval=0) as bar:
        advance = _reading(bar, "f.nt")
        advance(4)
        assert "reasoning" not in out.getvalue()
        advance(6)
    assert "f.nt: read; writing the quads and reasoning over them: 100%" in out.getvalue()
