"""Reading functions behind the agents' endpoint (``/mcp``) that no other module has in this shape.

They take the knowledge graph first, so the query service runs them as a :class:`~graph.querying.work.Call`
(in a worker, within the request's budget), and return plain values that pickle.
"""

from __future__ import annotations

from typing import Any

from .inference.explanation import is_a, resolve
from .store import KnowledgeGraph


def is_a_explained(kg: KnowledgeGraph, thing: str, cls: str) -> dict[str, Any]:
    """Whether ``thing`` is a ``cls`` (full IRIs or ``prefix:Local``), with its explanation when it is: the
    answer of ``/infer/is-a`` as JSON. Unknown names raise :class:`~graph.errors.NotFound`."""
    holds, explanation = is_a(kg, resolve(kg, thing, what="resource"), resolve(kg, cls, what="class"))
    return {"iri": thing, "class": cls, "result": holds, "explanation": explanation.as_json() if explanation else None}
