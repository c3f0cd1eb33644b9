"""Where a CLI command finds the knowledge graph: ``--store DIR``, or a remote engine's endpoints."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click

from graph import GraphError, KnowledgeGraph, open_knowledge_graph
from graph.engine_client import Endpoints


@dataclass(frozen=True)
class Location:
    """Where a command finds the knowledge graph: an on-disk store, or a remote engine's endpoints."""

    path: Path
    endpoints: Endpoints | None = None

    def __str__(self) -> str:
        return self.endpoints.query if self.endpoints is not None else str(self.path)

    def open(self, *, read_only: bool = False, infer: bool = True) -> KnowledgeGraph:
        return open_knowledge_graph(self.path, read_only=read_only, infer=infer, endpoints=self.endpoints)


def store_option(command: Callable[..., None]) -> Callable[..., None]:
    """The options that say where the knowledge graph is, given to the command as one ``store`` Location."""

    @functools.wraps(command)
    def with_location(
        *args: object,
        sparql_endpoint: str | None,
        sparql_update_endpoint: str | None,
        store_endpoint: str | None,
        **kwargs: object,
    ) -> None:
        if sparql_endpoint is None and (sparql_update_endpoint or store_endpoint):
            raise click.UsageError("--sparql-update-endpoint and --store-endpoint go with --sparql-endpoint")
        try:
            endpoints = Endpoints(sparql_endpoint, sparql_update_endpoint, store_endpoint) if sparql_endpoint else None
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--sparql-endpoint") from error
        kwargs["store"] = Location(kwargs["store"], endpoints)  # type: ignore[arg-type]
        command(*args, **kwargs)

    options = [
        click.option(
            "--store",
            "store",
            type=click.Path(file_okay=False, path_type=Path),
            default=Path("var/store"),
            show_default=True,
            help="Folder of the on-disk store (created and loaded when missing).",
        ),
        click.option(
            "--sparql-endpoint",
            envvar="GENAI_KG_SPARQL_ENDPOINT",
            default=None,
            metavar="URL",
            help="Use this remote SPARQL 1.1 engine's query endpoint instead of --store.",
        ),
        click.option(
            "--sparql-update-endpoint",
            envvar="GENAI_KG_SPARQL_UPDATE_ENDPOINT",
            default=None,
            metavar="URL",
            help="The engine's SPARQL Update endpoint (default: the query endpoint).",
        ),
        click.option(
            "--store-endpoint",
            envvar="GENAI_KG_STORE_ENDPOINT",
            default=None,
            metavar="URL",
            help="The engine's Graph Store Protocol endpoint, for bulk loads (default: INSERT DATA batches).",
        ),
    ]
    for option in reversed(options):
        with_location = option(with_location)
    return with_location


@contextmanager
def opened(store: Location, *, read_only: bool = False) -> Iterator[KnowledgeGraph]:
    """Open the store for one command, turning graph errors into a clean exit with the message."""
    try:
        kg = store.open(read_only=read_only)
        try:
            yield kg
        finally:
            kg.close()
    except GraphError as error:
        raise click.ClickException(str(error)) from error
