"""OWL 2 RL + RDFS reasoning inside the store: a materialised closure kept current by every write.

The pieces: :mod:`.vocabulary` (the terms the rules read), :mod:`.schema` (the schema closure, compiled into
:mod:`.rules` tables), :mod:`.program` (the instance rules as SPARQL queries), :mod:`.engine` (rounds over
delta graphs, DRed), :mod:`.state` (what the store says about its closure), :mod:`.reasoner` (what a write
or ``genai-kg infer`` runs). The read side: :mod:`.explanation`, :mod:`.hierarchy`, :mod:`.classify`,
:mod:`.consistency`, each a function of a knowledge graph that works on a read-only one.
"""

from .reasoner import Report, closure_state, materialize

__all__ = ["Report", "closure_state", "materialize"]
