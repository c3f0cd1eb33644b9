"""OWL 2 RL + RDFS reasoning: a materialised closure kept current, with explanations and classification.

The pieces: :mod:`.vocabulary` (the terms the rules read), :mod:`.dictionary` (terms as ints),
:mod:`.schema` (the schema closure, compiled into :mod:`.rules` tables), :mod:`.closure` (semi-naive
forward chaining and DRed retraction), :mod:`.reasoner` (the store's inferred graph, kept current).
"""

from .reasoner import Reasoner, Report, reasoner_of

__all__ = ["Reasoner", "Report", "reasoner_of"]
