"""Epoch AI's Notable AI Models, the second source: reconciled with the article, then mapped by SPARQL.

``make epoch`` (``python -m graph.sources.epoch``) re-runs the import; the same CSV and article give the
same files, byte for byte:

1. read ``ontology/epoch/notable-ai-models.csv`` as a tabular view (:mod:`graph.sources.tabular`), as its
   CSVW metadata describes it;
2. reconcile each row's model and organisations with the article's resources (:mod:`graph.matching`) and
   mint IRIs for the others; the decisions join the view as ``rec:`` triples and are written to
   ``ontology/epoch/reconciliation.md``;
3. run ``ontology/epoch/mapping.rq`` over the view: the graph ``…/graph/epoch``
   (``ontology/epoch/notable-ai-models.ttl``);
4. run ``ontology/epoch/derived.rq`` over the view, that graph and the article: ``…/graph/derived``
   (``ontology/derived/epoch.ttl``).

Python decides only identity (which IRI a row or a name stands for); every statement comes from the two
SPARQL files.
"""

from __future__ import annotations

import hashlib
import re
import sys
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, QueryTriples, RdfFormat, Store, Triple, serialize

from ..loading import ONTOLOGY_DIR, read_file, shipped_sources
from ..matching import DEVELOPER, RELATED, SAME_NAME, VARIANT, Candidate, Matcher, Result, candidates
from ..namespaces import GAI, GAID, GRAPH_DATA, GRAPH_LINKS, GRAPH_ONTOLOGY, PREFIXES
from ..store import KnowledgeGraph
from .report import report
from .tabular import Row, Table

EPOCH_DIR = ONTOLOGY_DIR / "epoch"
CSV = "notable-ai-models.csv"
REC = "urn:genai-kg:reconciliation#"
AI_MODEL, MODEL_FAMILY, ORGANIZATION = GAI + "AIModel", GAI + "ModelFamily", GAI + "Organization"
#: The prefixes of the generated Turtle.
TURTLE_PREFIXES = {p: PREFIXES[p] for p in ("rdf", "rdfs", "xsd", "dcterms", "gai", "gaid")}


@dataclass(frozen=True)
class Model:
    """What the reconciliation decided for one row: its IRI, and the article's resources it relates to."""

    row: Row
    name: str
    iri: str
    result: Result
    family: str | None = None
    base: str | None = None


@dataclass(frozen=True)
class Organization:
    """What the reconciliation decided for one organisation name: its IRI, and what it is part of."""

    name: str
    iri: str
    result: Result
    part_of: str | None = None


@dataclass(frozen=True)
class Reconciliation:
    """Every row's and every organisation name's decision, ready to join the tabular view."""

    table: Table
    models: tuple[Model, ...]
    organizations: dict[str, Organization]

    def triples(self) -> list[Triple]:
        """The decisions as ``rec:`` triples about the view's rows and the organisations' IRIs."""
        rec = lambda local: NamedNode(REC + local)  # noqa: E731
        out = []
        for org in self.organizations.values():
            out.append(Triple(NamedNode(org.iri), rec("name"), Literal(org.name)))
            if org.part_of:
                out.append(Triple(NamedNode(org.iri), rec("partOf"), NamedNode(org.part_of)))
        for model in self.models:
            row = self.table.row_iri(model.row)
            out.append(Triple(row, rec("model"), NamedNode(model.iri)))
            out += [
                Triple(row, rec("organization"), NamedNode(self.organizations[name].iri))
                for name in model.row.cells.get("organization", ())
            ]
            if model.result.match is None and (variant := model.result.variant_of) is not None:
                out.append(Triple(row, rec("variantOf"), NamedNode(variant.candidate.iri)))
            if model.family:
                out.append(Triple(row, rec("family"), NamedNode(model.family)))
            if model.base:
                out.append(Triple(row, rec("baseModel"), NamedNode(model.base)))
            elif (base := model.row.first("base_model")) is not None:
                out.append(Triple(row, rec("baseModelName"), Literal(base)))
        return out


