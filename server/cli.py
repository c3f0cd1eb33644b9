"""The ``genai-kg`` command line: serve the knowledge graph, and load, query, export, count, validate it."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from pyoxigraph import NamedNode, RdfFormat
from tqdm import tqdm

from graph import GraphError, loading, named_queries, results, stats, validation
from graph import export as exporting
from graph import generate as generating
from graph.graph_store import graph_name
from graph.input_limits import check_rdf_file
from graph.namespaces import expand
from graph.outbound import OutboundPolicy
from graph.store import Term

from .locations import Location, opened, status, store_option
from .options import configured, setting_options

if TYPE_CHECKING:
    from graph.inference.explanation import Explanation


#: Said at start by a server whose works run in the request thread (see docs/timeouts.md).
UNBUDGETED = (
    "genai-kg: warning: --query-workers 0 runs every query in the request thread, with neither the time nor the "
    "memory budget: one request can hold a thread, or the server's memory, for as long as it runs"
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="genai-kg")
def main() -> None:
    """genai-kg: a knowledge graph about generative AI, served as SPARQL and linked data."""


@main.command()
@store_option
@click.option("--memory", is_flag=True, help="Use an in-memory store loaded with the shipped graph (--store memory).")
@setting_options(location=False)
def serve(store: Location, memory: bool, **options: object) -> None:
    """Serve SPARQL, linked data and the APIs with granian, behind the HTTP front (server/front.py).

    On an embedded store, one process (the store allows one writer); over a remote engine, as many
    processes as you like, each stateless. A worker process that crashes is started again.
    """
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings

    if memory and store.endpoints is not None:
        raise click.UsageError("--memory and --sparql-endpoint exclude each other: choose where the graph lives")
    endpoints = store.endpoints
    location: dict[str, object] = {"store": None} if memory else {"store": store.path}
    if endpoints is not None:
        location = {
            "sparql_endpoint": endpoints.query,
            "sparql_update_endpoint": endpoints.update,
            "store_endpoint": endpoints.store,
        }
    config = configured(options, **location)
    if config.sparql_timeout_parameter is not None:
        if endpoints is None:
            raise click.UsageError("--sparql-timeout-parameter goes with --sparql-endpoint")
        try:
            config.endpoints()
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--sparql-timeout-parameter") from error
    os.environ.update(config.to_env())
    where = config.sparql_endpoint or ("memory" if config.store is None else str(config.store))
    click.echo(f"genai-kg serving {where} on http://{config.host}:{config.port}/", err=True)
    if config.query_workers == 0 and config.sparql_endpoint is None:
        click.echo(UNBUDGETED, err=True)
    Granian(
        "server.front:create_front",
        factory=True,
        address=config.host,
        port=config.port,
        interface=Interfaces.ASGI,
        workers=1,
        http=HTTPModes.http1,  # the header deadline below is HTTP/1's; HTTP/2 goes through a proxy
        http1_settings=HTTP1Settings(header_read_timeout=round(config.request_timeout * 1000)),
        websockets=False,
        log_access=False,  # the front writes its own access log
        respawn_failed_workers=True,
        # A client that reads nothing would hold a graceful stop for ever (granian keeps what it was sent):
        # past this, the worker is killed; RocksDB's log keeps every acknowledged write, and the next start
        # removes the snapshots it leaves.
        workers_kill_timeout=config.shutdown_timeout,
    ).serve()


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@store_option
@click.option("--graph", "graph_iri", default=None, help="Named graph to load into (default: the default graph).")
@click.option("--format", "fmt", default=None, help="RDF format (extension or media type); default from name.")
def load(files: tuple[Path, ...], store: Location, graph_iri: str | None, fmt: str | None) -> None:
    """Load RDF files; each file is all-or-nothing, and a syntax error names its line and column."""
    limits = configured({}).input_limits()
    try:
        graph = graph_name(expand(graph_iri)) if graph_iri else None
        for path in files:  # every file keeps the limits before any is loaded (the parsers would crash)
            if fmt is None and path.suffix.lstrip(".").lower() not in results.GRAPH_FORMATS:
                raise click.ClickException(
                    f"{path}: the extension {path.suffix or '(none)'!r} names no RDF format; rename the file or give "
                    f"--format (one of {', '.join(sorted(results.GRAPH_FORMATS))}, or a media type)"
                )
            check_rdf_file(path, loading.rdf_format(path, fmt), limits)
    except GraphError as error:
        raise click.ClickException(str(error)) from error
    with opened(store) as kg:
        for path in files:
            with tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=path.name, leave=False) as bar:
                count = loading.load_file(kg, path, graph=graph, format=fmt, progress=_reading(bar, path.name))
            click.echo(f"{path}: {count} quads loaded", err=True)


def _reading(bar: tqdm, name: str) -> Callable[[int], None]:
    """Advance the bar by the bytes read; once the whole file is read, say that the store is being written
    and reasoned over (the bar would otherwise sit at 100 % while that takes its time)."""

    def advance(read: int) -> None:
        bar.update(read)
        if bar.total and bar.n >= bar.total:
            bar.set_description(f"{name}: read; writing the quads and reasoning over them")

    return advance


@main.command()
@click.argument("sparql", required=False)
@store_option
@click.option("--format", "fmt", default="table", show_default=True, help="table, or json/xml/csv/tsv, ttl/nt/…")
@click.option("--no-infer", is_flag=True, help="Query asserted triples only (no inferred ones).")
@click.option("--named", default=None, metavar="NAME", help="Run the named query NAME (see `genai-kg queries`).")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A named query's parameter; repeatable.")
def query(
    sparql: str | None, store: Location, fmt: str, no_infer: bool, named: str | None, params: tuple[str, ...]
) -> None:
    """Run a SPARQL query (pass - to read it from standard input), or a named query, and print the result."""
    if (sparql is None) == (named is None):
        raise click.UsageError("give either a SPARQL query or --named NAME")
    if params and named is None:
        raise click.UsageError("--param goes with --named")
    substitutions: dict[str, Term] = {}
    if named is not None:
        try:
            known = named_queries.load()
            if named not in known:
                raise click.ClickException(f"no named query {named!r}; `genai-kg queries` lists them")
            chosen = named_queries.get(known, named)
            values = dict(_key_value(param) for param in params)
            outbound = OutboundPolicy.parse(os.environ.get("GENAI_KG_ALLOWED_ENDPOINTS"))
            text, bound = chosen.prepare(values, outbound)
            substitutions = dict(bound)
        except GraphError as error:
            raise click.ClickException(str(error)) from error
    else:
        text = sys.stdin.read() if sparql == "-" else str(sparql)
    with opened(store, read_only=False) as kg:
        try:
            with status("running the query"):
                result = kg.query(text, infer=not no_infer, substitutions=substitutions)
            if fmt == "table":
                click.echo(results.as_table(result))
            else:
                results.write(result, results.format_for(result, fmt), sys.stdout.buffer)
        except GraphError as error:
            raise click.ClickException(str(error)) from error


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise click.BadParameter(f"{text!r} is not KEY=VALUE", param_hint="--param")
    return key, value


@main.command("queries")
def queries_command() -> None:
    """List the named queries in queries/ with their parameters."""
    try:
        found = named_queries.load()
    except GraphError as error:
        raise click.ClickException(str(error)) from error
    for name, named in found.items():
        click.echo(f"{name}: {named.title}")
        for param in named.params:
            details = ", ".join(
                part
                for part in (
                    param.type,
                    "required" if param.required else "",
                    f"default {param.default}" if param.default else "",
                    f"one of {' '.join(param.enum)}" if param.enum else "",
                )
                if part
            )
            click.echo(f"    --param {param.name}=…  ({details})")


@main.command()
@store_option
@click.option("--format", "fmt", default="nq", show_default=True, help="nq or trig (whole dataset), or any")
@click.option("--graph", "graph_iri", default=None, help="Export only this graph ('default' for the default).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
def export(store: Location, fmt: str, graph_iri: str | None, output: Path | None) -> None:
    """Export the dataset, or one graph, as RDF."""
    rdf_format = results.GRAPH_FORMATS.get(fmt) or RdfFormat.from_extension(fmt)
    if rdf_format is None:
        raise click.BadParameter(f"unknown RDF format {fmt!r}", param_hint="--format")
    try:
        graph = None if graph_iri is None else graph_name(None if graph_iri == "default" else expand(graph_iri))
    except GraphError as error:
        raise click.BadParameter(str(error), param_hint="--graph") from error
    with opened(store) as kg:
        if graph is not None and not any(True for _ in kg.quads(None, None, None, graph)):
            where = "the graph <" + graph.value + ">" if isinstance(graph, NamedNode) else "the default graph"
            named = sorted(str(g) for g in kg.named_graphs(infer=True))
            held = ", ".join(named[:4]) + (", …" if len(named) > 4 else "")
            hint = f" (the data is in named graphs: {held}; omit --graph to export them all)" if named else ""
            raise click.ClickException(f"{where} holds no triples, nothing exported{hint}")
        try:
            if output is None:
                exporting.export(kg, sys.stdout.buffer, format=rdf_format, graph=graph)
            else:
                partial = output.with_name(output.name + ".partial")
                try:
                    with partial.open("wb") as file:
                        exporting.export(kg, file, format=rdf_format, graph=graph)
                    partial.replace(output)  # the file appears whole, or not at all
                finally:
                    partial.unlink(missing_ok=True)
        except GraphError as error:
            raise click.ClickException(str(error)) from error


@main.command("stats")
@store_option
def stats_command(store: Location) -> None:
    """Count quads, triples per graph, classes in use, resources and properties (the figures of / and VoID)."""
    with opened(store) as kg, status("counting"):
        figures = stats.compute(kg)
    click.echo(f"quads       {figures.quads}")
    for graph, count in figures.graphs.items():
        click.echo(f"  {count:>8}  {graph}")
    click.echo(f"classes     {figures.classes}  (in use: with at least one member)")
    click.echo(f"resources   {figures.resources}  (distinct subjects)")
    click.echo(f"properties  {figures.properties}")


@main.command()
@store_option
def validate(store: Location) -> None:
    """Validate the knowledge graph against the SHACL shapes; exits 1 when it does not conform."""
    with opened(store) as kg, status("validating against the SHACL shapes"):
        report = validation.validate(kg)
    for violation in report.violations:
        click.echo(f"{violation.severity}: {violation.focus} {violation.path or ''}: {violation.message}")
    if report.skipped:
        click.echo(f"{report.skipped} triple(s) with an RDF 1.2 triple term not checked (rdflib cannot hold them)")
    click.echo("conforms" if report.conforms else f"{len(report.violations)} violation(s)")
    sys.exit(0 if report.conforms else 1)


@main.command()
@click.option("--models", "-n", required=True, type=click.IntRange(min=0), help="How many models to generate.")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed: the same seed, the same data.")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File (default: stdout)."
)
def generate(models: int, seed: int, output: Path | None) -> None:
    """Write a synthetic catalogue of MODELS models as N-Triples (about 11 triples a model), for benchmarks."""
    if output is None:
        generating.write(models, sys.stdout.buffer, seed=seed)
        return
    with output.open("wb") as file, tqdm(unit=" triples", unit_scale=True, desc=output.name, leave=False) as bar:
        count = generating.write(models, file, seed=seed, progress=bar.update)
    click.echo(f"{output}: {count} triples for {models} models", err=True)


@main.command()
@store_option
@click.option(
    "--force", is_flag=True, help="Compute the closure again even when it is current, and compact the store's files."
)
def infer(store: Location, force: bool) -> None:
    """Materialise the OWL 2 RL inferences into the inferred graph (nothing to do when they are current)."""
    from graph.inference import closure_state, materialize

    try:
        kg = store.open(infer=False)
        try:
            report = materialize(kg, force=force)
            state = closure_state(kg)
        finally:
            kg.close()
    except GraphError as error:
        raise click.ClickException(str(error)) from error
    if report.status == "current":
        click.echo(
            f"the inferred graph is current (generation {state.generation}): nothing to do; --force recomputes it"
        )
        return
    if report.engine == "bulk":
        how = f"the bulk path (in memory, a child process of {report.child_peak_rss / 2**20:.0f} MiB at its peak)"
    else:
        how = f"{report.rounds} rounds of queries in the store"
    click.echo(f"inferred  +{report.added} -{report.removed} in the inferred graph, {how}")
    click.echo(f"seconds   {report.seconds:.3f}")


def _explanation(store: Location, iri: str, cls: str) -> Explanation | None:
    """Open, explain and close in one frame, so that no reference to the store outlives it."""
    from graph.inference.explanation import is_a, resolve

    with opened(store) as kg:
        try:
            thing, group = resolve(kg, iri, what="resource"), resolve(kg, cls, what="class")
        except GraphError as error:
            raise click.ClickException(str(error)) from error
        return is_a(kg, thing, group)[1]


@main.command()
@click.argument("iri")
@click.argument("cls", metavar="CLASS")
@store_option
def explain(iri: str, cls: str, store: Location) -> None:
    """Say whether IRI is a CLASS (full IRIs or prefix:Local) and why; exits 1 when it is not."""
    explanation = _explanation(store, iri, cls)
    if explanation is None:
        click.echo(f"no: {iri} is not entailed to be a {cls}")
        sys.exit(1)
    click.echo(explanation.sentence)
    for number, step in enumerate(explanation.steps):
        source = f" (from {', '.join(map(str, step.premises))})" if step.premises else ""
        click.echo(f"  {number}. [{step.rule}] {step.text or ' '.join(step.triple)}{source}")
