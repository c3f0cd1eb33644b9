"""The synthetic catalogue (``genai-kg generate``) and the bulk path that loads large files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import NamedNode, RdfFormat, Store, parse

from graph import BadData, KnowledgeGraph, loading
from graph import generate as generating
from graph.namespaces import GAI
from server.cli import main

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ONTOLOGY = Path(__file__).resolve().parent.parent / "ontology" / "genai.ttl"


def catalogue(models: int, seed: int = 0) -> bytes:
    output = io.BytesIO()
    generating.write(models, output, seed=seed)
    return output.getvalue()


def test_same_seed_same_catalogue_other_seed_other_catalogue() -> None:
    assert catalogue(250, seed=7) == catalogue(250, seed=7)
    assert catalogue(250, seed=7) != catalogue(250, seed=8)


def test_catalogue_parses_and_counts_what_it_wrote() -> None:
    output = io.BytesIO()
    written = generating.write(1234, output, seed=3)
    quads = list(parse(output.getvalue(), format=RdfFormat.N_TRIPLES))
    assert len(quads) == written == len(set(quads))
    models = {q.subject for q in quads if q.subject.value.startswith(generating.model_iri(0)[:-1])}
    assert len(models) == 1234


def test_zero_models_is_an_empty_catalogue() -> None:
    assert catalogue(0) == b""


def test_negative_count_is_refused() -> None:
    with pytest.raises(ValueError):
        next(generating.generate(-1))


def test_catalogue_shape_per_model() -> None:
    store = Store()
    store.load(catalogue(400, seed=5), format=RdfFormat.N_TRIPLES)
    prefixes = {"gai": GAI}
    rows = store.query(
        """SELECT ?m (COUNT(DISTINCT ?type) AS ?types) (COUNT(DISTINCT ?arch) AS ?archs)
                  (COUNT(DISTINCT ?org) AS ?orgs) (COUNT(DISTINCT ?date) AS ?dates) (COUNT(DISTINCT ?out) AS ?outs)
           WHERE { ?m a ?type ; gai:architecture ?arch ; gai:developedBy ?org ; gai:releaseDate ?date ;
                      gai:outputModality ?out ; gai:inputModality ?in ; gai:parameterCount ?n ; gai:memberOf ?f }
           GROUP BY ?m""",
        prefixes=prefixes,
    )
    counts = [(int(r["types"].value), int(r["archs"].value), int(r["orgs"].value), int(r["dates"].value)) for r in rows]
    assert len(counts) == 400
    assert set(counts) == {(1, 1, 1, 1)}
    llm_windows = store.query(
        "ASK { ?m a gai:LargeLanguageModel FILTER NOT EXISTS { ?m gai:contextWindowTokens ?w } }", prefixes=prefixes
    )
    assert not bool(llm_windows)
    products = store.query("SELECT (COUNT(?p) AS ?n) { ?p a gai:Product ; gai:poweredBy ?m }", prefixes=prefixes)
    assert int(next(iter(products))["n"].value) == 400 // generating.MODELS_PER_PRODUCT
    datatypes = {
        str(r["dt"])
        for r in store.query("SELECT DISTINCT (DATATYPE(?d) AS ?dt) { ?m gai:releaseDate ?d }", prefixes=prefixes)
    }
    assert datatypes == {"<http://www.w3.org/2001/XMLSchema#gYearMonth>"}


@pytest.mark.skipif(not ONTOLOGY.exists(), reason="ontology/genai.ttl is not written yet")
def test_every_term_the_catalogue_uses_is_declared_in_the_ontology() -> None:
    declared = {q.subject.value for q in parse(path=ONTOLOGY, format=RdfFormat.TURTLE)}
    used: set[str] = set(generating.VOCABULARY | generating.INDIVIDUALS)
    for quad in parse(catalogue(500, seed=11), format=RdfFormat.N_TRIPLES):
        if quad.predicate.value != RDFS_LABEL and quad.predicate.value != RDF_TYPE:
            used.add(quad.predicate.value)
        if isinstance(quad.object, NamedNode) and quad.object.value.startswith(GAI):
            used.add(quad.object.value)
    assert used <= declared, sorted(used - declared)


def test_cli_writes_the_same_catalogue_to_a_file_and_to_stdout(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "catalogue.nt"
    result = runner.invoke(main, ["generate", "--models", "120", "--seed", "4", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == catalogue(120, seed=4)
    piped = runner.invoke(main, ["generate", "-n", "120", "--seed", "4"])
    assert piped.exit_code == 0
    assert piped.stdout_bytes == target.read_bytes()


@pytest.fixture
def bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send every file through the validating bulk-load path, however small."""
    monkeypatch.setattr(loading, "BULK_LOAD_BYTES", 0)


@pytest.mark.usefixtures("bulk")
def test_bulk_path_loads_everything_into_the_asked_graph(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.nt"
    path.write_bytes(catalogue(300))
    kg = KnowledgeGraph.open(tmp_path / "store")
    graph = NamedNode("https://example.org/bench")
    count = loading.load_file(kg, path, graph=graph)
    assert kg.named_graphs(infer=False) == [graph]  # and the inferred graph: the closure and its state
    assert count == sum(1 for _ in kg.store.quads_for_pattern(None, None, None, graph))
    kg.close()


@pytest.mark.usefixtures("bulk")
def test_bulk_path_is_all_or_nothing_on_a_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.nt"
    good = catalogue(200)
    path.write_bytes(good + b"<https://example.org/s> <https://example.org/p> broken .\n" + good)
    kg = KnowledgeGraph.open(tmp_path / "store")
    with pytest.raises(BadData) as caught:
        loading.load_file(kg, path)
    assert caught.value.line == good.count(b"\n") + 1
    assert len(kg) == 0
    kg.close()
