"""``bench/RESULTS.md``: the figures as ratios against the targets, the machine, and the commands that made them."""

from __future__ import annotations

import os
import platform
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from . import peers, queries

if TYPE_CHECKING:
    from .run import SizeResult

MIB = 2**20
REFERENCE = "oxigraph"
GENAI = "genai-kg"
GENAI_ASSERTED = "genai-kg (infer=false)"
LOADING_PATH = "genai-kg (loading path)"
#: Oxigraph's server on a copy of genai-kg's store, reading its closure graph as genai-kg does.
SAME_DATASET = "oxigraph (same dataset)"
REMOTE = "genai-kg (remote → oxigraph)"
ENGINE = "oxigraph serve (the remote's engine, direct)"
NAIVE = "naive Flask + pyoxigraph (2 workers)"
STREAM_FIRST_BYTE_MS = 100.0
STREAM_PEAK_RSS = 200 * MIB
LOAD_TARGET = 0.8
#: The hand-written analysis of what limits genai-kg, copied into the report.
LIMITS = Path(__file__).resolve().parent / "LIMITS.md"


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = "unknown"
    with Path("/proc/cpuinfo").open() as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return {
        "cores (nproc)": str(os.cpu_count()),
        "memory": memory,
        "CPU": cpu,
        "kernel": platform.release(),
        "load average (1, 5, 15 min) when the report was written": load,
    }


#: Frames on nearly every stack that say nothing about where the time goes.
GENERIC_FRAMES = ("<frozen ", "threading.py", "granian/", "click/", "<module> (")


def hot_functions(raw: str, top: int = 12) -> list[tuple[str, float]]:
    """The functions most often on the stack in py-spy's ``raw`` (collapsed) output, with their share of samples.

    Start-up frames (runpy, threads, granian, click, module bodies) and py-spy's process and thread lines
    are left out.
    """
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        total += int(count)
        for frame in set(stack.split(";")):
            if frame.startswith(("process ", "thread ")) or any(g in frame for g in GENERIC_FRAMES):
                continue
            inclusive[frame] += int(count)
    return [(frame, count / total) for frame, count in inclusive.most_common(top)] if total else []


def _ratio(value: float | None, reference: float | None) -> float | None:
    if value is None or not reference:
        return None
    return value / reference


