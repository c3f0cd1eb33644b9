"""``make bench``: measure genai-kg against Oxigraph's server, rdflib-endpoint, owlrl and reasonable, as ratios.

For each size it generates the same catalogue for everyone, loads it (``genai-kg load`` vs ``oxigraph
load``), drives each server with the same queries (``wrk``), streams a million-row answer while sampling the
server's memory, and runs ``bench/inference.py`` when it exists. ``bench/RESULTS.md`` gets the figures, the
ratios, the machine and the commands; ``bench/out/results.json`` the raw numbers.

    python -m bench.run --sizes 10000,100000
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from graph import generate
from server.config import default_query_workers

from . import contention, loadgen, peers, queries, report
from .report import SAME_DATASET
from .servers import NAIVE, RssSampler, Server, genai_kg_remote, naive, oxigraph_engine
from .servers import genai_kg as genai_kg_server
from .servers import oxigraph as oxigraph_server
from .servers import rdflib_endpoint as rdflib_endpoint_server

BENCH = Path(__file__).resolve().parent
DEFAULT_SIZES = (10_000, 20_000, 100_000, 1_000_000)
#: ``--quick``: the look-up, contention and query figures at one size, in a few minutes.
QUICK_SIZES = (20_000,)
SEED = 42
#: Seconds of unmeasured load before each throughput figure (at most the figure's own length).
WARM_UP_SECONDS = 1.0
LOADING_PATH = "genai-kg (loading path)"
#: genai-kg serving from a remote ``oxigraph serve``, and that engine process asked directly (same dataset).
REMOTE = "genai-kg (remote → oxigraph)"
ENGINE = "oxigraph serve (the remote's engine, direct)"


@dataclass
class Options:
    sizes: tuple[int, ...] = DEFAULT_SIZES
    seconds: float = 5.0
    out: Path = BENCH / "out"
    results: Path | None = BENCH / "RESULTS.md"
    install: bool = True
    use_peers: bool = True
    rdflib_max: int = 10_000
    #: Largest size at which ``genai-kg load`` (with inference) and the servers run; above it, loads only.
    serve_max: int = 100_000
    stream: bool = True
    inference: bool = True
    profile: bool = False
    #: genai-kg in front of ``oxigraph serve`` vs that engine asked directly (sizes up to ``serve_max``).
    remote: bool = True
    #: "wrk", "python", or "auto" (wrk where installed).
    loadgen: str = "auto"
    report_only: bool = False
    command: str = ""
    #: The naive Flask + pyoxigraph app (``bench/naive.py``) beside the servers, at sizes up to ``naive_max``.
    naive: bool = True
    naive_max: int = 100_000
    #: Small-query latency while runaway queries run (``bench/contention.py``), at sizes up to this.
    contention_max: int = 20_000
    #: Serve the stores a previous run left in ``out`` instead of loading them again (no load figures).
    reuse_stores: bool = False


@dataclass
class SizeResult:
    """Everything measured at one size; ``throughput[query][server]`` is answers per second."""

    models: int
    triples: int = 0
    generate_seconds: float = 0.0
    load_seconds: dict[str, float] = field(default_factory=dict)
    startup_seconds: dict[str, float] = field(default_factory=dict)
    idle_rss: dict[str, int] = field(default_factory=dict)
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    throughput: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    stream: dict[str, dict[str, Any]] = field(default_factory=dict)
    profile: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    #: Point look-ups per second with one and with two genai-kg processes in front of one engine.
    remote_processes: dict[str, float] = field(default_factory=dict)
    #: ``latency[server][N]``: the look-up's latency figures with N runaway queries in flight.
    latency: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def timed(command: list[str], output: Path) -> float:
    """Run a command to completion (its output appended to ``output``) and return its wall time."""
    with output.open("ab") as out:
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=out, stderr=subprocess.STDOUT)
        return time.perf_counter() - started


def generate_data(models: int, out: Path, result: SizeResult) -> Path:
    """The catalogue of ``models`` models as N-Triples (generated once per size and seed)."""
    path = out / f"catalogue-{models}-seed{SEED}.nt"
    started = time.perf_counter()
    with path.open("wb") as file:
        result.triples = generate.write(models, file, seed=SEED)
    result.generate_seconds = time.perf_counter() - started
    return path


#: The loading path alone: the store's chunked bulk loader into a fresh store, no inference.
LOAD_PATH = """import sys
from pathlib import Path
from pyoxigraph import RdfFormat
from graph import KnowledgeGraph
kg = KnowledgeGraph.open(sys.argv[2])
with open(sys.argv[1], "rb") as file:
    kg.backend.bulk_load(file, RdfFormat.N_TRIPLES, to_graph=None, base_iri=Path(sys.argv[1]).resolve().as_uri())
