"""What the service manifest says of the graph: the default types a user most often reconciles against."""

from __future__ import annotations

from ..builds import reads
from ..namespaces import GAI
from ..store import KnowledgeGraph
from .index import KEY, index

#: The types a user most often reconciles against, most useful first (those the ontology declares).
DEFAULT_TYPES = (
    "AIModel",
    "Organization",
    "Product",
    "ModelFamily",
    "LargeLanguageModel",
    "GenerativeModel",
    "GenerativeAI",
    "AISystem",
)


@reads(KEY)
def default_types(kg: KnowledgeGraph) -> list[dict[str, str]]:
    """The manifest's default types: the ontology's most useful classes for reconciling, most useful first."""
    found = index(kg)
    return [found.type_entry(GAI + name) for name in DEFAULT_TYPES if GAI + name in found.classes]
