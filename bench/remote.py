"""What the service costs in front of a remote engine: genai-kg over ``oxigraph serve`` against that engine asked
directly, on the same data and queries, and one service process against two.

    .venv/bin/python -m bench.remote --models 10000 --seconds 5

The engine is one ``oxigraph serve`` process (from the test extras); genai-kg loads the shipped graph and the
generated catalogue into it (``genai-kg load --sparql-endpoint …``: a Graph Store POST, then the inferences),
then ``genai-kg serve --sparql-endpoint …`` runs in front of it. "Direct" asks the same engine process the same
query with Oxigraph's ``union-default-graph`` parameter, which is what genai-kg sends it: the ratio is the cost
of the service layer (HTTP in, Flask, the dataset rule, the answer streamed through), not of the engine.
Writes ``bench/out/remote-N/results.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

from . import loadgen, queries
from .servers import Server

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
MEASURED = (queries.LOOKUP, queries.JOIN, queries.AGGREGATE, queries.LARGE)


def engine_urls(engine: Server) -> list[str]:
    base = f"http://127.0.0.1:{engine.port}"
    urls = ["--sparql-endpoint", f"{base}/query", "--sparql-update-endpoint", f"{base}/update"]
    return [*urls, "--store-endpoint", f"{base}/store"]


def service(engine: Server, name: str) -> Server:
    command = [str(BIN / "genai-kg"), "serve", "--host", "127.0.0.1", "--port", "{port}", *engine_urls(engine)]
    return Server(name, command, "/sparql")


def both_at_once(servers: list[Server], query: queries.Query, models: int, seconds: float) -> float:
    """Answers per second of ``servers`` driven at the same time, one wrk each, summed."""
    results: list[loadgen.Throughput] = []

    def drive(server: Server) -> None:
        results.append(
            loadgen.run_wrk(Path(shutil.which("wrk") or "wrk"), server, query, models, seconds=seconds, connections=4)
        )

    threads = [threading.Thread(target=drive, args=(s,)) for s in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(r.rps for r in results)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    out = BENCH / "out" / f"remote-{args.models}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    log = out / "servers.log"
    wrk = Path(shutil.which("wrk") or "wrk")
    catalogue = out / "catalogue.nt"
    subprocess.run(
        [BIN / "genai-kg", "generate", "--models", str(args.models), "--seed", "42", "-o", catalogue], check=True
    )
    engine_command = [str(BIN / "oxigraph"), "serve", "--location", str(out / "engine"), "--bind", "127.0.0.1:{port}"]
    with Server(
        "oxigraph (engine, asked directly)", engine_command, "/query", extra="&union-default-graph=true"
    ) as engine:
        engine.start(log)
        started = time.monotonic()
        subprocess.run(
            [BIN / "genai-kg", "load", catalogue, "--graph", "https://example.org/synthetic", *engine_urls(engine)],
            check=True,
        )
        load_seconds = time.monotonic() - started
        figures: dict[str, object] = {"models": args.models, "load_seconds": load_seconds, "queries": {}}
        with service(engine, "genai-kg (remote)") as first:
            first.start(log)
            for query in MEASURED:
                direct = loadgen.run_wrk(wrk, engine, query, args.models, seconds=args.seconds, connections=4)
                through = loadgen.run_wrk(wrk, first, query, args.models, seconds=args.seconds, connections=4)
                figures["queries"][query.name] = {  # type: ignore[index]
                    "direct": asdict(direct),
                    "genai-kg": asdict(through),
                    "ratio": through.rps / direct.rps if direct.rps else 0.0,
                }
            with service(engine, "genai-kg (remote, second)") as second:
                second.start(log)
                one = both_at_once([first], queries.LOOKUP, args.models, args.seconds)
                two = both_at_once([first, second], queries.LOOKUP, args.models, args.seconds)
                figures["two_processes"] = {"one": one, "two": two, "ratio": two / one if one else 0.0}
    (out / "results.json").write_text(json.dumps(figures, indent=2))
    print(f"genai-kg load of {args.models} models into the engine (with inference): {load_seconds:.1f} s\n")
    print("| query | engine direct (answers/s) | genai-kg in front (answers/s) | ratio | p50 direct / genai-kg (ms) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, row in figures["queries"].items():  # type: ignore[attr-defined]
        d, g = row["direct"], row["genai-kg"]
        rps_d = (d["requests"] - d["errors"]) / d["seconds"]
        rps_g = (g["requests"] - g["errors"]) / g["seconds"]
        print(f"| {name} | {rps_d:.0f} | {rps_g:.0f} | {row['ratio']:.2f} | {d['p50_ms']:.1f} / {g['p50_ms']:.1f} |")
    two = figures["two_processes"]
    print(
        f"\npoint look-ups, one genai-kg process: {two['one']:.0f}/s; two in front of the same engine: "  # type: ignore[index]
        f"{two['two']:.0f}/s (ratio {two['ratio']:.2f})"
    )  # type: ignore[index]


if __name__ == "__main__":
    main()