kg.close()
"""


def measure_loads(
    tools: peers.Peers, data: Path, stores: Path, result: SizeResult, output: Path, *, cli: bool, reuse: bool = False
) -> dict[str, Path]:
    """Load the catalogue into a fresh store per server (for genai-kg, the shipped graph goes in first, untimed).

    ``genai-kg load`` is what users run: it keeps the inferences current. ``genai-kg (loading path)`` times
    the same bulk loading code with no reasoner, to tell the two costs apart.
    """
    found = {}
    if reuse and (stores / "genai-kg").is_dir() and (stores / "oxigraph").is_dir():
        result.notes.append("the stores of an earlier run were served again (--reuse-stores): no load figures")
        return {"genai-kg": stores / "genai-kg", "oxigraph": stores / "oxigraph"}
    if cli:
        genai_store = stores / "genai-kg"
        shutil.rmtree(genai_store, ignore_errors=True)
        timed([str(tools.genai_kg), "stats", "--store", str(genai_store)], output)
        command = [str(tools.genai_kg), "load", str(data), "--store", str(genai_store)]
        result.load_seconds["genai-kg"] = timed(command, output)
        found["genai-kg"] = genai_store
    path_store = stores / "genai-kg-loading-path"
    shutil.rmtree(path_store, ignore_errors=True)
    command = [sys.executable, "-c", LOAD_PATH, str(data), str(path_store)]
    result.load_seconds[LOADING_PATH] = timed(command, output)
    shutil.rmtree(path_store, ignore_errors=True)
    if tools.oxigraph is not None:
        oxigraph_store = stores / "oxigraph"
        shutil.rmtree(oxigraph_store, ignore_errors=True)
        command = [str(tools.oxigraph), "load", "--location", str(oxigraph_store), "--file", str(data)]
        result.load_seconds["oxigraph"] = timed(command, output)
        found["oxigraph"] = oxigraph_store
    return found


def copy_dataset(oxigraph_bin: Path, genai_store: Path, target: Path, output: Path) -> Path:
    """An Oxigraph store holding exactly genai-kg's store (shipped graph, catalogue, inferred and closure graphs)."""
    dump = target.with_suffix(".nq")
    script = "import sys; from pyoxigraph import RdfFormat, Store; "
    script += "Store.read_only(sys.argv[1]).dump(output=sys.argv[2], format=RdfFormat.N_QUADS)"
    timed([sys.executable, "-c", script, str(genai_store), str(dump)], output)
    shutil.rmtree(target, ignore_errors=True)
    timed([str(oxigraph_bin), "load", "--location", str(target), "--file", str(dump)], output)
    dump.unlink()
    return target


def drive(server: Server, tools: peers.Peers, options: Options, result: SizeResult, label: str) -> None:
    """Every throughput query against one running server, after a warm-up: one answer that also counts rows,
    then :data:`WARM_UP_SECONDS` of load that is not measured (every server gets it: one just started, its
    caches cold, answers more slowly at first)."""
    for query in queries.THROUGHPUT:
        started = time.perf_counter()
        try:
            n = 5 % max(1, query.values(result.models))
            result.rows.setdefault(query.name, {})[label] = loadgen.rows(server, query, n=n)
        except RuntimeError as error:
            result.notes.append(str(error))
            continue
        single = time.perf_counter() - started
        seconds = max(options.seconds, min(60.0, 4 * single * query.connections))
        throughput(server, tools, options, query, result.models, min(WARM_UP_SECONDS, options.seconds))
        cpu = server.cpu_seconds()
        figure = throughput(server, tools, options, query, result.models, seconds)
        cpu_ms = 1000 * (server.cpu_seconds() - cpu) / max(1, figure.requests)
        result.throughput.setdefault(query.name, {})[label] = {**asdict(figure), "rps": figure.rps, "cpu_ms": cpu_ms}
        log(f"  {label:<24} {query.name:<10} {figure.rps:10.1f} answers/s  ({figure.errors} errors)")


def throughput(
    server: Server, tools: peers.Peers, options: Options, query: queries.Query, models: int, seconds: float
) -> loadgen.Throughput:
    """``query`` sent to ``server`` for ``seconds`` by the chosen load generator (``wrk`` when there is one)."""
    if tools.wrk is not None and options.loadgen != "python":
        return loadgen.run_wrk(tools.wrk, server, query, models, seconds=seconds, connections=query.connections)
    return loadgen.run_python(server, query, models, seconds=seconds, connections=query.connections)


