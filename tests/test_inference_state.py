"""The closure's state in the store: a restart builds nothing, `infer` does nothing on a current store, a
store left pending is computed again, and readers of checkpoints never see half a write."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import NamedNode, Quad

from graph import KnowledgeGraph, open_knowledge_graph
from graph.delta import Delta
from graph.inference import closure_state, materialize
from graph.inference.explanation import is_a
from graph.inference.state import RULES_VERSION, mark_pending, read_state
from graph.inference.vocabulary import RDF
from graph.namespaces import GAI, GAID, GRAPH_DATA
from graph.querying.snapshots import Snapshots
from server.cli import main

from .test_inference_rules import fresh_inferred, inferred

GPT = NamedNode(GAID + "GPT-4.5")
GENERATIVE = NamedNode(GAI + "GenerativeAI")


def typed(name: str, cls: str) -> Quad:
    """``gaid:name a gai:cls`` in a scratch graph."""
    return Quad(NamedNode(GAID + name), NamedNode(RDF + "type"), NamedNode(GAI + cls), NamedNode(GAI + "scratch"))


def test_a_materialised_store_reopened_builds_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    kg = open_knowledge_graph(store)
    state = closure_state(kg)
    assert state.current and state.rules == RULES_VERSION and state.generation
    kg.close()
    del kg
    again = open_knowledge_graph(store)
    # no reasoning ran: any would have published a new generation
    assert closure_state(again) == state
    assert is_a(again, GPT, GENERATIVE)[0]
    again.close()


def test_a_read_only_store_is_served_as_it_is(tmp_path: Path) -> None:
    store = tmp_path / "store"
    kg = open_knowledge_graph(store)
    generation = kg.generation
    kg.close()
    del kg
    reader = open_knowledge_graph(store, read_only=True)
    assert reader.generation == generation and closure_state(reader).current
    assert reader.query("ASK { gaid:GPT-4.5 a gai:GenerativeAI }")


def test_infer_does_nothing_on_a_current_store_unless_forced(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    runner = CliRunner()
    first = runner.invoke(main, ["infer", "--store", store])
    assert first.exit_code == 0, first.output
    kg = KnowledgeGraph.open(store, read_only=True)
    generation = kg.generation
    del kg
    again = runner.invoke(main, ["infer", "--store", store])
    assert again.exit_code == 0 and "current" in again.output and "nothing to do" in again.output
    kg = KnowledgeGraph.open(store, read_only=True)
    assert kg.generation == generation
    del kg
    forced = runner.invoke(main, ["infer", "--store", store, "--force"])
    assert forced.exit_code == 0 and "rounds" in forced.output
    kg = KnowledgeGraph.open(store, read_only=True)
    assert kg.generation != generation and closure_state(kg).current


#: A write in a process of its own: nothing compiled is cached there, as in a server just started.
WRITE = (
    "import sys; from graph import open_knowledge_graph; "
    "print(open_knowledge_graph(sys.argv[1]).update(sys.argv[2]).full)"
)


def test_a_new_process_changes_the_schema_without_a_closure_from_scratch(shipped_store: Path) -> None:
    """The schema the closure was computed under is compiled again from the store's schema triples as they were
    before the write (its fingerprint is the one the state records), so a process that did not compute the
    closure changes the ontology as the writer did: adding and removing an axiom recompute nothing."""
    for update in (
        "INSERT DATA { GRAPH gai:extra { gai:Product rdfs:subClassOf gai:Claim } }",
        "DELETE DATA { GRAPH gai:extra { gai:Product rdfs:subClassOf gai:Claim } }",
    ):
        done = subprocess.run(
            [sys.executable, "-c", WRITE, str(shipped_store), update], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr  # not full
    kg = open_knowledge_graph(shipped_store, read_only=True)
    assert closure_state(kg).current and not closure_state(kg).report["full"]
    assert inferred(kg) == fresh_inferred(kg)


def test_the_bulk_thresholds_are_settings_every_command_reads(tmp_path: Path) -> None:
    """``GENAI_KG_BULK_REASONING_QUADS`` reaches a command's writes: the shipped graph (about 32,000 quads) is
    below the default threshold, so ``infer --force`` reasons in the store, and in bulk when the setting says
    so; a bad value stops the command naming its setting."""
    store = str(tmp_path / "store")
    runner = CliRunner()
    assert runner.invoke(main, ["infer", "--store", store]).exit_code == 0
    default = runner.invoke(main, ["infer", "--store", store, "--force"])
    assert default.exit_code == 0 and "rounds of queries in the store" in default.output, default.output
    lowered = runner.invoke(main, ["infer", "--store", store, "--force"], env={"GENAI_KG_BULK_REASONING_QUADS": "0"})
    assert lowered.exit_code == 0 and "the bulk path" in lowered.output, lowered.output
    refused = runner.invoke(main, ["infer", "--store", store], env={"GENAI_KG_BULK_RETRACTION_SHARE": "-1"})
    assert refused.exit_code != 0 and "GENAI_KG_BULK_RETRACTION_SHARE" in refused.output


def test_a_store_left_pending_is_computed_again_by_the_writer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    kg = open_knowledge_graph(store)
    # a write that stopped after its commit, before its reasoning: asserted, not inferred, marked pending
    kg.store.add(typed("Crashed", "LargeLanguageModel"))
    mark_pending(kg, "crashed-write")
    kg.close()
    del kg
    reader = open_knowledge_graph(store, read_only=True)
    assert closure_state(reader).status == "pending"  # reads go on; a read-only process never reasons
    del reader
    writer = open_knowledge_graph(store)
    assert "did not finish reasoning" in capsys.readouterr().err
    assert closure_state(writer).current
    assert writer.query("ASK { gaid:Crashed a gai:GenerativeAI }")
    assert inferred(writer) == fresh_inferred(writer)


def test_a_write_that_finds_the_closure_pending_computes_it_first(tmp_path: Path) -> None:
    kg = open_knowledge_graph(tmp_path / "store")
    mark_pending(kg, "crashed-write")
    report = kg.write(Delta(added=(typed("Late", "LargeLanguageModel"),)))
    assert report.added == 1 and closure_state(kg).current
    assert kg.query("ASK { gaid:Late a gai:GenerativeAI }")


def test_materialize_is_refused_on_a_read_only_store_whose_closure_is_not_current(tmp_path: Path) -> None:
    from graph.errors import ReadOnly

    kg = KnowledgeGraph.open(tmp_path / "store")
    kg.store.add(typed("X", "LargeLanguageModel"))
    kg.close()
    del kg
    reader = KnowledgeGraph.open(tmp_path / "store", read_only=True)
    assert closure_state(reader).status == "absent"
    with pytest.raises(ReadOnly):
        materialize(reader)


def test_checkpoint_readers_never_see_half_a_write(tmp_path: Path) -> None:
    kg = open_knowledge_graph(tmp_path / "store")
    snapshots = Snapshots(kg)
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            for i in range(12):
                kg.update(f"INSERT DATA {{ GRAPH gai:t {{ gaid:M{i} a gai:LargeLanguageModel }} }}")
                if i % 4 == 0:  # a schema change: the inferred graph is emptied and computed again
                    kg.update(f"INSERT DATA {{ GRAPH gai:t {{ gai:C{i} rdfs:subClassOf gai:Product }} }}")
        finally:
            done.set()

    def read() -> None:
        held = None
        try:
            while not done.is_set():
                held = snapshots.renew(held)
                reader = KnowledgeGraph.open(held.path, read_only=True)
                assert closure_state(reader).current
                assert is_a(reader, GPT, GENERATIVE)[0]
                del reader
        except BaseException as error:  # collected here, asserted on in the test's thread
            errors.append(error)
        finally:
            snapshots.release(held)

    threads = [threading.Thread(target=write), threading.Thread(target=read), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    snapshots.close()
    assert errors == []
    assert inferred(kg) == fresh_inferred(kg)


def test_a_bulk_load_in_chunks_keeps_blank_nodes_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyoxigraph import BlankNode, RdfFormat

    from graph import embedded

    monkeypatch.setattr(embedded, "BULK_CHUNK_BYTES", 200)  # a chunk of a few lines
    lines = [f'<urn:s{i}> <urn:p> "{i}" .' for i in range(40)]
    lines[3] = "_:b <urn:q> <urn:o> ."
    lines[30] = "<urn:s> <urn:r> _:b ."
    path = tmp_path / "data.nt"
    path.write_text("\n".join(lines) + "\n")
    kg = KnowledgeGraph.open(tmp_path / "store")
    report = kg.bulk_load(path, RdfFormat.N_TRIPLES, to_graph=NamedNode("urn:g"), base_iri=path.as_uri())
    assert report.added == 40 and closure_state(kg).current
    (subject,) = [q.subject for q in kg.quads(None, NamedNode("urn:q"), None)]
    assert isinstance(subject, BlankNode) and [q.object for q in kg.quads(None, NamedNode("urn:r"), None)] == [subject]
    # the same file again, into another graph: its _:b is another node than the first file's
    kg.bulk_load(path, RdfFormat.N_TRIPLES, to_graph=NamedNode("urn:g2"), base_iri=path.as_uri())
    assert len({q.subject for q in kg.quads(None, NamedNode("urn:q"), None)}) == 2


def test_a_bulk_load_that_does_not_parse_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk path's child parses the whole file before the store loads any of it: a syntax error after many
    good lines leaves every graph, a new one or one that held quads already, and the closure as they were."""
    from pyoxigraph import RdfFormat

    from graph import embedded
    from graph.errors import BadData

    monkeypatch.setattr(embedded, "BULK_CHUNK_BYTES", 200)
    kg = open_knowledge_graph(tmp_path / "store")
    lines = [f"<{GAID}Loaded{i}> <{RDF}type> <{GAI}LargeLanguageModel> ." for i in range(40)]
    broken = tmp_path / "broken.nt"
    broken.write_text("\n".join([*lines[:25], "<urn:s> <urn:p> broken .", *lines[25:]]) + "\n")
    before, generation = sorted(map(str, kg.quads())), kg.generation
    for graph in (NamedNode("urn:h"), GRAPH_DATA):
        with pytest.raises(BadData) as caught:
            kg.bulk_load(broken, RdfFormat.N_TRIPLES, to_graph=graph, base_iri=broken.as_uri())
        assert caught.value.line == 26
    assert sorted(map(str, kg.quads())) == before and kg.generation == generation
    assert not kg.backend.contains_named_graph(NamedNode("urn:h")) and closure_state(kg).current


def test_the_generation_alone_is_the_states_generation(tmp_path: Path) -> None:
    """``KnowledgeGraph.generation`` reads one triple (every request asks for it); it says what the state says."""
    kg = KnowledgeGraph.open(tmp_path / "store")
    assert kg.generation == (read_state(kg).generation or "")
    kg.add_quads([typed("Probe", "GenerativeAI")])
    assert kg.generation and kg.generation == read_state(kg).generation
    kg.close()
