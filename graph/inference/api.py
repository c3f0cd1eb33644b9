"""The answers of the inference API (``/infer/…``, MCP's ``explain``): functions of a knowledge graph that
return plain data (JSON-ready dicts), so that the query service can run them in a worker over a snapshot,
within the request's budget, and cache them for as long as the store's generation holds.

Names arrive as the user gave them (a full IRI or ``prefix:Local``) and are resolved here, against the store
the answer is computed on.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from pyoxigraph import Quad

from ..errors import NotFound
from .classify import classify as classify_description
from .consistency import clashes, shape_violations
from .explanation import explain, resolve
from .explanation import is_a as entails
from .hierarchy import neighbours
from .hierarchy import types as types_of

if TYPE_CHECKING:
    from ..store import KnowledgeGraph


def plain(value: Any) -> Any:
    """A dataclass as a dict (other values as they are)."""
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) and not isinstance(value, type) else value


def types(kg: KnowledgeGraph, iri: str) -> dict[str, Any]:
    """The classes of ``iri``: asserted and inferred, separated."""
    return {"iri": iri, **plain(types_of(kg, resolve(kg, iri, what="resource")))}


def is_a(kg: KnowledgeGraph, iri: str, cls: str) -> dict[str, Any]:
    """Whether ``iri`` is a ``cls`` (instance or subclass), with the explanation when it is."""
    holds, explanation = entails(kg, resolve(kg, iri, what="resource"), resolve(kg, cls, what="class"))
    return {"iri": iri, "class": cls, "result": holds, "explanation": explanation.as_json() if explanation else None}


def why(kg: KnowledgeGraph, subject: str, predicate: str, object: str) -> dict[str, Any]:
    """Why the triple holds: stated, or its derivation; NotFound when the graph neither states nor entails it."""
    terms = {"subject": subject, "predicate": predicate, "object": object}
    s, p, o = (resolve(kg, name, what=what) for what, name in terms.items())
    explanation = explain(kg, s, p, o)
    if explanation is None:
        raise NotFound("the knowledge graph neither states nor entails this triple")
    return {**terms, "explanation": explanation.as_json()}


def hierarchy(kg: KnowledgeGraph, cls: str, up: bool) -> dict[str, Any]:
    """The superclasses (``up``) or subclasses of ``cls``: direct, all, and equivalent classes."""
    found = neighbours(kg, resolve(kg, cls, what="class"), up=up)
    return {"class": cls, "direction": "superclasses" if up else "subclasses", **plain(found)}


def classify(kg: KnowledgeGraph, quads: list[Quad]) -> list[dict[str, Any]]:
    """The classes each subject of a hypothetical description would fall into, with why; nothing is stored."""
    results = []
    for found in classify_description(kg, quads):
        item = plain(dataclasses.replace(found, explanations={}))
        item["explanations"] = {c: e.as_json() for c, e in found.explanations.items()}
        results.append(item)
    return results


def consistency(kg: KnowledgeGraph, shacl: bool) -> dict[str, Any]:
    """OWL 2 RL clashes (disjointness and the like) and, with ``shacl``, the SHACL violations: a scan of the
    store, once per generation (:meth:`~graph.store.KnowledgeGraph.cached`)."""
    return kg.cached(f"consistency {bool(shacl)}", _consistency, shacl)


def _consistency(kg: KnowledgeGraph, shacl: bool) -> dict[str, Any]:
    found = [plain(c) for c in clashes(kg)]
    violations = [plain(v) for v in shape_violations(kg)] if shacl else []
    return {"consistent": not found, "conforms": not violations, "disjointness": found, "shacl": violations}