def measure_stream(server: Server, result: SizeResult, label: str) -> None:
    """Time to first byte, total time and the server's peak memory for the million-row answer."""
    time.sleep(2.0)  # let the server finish what the last load phase left queued: measure it idle
    with RssSampler(server) as sampler:
        figure = loadgen.stream(server, queries.STREAM)
    result.stream[label] = {**asdict(figure), "peak_rss": sampler.peak, "baseline_rss": sampler.baseline}
    if figure.status != 200:
        result.notes.append(f"{label}: the streamed query answered {figure.status}: {figure.error}")
    log(
        f"  {label:<24} stream {figure.rows} rows, first byte {figure.first_byte_ms:.0f} ms, "
        f"total {figure.seconds:.1f} s, peak RSS {sampler.peak / 2**20:.0f} MiB"
    )


def profile_server(
    server: Server, tools: peers.Peers, options: Options, result: SizeResult, out: Path, *, prefix: str = ""
) -> None:
    """Sample all of genai-kg's processes with py-spy while ``wrk`` drives a query; keep the busiest functions."""
    if tools.py_spy is None or tools.wrk is None or server.process is None:
        return
    for query in (queries.LOOKUP, queries.LARGE):
        raw = out / f"profile-{result.models}-{prefix.strip() or 'embedded'}-{query.name}.txt"
        command = [str(tools.py_spy), "record", "--pid", str(server.process.pid), "--subprocesses", "--nonblocking"]
        command += ["--format", "raw", "--output", str(raw)]
        spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        loadgen.run_wrk(tools.wrk, server, query, result.models, seconds=options.seconds, connections=query.connections)
        spy.send_signal(signal.SIGINT)
        spy.wait(60)
        if raw.exists():
            result.profile[prefix + query.name] = report.hot_functions(raw.read_text())


def run_size(models: int, tools: peers.Peers, options: Options) -> SizeResult:
    result = SizeResult(models)
    out = options.out / str(models)
    out.mkdir(parents=True, exist_ok=True)
    output = out / "commands.log"
    log(f"{models} models: generating")
    data = generate_data(models, options.out, result)
    log(f"{models} models: {result.triples} triples in {result.generate_seconds:.1f} s; loading")
    serve = models <= options.serve_max
    stores = measure_loads(tools, data, out / "stores", result, output, cli=serve, reuse=options.reuse_stores)
    for name, seconds in result.load_seconds.items():
        log(f"  {name:<24} load {result.triples / seconds:12.0f} triples/s ({seconds:.1f} s)")
    if not serve:
        result.notes.append(
            f"above --serve-max ({options.serve_max:,} models): only the generator and the loading paths were"
            " measured; `genai-kg load` and `genai-kg serve` materialise every inference first (see the start-up"
            " figures for how that grows)"
        )
        data.unlink(missing_ok=True)
        shutil.rmtree(out / "stores", ignore_errors=True)
        return result

    servers: list[tuple[Server, list[str]]] = []
    if "oxigraph" in stores and tools.oxigraph is not None:
        servers.append((oxigraph_server(tools.oxigraph, stores["oxigraph"]), ["oxigraph"]))
        same = out / "stores" / "oxigraph-same-dataset"
        if not (options.reuse_stores and same.is_dir()):
            same = copy_dataset(tools.oxigraph, stores["genai-kg"], same, output)
        servers.append((oxigraph_server(tools.oxigraph, same, closure=True, name=SAME_DATASET), [SAME_DATASET]))
    if options.naive and "oxigraph" in stores and models <= options.naive_max:
        granian = tools.genai_kg.with_name("granian")
        servers.append((naive(granian, stores["oxigraph"]), [NAIVE]))
    servers.append((genai_kg_server(tools.genai_kg, stores["genai-kg"]), ["genai-kg", "genai-kg (infer=false)"]))
    if tools.rdflib_endpoint is not None and options.use_peers and models <= options.rdflib_max:
        servers.append((rdflib_endpoint_server(tools.rdflib_endpoint, data), ["rdflib-endpoint"]))
    for server, labels in servers:
        with server.start(output):
            result.startup_seconds[server.name] = server.startup_seconds
            result.idle_rss[server.name] = server.rss_bytes()
            log(f"{server.name} ready in {server.startup_seconds:.1f} s, RSS {server.rss_bytes() / 2**20:.0f} MiB")
            own = server.extra  # the server's own parameters (the same-dataset peer's default graph)
            for label in labels:
                server.extra = own + ("&infer=false" if label.endswith("(infer=false)") else "")
                drive(server, tools, options, result, label)
            server.extra = own
            if options.stream and server.name != "rdflib-endpoint":
                measure_stream(server, result, server.name)
            if options.profile and server.name == "genai-kg":
                profile_server(server, tools, options, result, out)
            if models <= options.contention_max and server.name in ("oxigraph", "genai-kg"):
                measure_contention(server, tools, options, result)
    if options.remote and tools.oxigraph is not None and "genai-kg" in stores:
        measure_remote(tools, options, result, stores["genai-kg"], out)
    data.unlink(missing_ok=True)
    return result


