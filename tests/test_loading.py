"""Loading: shipped graphs are idempotent, user files are all-or-nothing with line and column on errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import DefaultGraph, NamedNode, RdfFormat

from graph import BadData, KnowledgeGraph, ReadOnly, generate, loading
from graph.delta import Delta
from graph.inference.reasoner import Change, materialize, wants_bulk
from graph.inference.state import mark_pending, new_write, read_state
from graph.loading import load_file, load_shipped, rdf_format, shipped_sources, takes_bulk_path
from graph.namespaces import SHIPPED_GRAPHS

GOOD = '@prefix ex: <http://example.org/> .\nex:a ex:p ex:b .\nex:a ex:q [ ex:r "x" ] .\n'
BROKEN = '@prefix ex: <http://example.org/> .\nex:a ex:p ex:b .\nex:c ex:p "unterminated .\n'


def test_shipped_sources_cover_schema_data_links_and_epoch() -> None:
    graphs = {source.graph for source in shipped_sources()}
    assert graphs == set(SHIPPED_GRAPHS)
    assert all(source.path.is_file() for source in shipped_sources())


def test_reloading_shipped_graph_replaces_instead_of_duplicating(kg: KnowledgeGraph) -> None:
    before = len(kg)
    assert before > 1000
    load_shipped(kg)
    load_shipped(kg)
    assert len(kg) == before


def test_reloading_keeps_user_graphs(kg: KnowledgeGraph, tmp_path: Path) -> None:
    user = NamedNode("http://example.org/mine")
    (tmp_path / "mine.ttl").write_text(GOOD)
    load_file(kg, tmp_path / "mine.ttl", graph=user)
    load_shipped(kg)
    assert user in kg.named_graphs()


def test_load_file_into_named_graph(tmp_path: Path) -> None:
    kg = KnowledgeGraph.open()
    path = tmp_path / "good.ttl"
    path.write_text(GOOD)
    graph = NamedNode("http://example.org/g")
    assert load_file(kg, path, graph=graph) == 3
    assert set(kg.named_graphs(infer=False)) == {graph}


def test_load_file_counts_the_quads_it_added(tmp_path: Path) -> None:
    kg = KnowledgeGraph.open()
    path = tmp_path / "good.ttl"
    path.write_text(GOOD)
    assert load_file(kg, path) == 3
    assert load_file(kg, path) == 2  # the two quads of a new blank node; ex:a ex:p ex:b is there already


def test_a_file_takes_the_bulk_path_when_large_next_to_the_store(
    kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bulk path reasons over the whole store again: worth it for a file that is large next to the
    store, and for any file past ``BULK_LOAD_BYTES``."""
    stored = len(kg)
    assert stored > 10_000
    assert not takes_bulk_path(kg, loading.SMALL_FILE_BYTES - 1)
    assert takes_bulk_path(kg, loading.BULK_LOAD_BYTES)
    monkeypatch.setattr(loading, "SMALL_FILE_BYTES", 0)
    per_quad = loading.BULK_BYTES_PER_STORED_QUAD
    assert not takes_bulk_path(kg, per_quad * stored - 1)
    assert takes_bulk_path(kg, per_quad * stored)
    assert takes_bulk_path(KnowledgeGraph.open(), 1)


def test_load_file_without_graph_goes_to_default_graph(tmp_path: Path) -> None:
    kg = KnowledgeGraph.open()
    path = tmp_path / "good.nt"
    path.write_text("<http://e/a> <http://e/p> <http://e/b> .\n")
    load_file(kg, path)
    assert list(kg.store.quads_for_pattern(None, None, None, DefaultGraph()))


