"""Opening the knowledge graph the way the service and the CLI need it: loaded and ready to answer."""

from __future__ import annotations

from pathlib import Path

from .engine_client import Endpoints, EngineClient
from .loading import load_shipped
from .remote import RemoteBackend
from .store import KnowledgeGraph


def open_knowledge_graph(
    path: str | Path | None = None,
    *,
    read_only: bool = False,
    infer: bool = True,
    endpoints: Endpoints | None = None,
    timeout: float | None = None,
) -> KnowledgeGraph:
    """Open the store at ``path`` (or in memory, or the remote engine at ``endpoints``), loading the shipped
    knowledge graph into an empty store.

    A store that already holds data is used as it is: what users wrote is never overwritten. With ``infer``
    the inferences are materialised before this returns and kept current after every write. ``timeout``
    bounds each request to a remote engine.
    """
    if endpoints is not None:
        kg = KnowledgeGraph(RemoteBackend(EngineClient(endpoints, timeout=timeout), read_only=read_only))
    else:
        kg = KnowledgeGraph.open(path, read_only=read_only)
    if kg.is_empty() and not read_only:
        load_shipped(kg)
    if infer:
        from .inference import reasoner_of  # the reasoner imports the store: import it once both exist

        reasoner_of(kg)
    return kg