def measure_contention(server: Server, tools: peers.Peers, options: Options, result: SizeResult) -> None:
    """The look-up's latency with none, N and N + 1 runaway queries in flight, N being genai-kg's query workers
    (the last phase on a server: runaways the clients left may go on inside it)."""
    workers = default_query_workers()
    seconds = max(options.seconds, 5.0)
    figures = contention.measure(server, (0, workers, workers + 1), models=result.models, seconds=seconds)
    result.latency[server.name] = figures
    for count, figure in figures.items():
        log(
            f"  {server.name:<24} {count} runaway: look-up p50 {figure['p50_ms']:.1f} ms, p99 {figure['p99_ms']:.1f} ms,"
            f" {figure['rps']:.0f}/s, {figure['errors']} errors; runaway answers {figure['runaway_answers']}"
        )


def measure_remote(tools: peers.Peers, options: Options, result: SizeResult, genai_store: Path, out: Path) -> None:
    """genai-kg in front of ``oxigraph serve`` against that same engine process asked directly, then two genai-kg
    processes in front of it. The engine's store is a copy of genai-kg's embedded one (``oxigraph load`` of its
    N-Quads dump: far quicker than loading over HTTP and reasoning again)."""
    assert tools.oxigraph is not None
    output = out / "commands.log"
    store = copy_dataset(tools.oxigraph, genai_store, out / "stores" / "oxigraph-engine", output)
    with oxigraph_engine(tools.oxigraph, store, name=ENGINE).start(output) as engine:
        result.startup_seconds[ENGINE] = engine.startup_seconds
        result.idle_rss[ENGINE] = engine.rss_bytes()
        drive(engine, tools, options, result, ENGINE)
        if options.stream:
            measure_stream(engine, result, ENGINE)
        with genai_kg_remote(tools.genai_kg, engine, name=REMOTE).start(output) as first:
            result.startup_seconds[REMOTE] = first.startup_seconds
            result.idle_rss[REMOTE] = first.rss_bytes()
            log(f"{REMOTE} ready in {first.startup_seconds:.1f} s, RSS {first.rss_bytes() / 2**20:.0f} MiB")
            drive(first, tools, options, result, REMOTE)
            if options.stream:
                measure_stream(first, result, REMOTE)
            if options.profile:
                profile_server(first, tools, options, result, out, prefix="remote ")
            with genai_kg_remote(tools.genai_kg, engine, name=REMOTE + ", second").start(output) as second:
                one = spread(tools, options, result, [first])
                two = spread(tools, options, result, [first, second])
                result.remote_processes = {"one": one, "two": two}
                log(f"  {REMOTE} look-ups: one process {one:.0f}/s, two processes {two:.0f}/s")


