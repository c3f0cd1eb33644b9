"""An entity's preview, which OpenRefine shows in a small frame: its name, id, description, types and other names."""

from __future__ import annotations

from dataclasses import dataclass

from ..builds import reads
from ..errors import NotFound
from ..namespaces import GAID
from ..store import KnowledgeGraph
from .identifiers import full, short
from .index import KEY, index


@dataclass(frozen=True)
class Preview:
    """What an entity's preview shows: its name, id, IRI, description, types and other names."""

    id: str
    iri: str
    name: str
    description: str
    types: tuple[str, ...]
    aliases: tuple[str, ...]


@reads(KEY)
def preview_of(kg: KnowledgeGraph, id: str) -> Preview:
    """The preview of one entity; :class:`NotFound` for an id that names none."""
    found = index(kg)
    iri = full(id, GAID)
    candidate = found.entities.get(iri)
    if candidate is None:
        raise NotFound(f"no entity {id[:80]!r} in the identifier space {GAID}")
    types = tuple(found.classes[t].name for t in found.specific_types(candidate))
    aliases = tuple(a for a in candidate.labels if a != candidate.label)
    return Preview(short(iri, GAID), iri, candidate.label, found.descriptions.get(iri, ""), types, aliases)
