"""Where a CLI command finds the knowledge graph: ``--store DIR``, or a remote engine's endpoints."""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import click

from graph import GraphError, KnowledgeGraph, open_knowledge_graph
from graph.engine_client import Endpoints
from graph.inference.bulk import BulkThresholds

from .config import Config
from .options import configured, setting_options


@dataclass(frozen=True)
class Location:
    """Where a command finds the knowledge graph: an on-disk store, or a remote engine's endpoints; and when
    its writes are reasoned over in bulk (settings that every command that writes reads)."""

    path: Path
    endpoints: Endpoints | None = None
    bulk: BulkThresholds = field(default_factory=BulkThresholds)

    @classmethod
    def of(cls, config: Config) -> Location:
        if config.store is None and config.sparql_endpoint is None:
            raise click.UsageError("a command needs a store folder or an engine: the store cannot be 'memory' here")
        try:
            endpoints = config.endpoints()
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--sparql-endpoint") from error
        return cls(config.store or Path(), endpoints, config.bulk_thresholds())

    def __str__(self) -> str:
        return self.endpoints.query if self.endpoints is not None else str(self.path)

    def open(self, *, read_only: bool = False, infer: bool = True) -> KnowledgeGraph:
        return open_knowledge_graph(
            self.path, read_only=read_only, infer=infer, endpoints=self.endpoints, bulk=self.bulk
        )


def store_option(command: Callable[..., None]) -> Callable[..., None]:
    """The options that say where the knowledge graph is, given to the command as one ``store`` Location."""

    @functools.wraps(command)
    def with_location(
        *args: object,
        store: Path | None,
        sparql_endpoint: str | None,
        sparql_update_endpoint: str | None,
        store_endpoint: str | None,
        **kwargs: object,
    ) -> None:
        given = {
            "store": store,
            "sparql_endpoint": sparql_endpoint,
            "sparql_update_endpoint": sparql_update_endpoint,
            "store_endpoint": store_endpoint,
        }
        config = configured(given)
        if config.sparql_endpoint is None and (config.sparql_update_endpoint or config.store_endpoint):
            raise click.UsageError("--sparql-update-endpoint and --store-endpoint go with --sparql-endpoint")
        kwargs["store"] = Location.of(config)
        command(*args, **kwargs)

    return setting_options(location=True)(with_location)


@contextmanager
def status(what: str, *, after: float = 1.0, shown: bool | None = None) -> Iterator[None]:
    """Say on standard error what a step is doing once it has taken ``after`` seconds, and how long it took:
    quick steps stay silent, slow ones never look stuck. Shown when standard error is a terminal (``shown``
    overrides): a script reading the output gets only the answer."""
    if shown is None:
        shown = sys.stderr.isatty()
    if not shown:
        yield
        return
    started = time.perf_counter()
    timer = threading.Timer(after, lambda: click.echo(f"{what} …", err=True))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if time.perf_counter() - started >= after:
            click.echo(f"{what}: done in {time.perf_counter() - started:.1f} s", err=True)


@contextmanager
def opened(store: Location, *, read_only: bool = False) -> Iterator[KnowledgeGraph]:
    """Open the store for one command, turning graph errors into a clean exit with the message."""
    try:
        with status(f"opening {store} (and bringing its inferences up to date)"):
            kg = store.open(read_only=read_only)
        try:
            yield kg
        finally:
            kg.close()
    except GraphError as error:
        raise click.ClickException(str(error)) from error
