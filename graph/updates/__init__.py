"""SPARQL 1.1 Update as a planned :class:`~graph.delta.Delta`: what a request would change, read from the store.

An update runs in two steps. :func:`parse_update` splits the request into its operations with the one SPARQL
lexer and lets pyoxigraph judge the syntax of every part (data blocks and templates as ``INSERT DATA`` on an
empty in-memory store, ``WHERE`` groups with its query parser, which evaluates nothing until asked), so a
request that does not parse is refused before anything is read, fetched or written. :meth:`Update.plan` then
evaluates the operations, in order, against the store as it is — ``WHERE`` groups as ``SELECT`` queries over
the dataset the operation names, ``LOAD`` through the outbound policy — and returns the exact delta: the quads
removed that were present, the quads added that were absent, the named graphs created and dropped. Planning
only reads, so it is budgeted, killable read work; :meth:`graph.store.KnowledgeGraph.write` then applies the
delta in one step.

The graphs the reasoner owns (the inferred graph) are read-only here: ``ALL`` and ``NAMED`` mean the asserted
graphs, a template quad whose ``GRAPH ?g`` lands in one is skipped, and an operation that names one as its
target is refused with :class:`~graph.errors.ReadOnly`.

:mod:`.parser` reads a request, :mod:`.operations` says what each kind of operation changes, and
:mod:`.request` plans a whole request, on a scratch copy of the store when it needs one.

>>> from graph.store import KnowledgeGraph
>>> kg = KnowledgeGraph.open()
>>> update = parse_update("INSERT DATA { <urn:a> <urn:p> 1 } ; DELETE WHERE { ?s <urn:p> ?o }")
>>> [op.kind for op in update.operations], update.needs_scratch
(['INSERT DATA', 'DELETE WHERE'], True)
>>> update.plan(kg)
Delta(removed=(), added=(), created=(), dropped=())
"""

from .operations import (
    DataOperation,
    GraphManagement,
    Load,
    Modify,
    Operation,
    PlanContext,
    Template,
    Transfer,
    apply_in_steps,
    has_blank_node,
)
from .parser import parse_update
from .request import Update, planned, scratch_copy

__all__ = [
    "DataOperation",
    "GraphManagement",
    "Load",
    "Modify",
    "Operation",
    "PlanContext",
    "Template",
    "Transfer",
    "Update",
    "apply_in_steps",
    "has_blank_node",
    "parse_update",
    "planned",
    "scratch_copy",
]
