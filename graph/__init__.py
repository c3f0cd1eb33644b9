"""genai-kg's knowledge and its store: plain Python over pyoxigraph and rdflib, no HTTP."""

from .bootstrap import open_knowledge_graph
from .errors import (
    BadData,
    BadParameter,
    BadQuery,
    BadRequest,
    GraphError,
    Inconsistent,
    NotFound,
    QueryOutOfMemory,
    QueryTimeout,
    ReadOnly,
    TooLarge,
    Unavailable,
)
from .store import KnowledgeGraph

__all__ = [
    "BadData",
    "BadParameter",
    "BadQuery",
    "BadRequest",
    "GraphError",
    "Inconsistent",
    "KnowledgeGraph",
    "NotFound",
    "QueryOutOfMemory",
    "QueryTimeout",
    "ReadOnly",
    "TooLarge",
    "Unavailable",
    "open_knowledge_graph",
]