def test_syntax_error_names_line_and_column_and_changes_nothing(kg: KnowledgeGraph, tmp_path: Path) -> None:
    before = len(kg)
    path = tmp_path / "broken.ttl"
    path.write_text(BROKEN)
    with pytest.raises(BadData) as caught:
        load_file(kg, path)
    assert caught.value.line == 3
    assert caught.value.column is not None
    assert "broken.ttl" in str(caught.value)
    assert len(kg) == before


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [
        ("a.ttl", None, RdfFormat.TURTLE),
        ("a.nt", None, RdfFormat.N_TRIPLES),
        ("a.nq", None, RdfFormat.N_QUADS),
        ("a.trig", None, RdfFormat.TRIG),
        ("a.jsonld", None, RdfFormat.JSON_LD),
        ("a.rdf", None, RdfFormat.RDF_XML),
        ("a.data", "text/turtle", RdfFormat.TURTLE),
        ("a.data", "nt", RdfFormat.N_TRIPLES),
    ],
)
def test_format_from_extension_or_given(name: str, given: str | None, expected: RdfFormat) -> None:
    assert rdf_format(Path(name), given) == expected


def test_unknown_format_is_bad_data() -> None:
    with pytest.raises(BadData, match="unknown RDF format"):
        rdf_format(Path("a.docx"))


def test_read_only_store_refuses_writes(tmp_path: Path) -> None:
    KnowledgeGraph.open(tmp_path / "store").close()
    kg = KnowledgeGraph.open(tmp_path / "store", read_only=True)
    with pytest.raises(ReadOnly):
        kg.update("INSERT DATA { <http://e/a> <http://e/p> 1 }")


def test_a_bulk_load_and_a_closure_from_nothing_leave_the_store_compacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk load, a closure computed from nothing and ``infer --force`` compact the store's files before their
    write turn ends, so that the checkpoint the query workers read next is compacted too, and readers are told
    the generation before meanwhile; a small write and a bulk retraction leave the merging to RocksDB."""
    kg = KnowledgeGraph.open(tmp_path / "store")
    compacted: list[tuple[int, str]] = []  # the store's size, and the generation readers are told meanwhile
    compact = kg.backend.compact
    monkeypatch.setattr(kg.backend, "compact", lambda: compacted.append((len(kg), kg.generation)) or compact())
    path = tmp_path / "catalogue.nt"
    with path.open("wb") as output:
        generate.write(1000, output, seed=1)
    monkeypatch.setattr(loading, "SMALL_FILE_BYTES", 0)
    assert takes_bulk_path(kg, path.stat().st_size)
    before = kg.generation
    loaded = load_file(kg, path)
    assert compacted == [(len(kg), before)]  # readers keep their checkpoint until the files are compacted
    assert kg.generation not in ("", before)

    kg.update("INSERT DATA { <http://e/a> <http://e/p> 1 }")
    label = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    labels = list(kg.store.quads_for_pattern(None, label, None, DefaultGraph()))[:600]
    assert wants_bulk(kg, Change(retracted=tuple((q.subject, q.predicate, q.object) for q in labels)))
    kg.write(Delta(removed=tuple(labels)))
    assert read_state(kg).report["engine"] == "bulk"
    materialize(kg)  # current: nothing to do
    assert len(compacted) == 1

    mark_pending(kg, new_write())  # as a crash between a write and its reasoning leaves it
    materialize(kg)
    assert len(compacted) == 2
    materialize(kg, force=True)
    assert len(compacted) == 3
    size = len(kg)
    kg.close()
    assert len(KnowledgeGraph.open(tmp_path / "store", read_only=True)) == size
    assert loaded > 10_000


def test_a_bulk_write_stands_when_its_compaction_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Compacting is for reading speed only: a full disk then leaves the load done and says so in the log."""
    kg = KnowledgeGraph.open(tmp_path / "store")

    def full_disk() -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kg.backend, "compact", full_disk)
    path = tmp_path / "catalogue.nt"
    with path.open("wb") as output:
        generate.write(100, output, seed=1)
    monkeypatch.setattr(loading, "SMALL_FILE_BYTES", 0)
    loaded = load_file(kg, path)
    assert loaded > 0
    assert kg.generation != ""
    assert len(list(kg.query("SELECT * { ?s ?p ?o }"))) == loaded  # read as queries read it
    assert "could not compact" in caplog.text
