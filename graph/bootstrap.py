"""Opening the knowledge graph the way the service and the CLI need it: loaded and ready to answer."""

from __future__ import annotations

import sys
from pathlib import Path

from .engine_client import Endpoints, EngineClient
from .inference import closure_state, materialize
from .inference.bulk import BulkThresholds
from .loading import load_shipped
from .namespaces import SHIPPED_GRAPHS
from .remote import RemoteBackend
from .store import KnowledgeGraph


def open_knowledge_graph(
    path: str | Path | None = None,
    *,
    read_only: bool = False,
    infer: bool = True,
    endpoints: Endpoints | None = None,
    timeout: float | None = None,
    bulk: BulkThresholds | None = None,
) -> KnowledgeGraph:
    """Open the store at ``path`` (or in memory, or the remote engine at ``endpoints``), loading the shipped
    knowledge graph into an empty store.

    A store that already holds data is used as it is: what users wrote is never overwritten. A remote engine
    may hold other datasets (and an engine's own graphs): there the shipped graph is loaded when none of its
    named graphs is present. With ``infer``, a writable store whose closure is not current (new, left pending
    by a crash, computed by other rules) is materialised before this returns; a current one is used at once,
    and a read-only one never. Every write keeps the closure current. ``timeout`` bounds each request to a
    remote engine; ``bulk`` says when a write is reasoned over in bulk (by default, :class:`BulkThresholds`).
    """
    if endpoints is not None:
        kg = KnowledgeGraph(RemoteBackend(EngineClient(endpoints, timeout=timeout), read_only=read_only))
    else:
        kg = KnowledgeGraph.open(path, read_only=read_only)
    if bulk is not None:
        kg.bulk = bulk
    if not read_only and (_lacks_shipped_graphs(kg) if kg.backend.shared else kg.is_empty()):
        load_shipped(kg)
    if infer and not kg.read_only:
        materialize(kg)
    elif infer and not kg.is_empty() and (state := closure_state(kg).status) != "current":
        print(
            f"genai-kg: the closure of {kg.backend.location} is {state} (a write did not finish, or older rules "
            "wrote it): read-only, queries may miss inferred triples until a writable open computes it",
            file=sys.stderr,
        )
    return kg


def _lacks_shipped_graphs(kg: KnowledgeGraph) -> bool:
    return not any(kg.contains_named_graph(graph) for graph in SHIPPED_GRAPHS)