def _fmt(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "—" if value is None else f"{value:,.{digits}f}{suffix}"


def _met(value: float | None, target: float, *, below: bool = False) -> str:
    if value is None:
        return "not measured"
    return "met" if (value < target if below else value >= target) else "**missed**"


def _rps(result: SizeResult, query: str, label: str) -> float | None:
    figure = result.throughput.get(query, {}).get(label)
    return None if figure is None else float(figure["rps"])


def _load_rate(result: SizeResult, label: str) -> float | None:
    seconds = result.load_seconds.get(label)
    return result.triples / seconds if seconds else None


def _largest(results: list[SizeResult], has: Callable[[SizeResult], bool]) -> SizeResult | None:
    """The largest size at which a figure was measured."""
    found = [r for r in results if has(r)]
    return found[-1] if found else None


def _has_throughput(query: str) -> Callable[[SizeResult], bool]:
    return lambda r: _rps(r, query, GENAI) is not None and bool(_rps(r, query, REFERENCE))


def _has_load(label: str) -> Callable[[SizeResult], bool]:
    return lambda r: bool(_load_rate(r, label)) and bool(_load_rate(r, REFERENCE))


def targets(results: list[SizeResult]) -> list[str]:
    """Each target against its figure at the largest size where that figure was measured."""
    lines = [
        "## Targets",
        "",
        "Each figure at the largest size where it was measured (models).",
        "",
        "| figure | target | models | genai-kg | met | genai-kg, infer=false | met |",
        "| --- | --- | ---: | --- | --- | --- | --- |",
    ]
    for query in queries.THROUGHPUT:
        result = _largest(results, _has_throughput(query.name))
        if result is None:
            continue
        on = _ratio(_rps(result, query.name, GENAI), _rps(result, query.name, REFERENCE))
        off = _ratio(_rps(result, query.name, GENAI_ASSERTED), _rps(result, query.name, REFERENCE))
        lines.append(
            f"| {query.title}: throughput ÷ Oxigraph's server | ≥ {query.target:.2f}x | {result.models:,} | "
            f"{_fmt(on, 2, 'x')} | {_met(on, query.target)} | {_fmt(off, 2, 'x')} | {_met(off, query.target)} |"
        )
    result = _largest(results, lambda r: GENAI in r.stream)
    if result is not None:
        stream = result.stream[GENAI]
        rows = f"{stream['rows']:,}-row"
        first, peak, above = (
            stream["first_byte_ms"],
            stream["peak_rss"],
            max(0, stream["peak_rss"] - stream["baseline_rss"]),
        )
        lines.append(
            f"| {rows} SELECT: time to first byte | < {STREAM_FIRST_BYTE_MS:.0f} ms | {result.models:,} | "
            f"{_fmt(first, 0, ' ms')} | {_met(first, STREAM_FIRST_BYTE_MS, below=True)} | | |"
        )
        lines.append(
            f"| {rows} SELECT: server peak RSS (above the RSS before) | < {STREAM_PEAK_RSS // MIB} MiB | "
            f"{result.models:,} | {_fmt(peak / MIB, 0, ' MiB')} ({_fmt(above / MIB, 0, ' MiB')}) | "
            f"{_met(peak, STREAM_PEAK_RSS, below=True)} | | |"
        )
    for label, title in ((GENAI, "`genai-kg load` (keeps inferences current)"), (LOADING_PATH, "loading path alone")):
        result = _largest(results, _has_load(label))
        if result is None:
            continue
        load = _ratio(_load_rate(result, label), _load_rate(result, REFERENCE))
        lines.append(
            f"| bulk load, {title}: triples/s ÷ `oxigraph load` | ≥ {LOAD_TARGET:.1f}x | {result.models:,} | "
            f"{_fmt(load, 2, 'x')} | {_met(load, LOAD_TARGET)} | | |"
        )
    return lines


def inference_figures(text: str) -> list[tuple[int, dict[str, dict[str, float]]]]:
    """The figures of each ``bench/inference.py`` run in its printed output: (asserted triples, engine → k=v).
    genai-kg's phases (``genai-kg load: …``, ``genai-kg updates: …``) are merged into ``genai-kg``."""
    runs: list[tuple[int, dict[str, dict[str, float]]]] = []
    for line in text.splitlines():
        if match := re.match(r"(\d+) asserted triples", line):
            runs.append((int(match.group(1)), {}))
        elif runs and (match := re.match(r"\s*([\w-]+)(?: \w+)?: (\w+=.*)$", line)):
            pairs = (pair.split("=", 1) for pair in match.group(2).split(", "))
            figures = runs[-1][1].setdefault(match.group(1), {})
            figures.update({k: float(v) for k, v in pairs if re.fullmatch(r"-?[\d.]+", v)})
    return runs


def inference_targets(text: str) -> list[str]:
    """Closure time against reasonable and owlrl, and the one-fact update, at the largest run of each."""
    lines = []
    runs = inference_figures(text)
    both = [(n, f) for n, f in runs if "seconds" in f.get("genai-kg", {}) and "seconds" in f.get("reasonable", {})]
    if both:
        n, figures = both[-1]
        ours, theirs = figures["genai-kg"], figures["reasonable"]
        ratio = theirs["seconds"] / ours["seconds"] if ours["seconds"] else None
        lines.append(
            f"| inference: `reasonable`'s closure time ÷ genai-kg's load with its closure ({n:,} triples, "
            f"LUBM-style) | ≥ 1.0x | — | {_fmt(ratio, 2, 'x')} ({ours['seconds']:.1f} s against "
            f"{theirs['seconds']:.1f} s) | {_met(ratio, 1.0)} | | |"
        )
    owl = [(n, f) for n, f in runs if "seconds" in f.get("genai-kg", {}) and "seconds" in f.get("owlrl", {})]
    if owl:
        n, figures = owl[-1]
        ratio = figures["owlrl"]["seconds"] / figures["genai-kg"]["seconds"] if figures["genai-kg"]["seconds"] else None
        lines.append(
            f"| inference closure: owlrl's time ÷ genai-kg's ({n:,} triples) | — | — | {_fmt(ratio, 0, 'x')} | | | |"
        )
    updates = [(n, f["genai-kg"]) for n, f in runs if "add_ms_max" in f.get("genai-kg", {})]
    if updates:
        n, ours = updates[-1]
        worst = max(ours["add_ms_max"], ours.get("remove_ms_max", 0.0), ours.get("wide_remove_ms", 0.0))
        lines.append(
            f"| one-fact update, worst of add/remove ({n:,} triples) | < 50 ms | — | {worst:.1f} ms "
            f"(median add {ours.get('add_ms_median', 0):.2f} ms) | {_met(worst, 50.0, below=True)} | | |"
        )
        if "axiom_add_ms" in ours:
            how = "the whole closure again" if ours.get("axiom_full") else "the rows it changes"
            lines.append(
                f"| an axiom added / removed ({n:,} triples; {ours.get('axiom_inferred', 0):,.0f} inferred; {how}) | — | — | "
                f"{ours['axiom_add_ms']:.0f} / {ours['axiom_remove_ms']:.0f} ms | | | |"
            )
    return lines


def throughput_table(result: SizeResult) -> list[str]:
    labels = [
        label
        for label in (REFERENCE, SAME_DATASET, NAIVE, GENAI, GENAI_ASSERTED, "rdflib-endpoint")
        if _has(result, label)
    ]
    lines = [
        f"### {result.models:,} models ({result.triples:,} triples)",
        "",
        "Answers per second (higher is better); ratios are genai-kg ÷ Oxigraph's server. The last ratio compares",
        "genai-kg with Oxigraph's server on a copy of genai-kg's own store (shipped graph, catalogue, inferred graph),",
        "reading its closure graph (each asserted or inferred triple once) as genai-kg does: only the servers differ.",
        "",
        "| query | " + " | ".join(labels) + " | ratio | ratio, infer=false | ratio, same dataset | rows |",
        "| --- | " + " | ".join("---:" for _ in labels) + " | ---: | ---: | ---: | --- |",
    ]
    for query in queries.THROUGHPUT:
        cells = [_fmt(_rps(result, query.name, label), 1) for label in labels]
        on = _ratio(_rps(result, query.name, GENAI), _rps(result, query.name, REFERENCE))
        off = _ratio(_rps(result, query.name, GENAI_ASSERTED), _rps(result, query.name, REFERENCE))
        same = _ratio(_rps(result, query.name, GENAI), _rps(result, query.name, SAME_DATASET))
        rows = ", ".join(f"{k}: {v:,}" for k, v in result.rows.get(query.name, {}).items())
        lines.append(
            f"| {query.name} | "
            + " | ".join(cells)
            + f" | {_fmt(on, 2, 'x')} | {_fmt(off, 2, 'x')} | {_fmt(same, 2, 'x')} | {rows} |"
        )
    if not labels:
        lines = lines[:2]
    lines += ["", f"| other figure | {REFERENCE} | {GENAI} | ratio |", "| --- | ---: | ---: | ---: |"]
    rates = [_load_rate(result, label) for label in (REFERENCE, GENAI, LOADING_PATH)]
    lines.append(
        f"| load (`genai-kg load`), triples/s | {_fmt(rates[0], 0)} | {_fmt(rates[1], 0)} | "
        f"{_fmt(_ratio(rates[1], rates[0]), 2, 'x')} |"
    )
    lines.append(
        f"| load (loading path alone), triples/s | {_fmt(rates[0], 0)} | {_fmt(rates[2], 0)} | "
        f"{_fmt(_ratio(rates[2], rates[0]), 2, 'x')} |"
    )
    starts = [result.startup_seconds.get(label) for label in (REFERENCE, GENAI)]
    lines.append(f"| start-up until the first answer, s | {_fmt(starts[0], 1)} | {_fmt(starts[1], 1)} | |")
    idle = [result.idle_rss.get(label) for label in (REFERENCE, GENAI)]
    lines.append(
        f"| RSS when ready, MiB | {_fmt(idle[0] and idle[0] / MIB, 0)} | {_fmt(idle[1] and idle[1] / MIB, 0)} | |"
    )
    streams = [result.stream.get(label) for label in (REFERENCE, GENAI)]
    if any(streams):
        for key, title, scale, digits in (
            ("first_byte_ms", "stream: first byte, ms", 1.0, 0),
            ("seconds", "stream: whole answer, s", 1.0, 1),
            ("peak_rss", "stream: peak RSS, MiB", MIB, 0),
            ("rows", "stream: rows", 1.0, 0),
        ):
            values = [None if s is None else s[key] / scale for s in streams]
            lines.append(f"| {title} | {_fmt(values[0], digits)} | {_fmt(values[1], digits)} | |")
        growth = [None if s is None else max(0, s["peak_rss"] - s["baseline_rss"]) / MIB for s in streams]
        lines.append(f"| stream: peak RSS above the RSS before, MiB | {_fmt(growth[0], 0)} | {_fmt(growth[1], 0)} | |")
    for note in result.notes:
        lines += ["", f"Note: {note}"]
    return lines


def lookup_table(result: SizeResult) -> list[str]:
    """Look-ups of distinct resources on every server, as ratios to Oxigraph's server (issue 17's figure)."""
    labels = [label for label in (REFERENCE, NAIVE, GENAI, GENAI_ASSERTED, SAME_DATASET) if label in _lookups(result)]
    if GENAI not in labels:
        return []
    lines = [
        f"#### Look-ups of distinct resources, {result.models:,} models",
        "",
        "Each request a different model (`SELECT ?p ?o { gaid:SynModel_<random> ?p ?o }`), `wrk -t1 -c4`. CPU per",
        "answer is the CPU time of the server's whole process tree (user and system) over the run ÷ its answers.",
        "",
        "| server | answers/s | ratio to Oxigraph's server | p50, ms | p99, ms | errors | CPU per answer, ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    reference = _rps(result, "lookup", REFERENCE)
    for label in labels:
        figure = _lookups(result)[label]
        lines.append(
            f"| {label} | {figure['rps']:,.0f} | {_fmt(_ratio(figure['rps'], reference), 2, 'x')} | "
            f"{figure['p50_ms']:.2f} | {figure['p99_ms']:.2f} | {figure['errors']} | {_fmt(figure.get('cpu_ms'), 3)} |"
        )
    return lines


def _lookups(result: SizeResult) -> dict[str, dict[str, float]]:
    return result.throughput.get("lookup", {})


def latency_table(result: SizeResult) -> list[str]:
    """The look-up's latency with N runaway queries in flight (``bench/contention.py``)."""
    if not result.latency:
        return []
    lines = [
        f"#### Small queries while runaway queries run, {result.models:,} models",
        "",
        "N clients each keep a never-ending query in flight (a counted three-way cartesian product, its text",
        "changed and sent again as soon as it is answered), from another address (127.0.0.2) than the one",
        "connection that meanwhile sends look-ups (Python's client, which also times a look-up still waiting",
        "when the run ends). N is genai-kg's number of query",
        'workers, and one more. A refused look-up (503) is an error. "runaway answers" counts how the runaway',
        "queries ended while measured (genai-kg stops one past its budget or at its long lane; Oxigraph's server",
        "never stops one).",
        "",
        "| server | runaway queries | look-up p50, ms | look-up p99, ms | look-ups/s | look-up errors | runaway answers |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, figures in result.latency.items():
        for count, figure in figures.items():
            answers = ", ".join(f"{k}: {v}" for k, v in sorted(figure.get("runaway_answers", {}).items())) or "—"
            lines.append(
                f"| {label} | {count} | {figure['p50_ms']:.2f} | {figure['p99_ms']:.2f} | {figure['rps']:,.0f} | "
                f"{figure['errors']} | {answers} |"
            )
    return lines


def remote_table(result: SizeResult) -> list[str]:
    """genai-kg in front of ``oxigraph serve`` ÷ that engine process asked directly: the cost of the service layer."""
    if not (_has(result, REMOTE) or _has(result, ENGINE)):
        return []
    lines = [
        f"#### In front of a remote engine, {result.models:,} models",
        "",
        f"`{REMOTE}` is `genai-kg serve --sparql-endpoint …` in front of one `oxigraph serve`; `{ENGINE}` is",
        "that same engine process asked directly for the closure graph, as genai-kg asks it: the ratio is",
        "the cost of the proxy layer (HTTP in, Flask, the dataset rule, the answer streamed through), not of the",
        "engine.",
        "",
        f"| query | {ENGINE}, answers/s | {REMOTE}, answers/s | ratio | p50 direct / remote, ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for query in queries.THROUGHPUT:
        direct, remote = _rps(result, query.name, ENGINE), _rps(result, query.name, REMOTE)
        p50 = [result.throughput.get(query.name, {}).get(label, {}).get("p50_ms") for label in (ENGINE, REMOTE)]
        lines.append(
            f"| {query.name} | {_fmt(direct, 1)} | {_fmt(remote, 1)} | {_fmt(_ratio(remote, direct), 2, 'x')} | "
            f"{_fmt(p50[0], 1)} / {_fmt(p50[1], 1)} |"
        )
    streams = [result.stream.get(label) for label in (ENGINE, REMOTE)]
    if all(streams):
        first = [s["first_byte_ms"] for s in streams if s]
        whole = [s["seconds"] for s in streams if s]
        lines.append(f"| stream ({streams[0]['rows']:,} rows): first byte, ms | {first[0]:.0f} | {first[1]:.0f} | | |")
        lines.append(
            f"| stream: whole answer, s | {whole[0]:.1f} | {whole[1]:.1f} | {_fmt(_ratio(whole[0], whole[1]), 2, 'x')} | |"
        )
    starts = [result.startup_seconds.get(label) for label in (ENGINE, REMOTE)]
    lines.append(f"| start-up until the first answer, s | {_fmt(starts[0], 1)} | {_fmt(starts[1], 1)} | | |")
    processes = result.remote_processes
    if processes:
        lines += [
            "",
            f"Point look-ups with two genai-kg processes in front of the one engine, the load spread over both: "
            f"{processes['two']:.0f}/s, against {processes['one']:.0f}/s for one process "
            f"({_fmt(_ratio(processes['two'], processes['one']), 2, 'x')}).",
        ]
    return lines


def _has(result: SizeResult, label: str) -> bool:
    return any(label in per for per in result.throughput.values())


def growth(results: list[SizeResult]) -> list[str]:
    lines = [
        "## Growth",
        "",
        "| figure | " + " | ".join(f"{r.models:,} models" for r in results) + " |",
        "| --- | " + " | ".join("---:" for _ in results) + " |",
        "| triples | " + " | ".join(f"{r.triples:,}" for r in results) + " |",
        "| generate, triples/s | "
        + " | ".join(_fmt(r.triples / r.generate_seconds if r.generate_seconds else None, 0) for r in results)
        + " |",
    ]
    for label in (GENAI, LOADING_PATH, REFERENCE):
        lines.append(
            f"| load, {label}, triples/s | " + " | ".join(_fmt(_load_rate(r, label), 0) for r in results) + " |"
        )
    for query in queries.THROUGHPUT:
        for label in (GENAI, GENAI_ASSERTED, REFERENCE, SAME_DATASET):
            cells = [_fmt(_rps(r, query.name, label), 1) for r in results]
            lines.append(f"| {query.name}, {label}, answers/s | " + " | ".join(cells) + " |")
    for label in (GENAI, REFERENCE):
        cells = [_fmt(r.stream[label]["first_byte_ms"], 0) if label in r.stream else "—" for r in results]
        lines.append(f"| stream first byte, {label}, ms | " + " | ".join(cells) + " |")
        cells = [_fmt(r.stream[label]["peak_rss"] / MIB, 0) if label in r.stream else "—" for r in results]
        lines.append(f"| stream peak RSS, {label}, MiB | " + " | ".join(cells) + " |")
    cells = [_fmt(r.startup_seconds.get(GENAI), 1) for r in results]
    lines.append("| genai-kg start-up (materialises inferences), s | " + " | ".join(cells) + " |")
    return lines


def profiles(results: list[SizeResult]) -> list[str]:
    lines: list[str] = []
    for result in results:
        for query, functions in result.profile.items():
            lines += [
                f"### py-spy: genai-kg's processes under the {query} load, {result.models:,} models",
                "",
                "Share of samples with the function on the stack (granian's own frames left out).",
                "",
                "| share | function |",
                "| ---: | --- |",
            ]
            lines += [f"| {share:.0%} | `{frame}` |" for frame, share in functions]
            lines.append("")
    return ["## Profiles", "", *lines] if lines else []


def commands(results: list[SizeResult], command: str) -> list[str]:
    sizes = ",".join(str(r.models) for r in results)
    return [
        "## Commands",
        "",
        f"This file came from `.venv/bin/python {command.removeprefix('python ')}`. To reproduce it on a fresh",
        "machine (the peers are installed first):",
        "",
        "```sh",
        f"make bench SIZES={sizes}",
        "```",
        "",
        "which, for each size N, runs (in `bench/out/N/`):",
        "",
        "```sh",
        "genai-kg generate --models N --seed 42 --output catalogue.nt",
        "genai-kg stats --store genai-kg        # creates the store with the shipped graph (untimed)",
        "genai-kg load catalogue.nt --store genai-kg                         # timed",
        "bench/.venv/bin/oxigraph load --location oxigraph --file catalogue.nt  # timed",
        "python -c 'graph.loading.load_file(KnowledgeGraph.open(S), catalogue.nt)'   # loading path alone, timed",
        "genai-kg serve --store genai-kg --host 127.0.0.1 --port P",
        "bench/.venv/bin/oxigraph serve-read-only --location oxigraph --bind 127.0.0.1:P",
        "bench/.venv/bin/rdflib-endpoint serve catalogue.nt --host 127.0.0.1 --port P   # smallest size only",
        "wrk -t1 -c4 -d5s --timeout 120s -s query.lua http://127.0.0.1:P   # -c2 for aggregate and large",
        "```",
        "",
        "The Lua script sends `GET <endpoint>?query=…` with `Accept: application/sparql-results+json`, filling the",
        "query's slot with a random model or organisation; genai-kg is driven twice, with and without `&infer=false`.",
        "Sizes above `--serve-max` are generated and loaded only. To serve 1M models too (over an hour today):",
        "",
        "```sh",
        'make bench SIZES=10000,100000,1000000 BENCH_ARGS="--serve-max 1000000"',
        "```",
    ]


def markdown(results: list[SizeResult], tools: peers.Peers, command: str, inference: str | None) -> str:
    """The whole report."""
    lines = [
        "# Benchmark results",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `make bench` (see [README](README.md) for",
        "what each figure means). Ratios are genai-kg ÷ the peer, so above 1 genai-kg is faster.",
        "",
    ]
    if results:
        lines += targets(results)
        lines += inference_targets(inference or "")
        lines += [
            "",
            "What limits the figures that miss their target: see [below](#what-limits-genai-kg-where-a-target-is-missed).",
            "",
        ]
    lines += ["## Machine", "", "| | |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in machine().items()]
    lines += [f"| {k} | {v} |" for k, v in peers.versions(tools).items()]
    lines += ["", "## Figures per size", ""]
    for result in results:
        lines += [*throughput_table(result), ""]
        for table in (lookup_table(result), latency_table(result)):
            lines += [*table, ""] if table else []
        remote = remote_table(result)
        lines += [*remote, ""] if remote else []
    if len(results) > 1:
        lines += [*growth(results), ""]
    if inference:
        lines += ["## Inference (`bench/inference.py`)", "", inference.strip(), ""]
    if LIMITS.exists():
        lines += [LIMITS.read_text().strip(), ""]
    lines += profiles(results)
    lines += commands(results, command)
    return "\n".join(lines) + "\n"