def spread(tools: peers.Peers, options: Options, result: SizeResult, servers: list[Server]) -> float:
    """Point look-ups per second with the load spread over ``servers`` (one load generator each, at once)."""
    query = queries.LOOKUP
    figures: list[loadgen.Throughput] = []

    def one(server: Server) -> None:
        if tools.wrk is not None and options.loadgen != "python":
            figure = loadgen.run_wrk(
                tools.wrk, server, query, result.models, seconds=options.seconds, connections=query.connections
            )
        else:
            figure = loadgen.run_python(
                server, query, result.models, seconds=options.seconds, connections=query.connections
            )
        figures.append(figure)

    threads = [threading.Thread(target=one, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(figure.rps for figure in figures)


def inference_runs(options: Options) -> list[list[str]]:
    """The ``bench/inference.py`` runs: owlrl only on small data (it is far slower), the rest larger."""
    runs = [["--departments", "3"], ["--departments", "30", "--skip", "owlrl"]]
    if max(options.sizes, default=0) >= 1_000_000:
        runs.append(["--departments", "300", "--skip", "owlrl"])
    return runs


def run_inference(tools: peers.Peers, options: Options) -> str | None:
    """The figures of ``bench/inference.py`` (owned by the inference work, run as it is), as Markdown."""
    if not options.inference or not (BENCH / "inference.py").exists():
        return None
    python = str(tools.python) if tools.python is not None else sys.executable
    parts = []
    for arguments in inference_runs(options):
        command = [python, "-m", "bench.inference", *arguments]
        log("inference: " + " ".join(command[1:]))
        done = subprocess.run(command, cwd=BENCH.parent, capture_output=True, text=True)
        shown = "python " + " ".join(command[1:])
        body = done.stdout.strip() if done.returncode == 0 else f"failed ({done.returncode}): {done.stderr[-2000:]}"
        parts.append(f"`{shown}`\n\n```\n{body}\n```\n")
    return "\n".join(parts)


def run(options: Options) -> list[SizeResult]:
    options.out.mkdir(parents=True, exist_ok=True)
    setup_log = options.out / "setup.log"
    if options.use_peers and options.install:
        log("installing the peers into bench/.venv (log: bench/out/setup.log)")
        tools = peers.install(setup_log)
    else:
        tools = peers.find()
    if not options.use_peers:
        tools = peers.Peers(tools.genai_kg, None, None, None, tools.wrk, None)
    if options.loadgen == "wrk" and tools.wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk), and --loadgen wrk asks for it")
    results = [run_size(models, tools, options) for models in options.sizes]
    inference = run_inference(tools, options) if options.use_peers else None
    raw: dict[str, Any] = {"options": {**asdict(options), "out": str(options.out), "results": str(options.results)}}
    raw["sizes"] = [asdict(r) for r in results]
    raw["inference"] = inference
    (options.out / "results.json").write_text(json.dumps(raw, indent=1))
    if options.results is not None:
        options.results.write_text(report.markdown(results, tools, options.command, inference))
        log(f"wrote {options.results}")
    return results


def report_only(options: Options) -> None:
    """Write the report again from ``results.json`` (after editing LIMITS.md or the report's layout)."""
    raw = json.loads((options.out / "results.json").read_text())
    results = [SizeResult(**size) for size in raw["sizes"]]
    command = raw["options"].get("command", options.command)
    if options.results is not None:
        options.results.write_text(report.markdown(results, peers.find(), command, raw.get("inference")))
        log(f"wrote {options.results} from {options.out / 'results.json'}")


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default=",".join(str(s) for s in DEFAULT_SIZES), help="models per run, comma-separated"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each load phase (at least)")
    parser.add_argument("--out", type=Path, default=BENCH / "out", help="working folder (stores, logs, raw results)")
    parser.add_argument("--results", type=Path, default=BENCH / "RESULTS.md", help="where the Markdown report goes")
    parser.add_argument("--no-install", action="store_true", help="use the peers already installed, install none")
    parser.add_argument("--no-peers", action="store_true", help="measure genai-kg alone")
    parser.add_argument("--rdflib-max", type=int, default=10_000, help="largest size given to rdflib-endpoint")
    parser.add_argument(
        "--serve-max",
        type=int,
        default=100_000,
        help="largest size to load with inference and serve (above: loads only)",
    )
    parser.add_argument("--no-stream", action="store_true", help="skip the million-row streaming figure")
    parser.add_argument("--no-inference", action="store_true", help="skip bench/inference.py")
    parser.add_argument("--profile", action="store_true", help="sample genai-kg with py-spy under load")
    parser.add_argument(
        "--remote",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure genai-kg in front of oxigraph serve against that engine asked directly",
    )
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from bench/out/results.json")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a few minutes: {','.join(map(str, QUICK_SIZES))} models (unless --sizes says), no inference or remote",
    )
    parser.add_argument("--no-naive", action="store_true", help="skip the naive Flask + pyoxigraph app")
    parser.add_argument(
        "--reuse-stores", action="store_true", help="serve the stores an earlier run left in --out (no load figures)"
    )
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto", help="load generator")
    args = parser.parse_args(argv)
    sizes = tuple(int(s.replace("_", "")) for s in args.sizes.split(",") if s)
    if args.quick and sizes == DEFAULT_SIZES:
        sizes = QUICK_SIZES
    return Options(
        sizes=sizes,
        seconds=args.seconds,
        out=args.out,
        results=args.results,
        install=not args.no_install,
        use_peers=not args.no_peers,
        rdflib_max=args.rdflib_max,
        serve_max=args.serve_max,
        stream=not args.no_stream,
        inference=not (args.no_inference or args.quick),
        profile=args.profile,
        remote=args.remote and not args.quick,
        naive=not args.no_naive,
        reuse_stores=args.reuse_stores,
        loadgen=args.loadgen,
        report_only=args.report_only,
        command=" ".join(["python -m bench.run", *(argv if argv is not None else sys.argv[1:])]),
    )


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    if options.report_only:
        report_only(options)
    else:
        run(options)


if __name__ == "__main__":
    main()