def slug(name: str) -> str:
    """The local name of a new resource, in ASCII: ``·`` as ``-``, accents dropped, other runs as ``_``.

    >>> slug("GPT-4o (Mar 2025)"), slug("DALL·E 2"), slug("Université de Montréal"), slug("λ-WASP")
    ('GPT-4o_Mar_2025', 'DALL-E_2', 'Universite_de_Montreal', 'WASP')
    """
    text = unicodedata.normalize("NFKD", name.replace("·", "-"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^A-Za-z0-9.~-]+", "_", text).strip("_.-")


class Minter:
    """New IRIs under ``gaid:``, none twice and none an IRI the article already uses."""

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = set(taken)

    def mint(self, name: str, kind: str) -> str:
        """``gaid:<slug>``; ``gaid:<slug>_<kind>`` (then ``_2`` …) when that is taken."""
        base = slug(name) or kind
        for local in (base, f"{base}_{kind}", *(f"{base}_{kind}_{n}" for n in range(2, 100))):
            if GAID + local not in self.taken:
                self.taken.add(GAID + local)
                return GAID + local
        raise ValueError(f"no free IRI for {name!r}")


def article_graph(root: Path = ONTOLOGY_DIR) -> KnowledgeGraph:
    """The article's knowledge (ontology, data, links) in a fresh in-memory store, without inferences."""
    kg = KnowledgeGraph.open()
    for source in shipped_sources(root):
        if source.graph in (GRAPH_ONTOLOGY, GRAPH_DATA, GRAPH_LINKS):
            kg.add_quads(read_file(source.path, graph=source.graph))
    return kg


def reconcile(table: Table, article: KnowledgeGraph) -> Reconciliation:
    """Decide, for every row and every organisation name, which resource it is (the article's, or a new one)."""
    known = candidates(article)
    matcher = Matcher(known)
    minter = Minter(c.iri for c in known)
    organizations = _organizations(table, matcher, minter)
    rows = sorted(table.rows, key=lambda row: row.first("model") or "")  # IRIs do not depend on the row order
    models = []
    for row in rows:
        name = row.first("model") or ""
        orgs = row.cells.get("organization", ())
        result = matcher.match(name, type=AI_MODEL, organizations=orgs)
        iri = result.match.candidate.iri if result.match else minter.mint(name, "model")
        family = None if result.match else _family(matcher.match(name, type=MODEL_FAMILY, organizations=orgs))
        models.append(Model(row, name, iri, result, family))
    # Base models are named by the rows; look them up among the rows and the article's models.
    rows_and_article = Matcher(
        [
            *known,
            *(Candidate(m.iri, (m.name,), frozenset({AI_MODEL})) for m in models if m.result.match is None),
        ]
    )
    resolved = []
    for model in models:
        base = model.row.first("base_model")
        found = rows_and_article.match(base, type=AI_MODEL).match if base else None
        base_iri = found.candidate.iri if found else None
        resolved.append(Model(model.row, model.name, model.iri, model.result, model.family, base_iri))
    return Reconciliation(table, tuple(sorted(resolved, key=lambda m: m.row.number)), organizations)


def _organizations(table: Table, matcher: Matcher, minter: Minter) -> dict[str, Organization]:
    names = sorted({name for row in table.rows for name in row.cells.get("organization", ())})
    decided = {}
    for name in names:
        result = matcher.match(name, type=ORGANIZATION)
        iri = result.match.candidate.iri if result.match else minter.mint(name, "organization")
        decided[name] = Organization(name, iri, result)
    # A new organisation whose name extends another's is part of it (Meta AI of Meta, Google Brain of Google).
    every = Matcher(
        [c for c in matcher.candidates if ORGANIZATION in c.types]
        + [Candidate(o.iri, (o.name,), frozenset({ORGANIZATION})) for o in decided.values() if not o.result.match]
    )
    for name, org in decided.items():
        if org.result.match is None and (variant := every.match(name, type=ORGANIZATION).variant_of) is not None:
            decided[name] = Organization(name, org.iri, org.result, variant.candidate.iri)
    return decided


def _family(result: Result) -> str | None:
    """The most specific family whose name the model's extends, by the family's organisation or a part of it."""
    fitting = [
        c for c in result.candidates if c.kind in (*SAME_NAME, VARIANT) and c.organization in (DEVELOPER, RELATED)
    ]
    best = max(fitting, key=lambda c: (c.score, len(c.candidate.label)), default=None)
    return best.candidate.iri if best else None


# -- running the mappings ---------------------------------------------------------------------------------


def construct(sparql_file: Path, triples: Iterable[Triple]) -> list[Triple]:
    """Run a CONSTRUCT mapping over ``triples`` (one default graph); its triples, sorted."""
    store = Store()
    store.extend(Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in triples)
    result = store.query(sparql_file.read_text(encoding="utf-8"))
    assert isinstance(result, QueryTriples)
    return sorted(set(result), key=str)


@dataclass(frozen=True)
class Outcome:
    """What an import produced: the two graphs, the reconciliation behind them and the CSV's sha256."""

    epoch: list[Triple]
    derived: list[Triple]
    reconciliation: Reconciliation
    digest: str


def run(root: Path = ONTOLOGY_DIR) -> Outcome:
    """Reconcile and map the Epoch AI file under ``root``; nothing is written."""
    folder = root / "epoch"
    table = Table.read(folder / CSV)
    article = article_graph(root)
    reconciliation = reconcile(table, article)
    view = [*table.triples(), *reconciliation.triples()]
    epoch = construct(folder / "mapping.rq", view)
    article_triples = [Triple(q.subject, q.predicate, q.object) for q in article.quads()]
    derived = construct(folder / "derived.rq", [*view, *epoch, *article_triples])
    return Outcome(epoch, derived, reconciliation, hashlib.sha256((folder / CSV).read_bytes()).hexdigest())


# -- writing ------------------------------------------------------------------------------------------------

HEADER = """# {title}
# Generated by `make epoch` (graph/sources/epoch.py) from ontology/epoch/{csv} (sha256 {sha256}),
# Epoch AI's Notable AI Models, https://epoch.ai/data/notable-ai-models, CC BY 4.0.
# Data: Epoch AI (epoch.ai), CC BY 4.0. Do not edit: change the mapping ({mapping}) and run it again.
"""


def turtle(triples: list[Triple], *, title: str, mapping: str, digest: str) -> bytes:
    """Sorted triples as Turtle under a header naming the source and the mapping: the same triples, the same bytes."""
    body = serialize(triples, format=RdfFormat.TURTLE, prefixes=TURTLE_PREFIXES)
    assert body is not None
    header = HEADER.format(title=title, csv=CSV, sha256=digest, mapping=mapping)
    return header.encode() + b"\n" + body


def write(outcome: Outcome, root: Path = ONTOLOGY_DIR) -> list[Path]:
    """Write both graphs and the reconciliation report under ``root``; returns the paths written."""
    folder, digest = root / "epoch", outcome.digest
    files = {
        folder / "notable-ai-models.ttl": turtle(
            outcome.epoch,
            title="What Epoch AI states: the graph https://w3id.org/genai-kg/graph/epoch.",
            mapping="ontology/epoch/mapping.rq",
            digest=digest,
        ),
        root / "derived" / "epoch.ttl": turtle(
            outcome.derived,
            title="What rules derive from it: the graph https://w3id.org/genai-kg/graph/derived.",
            mapping="ontology/epoch/derived.rq",
            digest=digest,
        ),
        folder / "reconciliation.md": report(outcome.reconciliation, digest, CSV).encode(),
    }
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return list(files)


def main() -> None:
    """Re-run the import and say what it wrote."""
    started = time.perf_counter()
    outcome = run()
    for path in write(outcome):
        print(f"wrote {path.relative_to(ONTOLOGY_DIR.parent)}", file=sys.stderr)
    counts = {
        kind: sum(1 for m in outcome.reconciliation.models if m.result.status == kind)
        for kind in ("matched", "ambiguous", "new")
    }
    print(
        f"{len(outcome.epoch)} triples in graph/epoch, {len(outcome.derived)} in graph/derived; rows: "
        f"{counts['matched']} matched, {counts['ambiguous']} ambiguous, {counts['new']} new "
        f"({time.perf_counter() - started:.1f} s)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
