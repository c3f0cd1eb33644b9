"""The bulk path (graph/inference/bulk.py, memory.py): the closure computed in memory, in a child process, and
written to the store in batches, must be the closure the store-resident rules compute; the threshold switches
between them; a crash in the middle leaves the closure pending and the next open repairs it; a remote engine
gets bounded batches."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyoxigraph import NamedNode, Quad, RdfFormat

from graph import KnowledgeGraph, open_knowledge_graph
from graph.delta import Delta
from graph.embedded import EmbeddedBackend, _split_blank_lines
from graph.inference import batched, bulk, bulk_child, closure_state, materialize, reasoner
from graph.inference.bulk import BulkThresholds
from graph.inference.memory import Closure, filter_source
from graph.inference.program import TEMPLATES, Row, Rule
from graph.namespaces import GAI, GAID, GRAPH_INFERRED

from .test_inference_rules import CASES, fresh_inferred, graph_of, inferred
from .test_inference_university import university_quads


def bulk_inferred(kg: KnowledgeGraph, *, in_process: bool = True) -> set[str]:
    """What the bulk path makes of a copy of ``kg``'s asserted quads, its inferred graph emptied first."""
    copy = KnowledgeGraph.open()
    copy.store.extend(q for q in kg.quads() if q.graph_name != GRAPH_INFERRED)
    copy.bulk, copy.bulk_in_process = BulkThresholds(reasoning_quads=0), in_process
    report = materialize(copy)
    assert report.engine == "bulk" and closure_state(copy).current
    return inferred(copy)


def engine_of(kg: KnowledgeGraph) -> str:
    return str(closure_state(kg).report.get("engine"))


def typed(name: str, cls: str) -> Quad:
    return Quad(NamedNode(GAID + name), NamedNode(RDF_TYPE), NamedNode(GAI + cls), NamedNode(GAI + "scratch"))


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


class Crash(Exception):
    """A process stopped in the middle of a write (a kill, a power cut)."""


@pytest.mark.parametrize("name", CASES)
def test_each_rule_closes_the_same_in_bulk(name: str) -> None:
    kg = graph_of(CASES[name][0])
    assert bulk_inferred(kg) == inferred(kg)


def test_the_shipped_graph_and_a_university_close_the_same_in_a_child_process() -> None:
    kg = open_knowledge_graph()
    assert bulk_inferred(kg, in_process=False) == inferred(kg)
    university = KnowledgeGraph.open()
    university.add_quads(university_quads(1, 2))
    assert bulk_inferred(university, in_process=False) == inferred(university) == fresh_inferred(university)


def test_every_filter_the_program_writes_is_read_in_memory() -> None:
    closure = Closure()
    for template in TEMPLATES.values():
        slots = [f"?{c}" for c in template.columns]
        slots += [s for p in (*template.premises, template.conclusion) for s in p if isinstance(s, str)]
        names = {slot[1:]: f"v_{slot[1:]}" for slot in slots}
        for source in (*template.filters, f"!isLiteral({template.conclusion[0]})"):
            filter_source(source, names, closure.encode)  # raises on a filter it would not evaluate as SPARQL does
    with pytest.raises(ValueError, match="does not read"):
        filter_source("regex(?x, 'a')", {"x": "v_x"}, closure.encode)


def test_a_rule_is_compiled_from_its_patterns_whatever_their_shape() -> None:
    """Premises are read generically: a variable predicate, a variable repeated in a premise, a class that is
    no rdf:type object (the rows are keyed by any predicate's object)."""
    member, knows = NamedNode("https://w3id.org/genai-kg/reasoner#member"), NamedNode(GAI + "knows")
    c, r, d = NamedNode(GAI + "C"), NamedNode(GAI + "R"), NamedNode(GAI + "D")
    rules = (
        Rule("self", (), (("?x", member, c), ("?x", "?p", "?x")), ("?x", NamedNode(RDF_TYPE), r)),
        Rule("copy", ("k", "d"), (("?x", member, "?k"),), ("?x", NamedNode(RDF_TYPE), "?d"), rows=(Row((c, d)),)),
    )
    closure = Closure()
    for line in (f"<{GAID}a> {member} {c} .", f"<{GAID}a> {knows} <{GAID}a> .", f"<{GAID}b> {knows} <{GAID}c> ."):
        closure.assert_line(line.encode() + b"\n")
    for rule in rules:
        for premise in range(len(rule.premises)):
            closure._compile(rule, premise)
    closure.run()
    expected = {f"<{GAID}a> <{RDF_TYPE}> {cls} .\n".encode() for cls in (r, d)}
    assert {closure.line(t) for t in closure.inferred} == expected


def test_an_axiom_whose_new_rules_derive_much_recomputes_in_bulk() -> None:
    """An axiom added alone extends the closure in the store, unless the rows it adds derive more than the
    threshold, or its removal would over-delete as many: then the closure is computed again, in bulk."""
    kg = open_knowledge_graph()
    kg.bulk_in_process = True
    kg.update("INSERT DATA { GRAPH gai:extra { gai:Product rdfs:subClassOf gai:Claim } }")
    claims = {row["x"] for row in kg.query("SELECT ?x WHERE { ?x a gai:Claim }")}  # type: ignore[union-attr]
    assert engine_of(kg) == "store" and not closure_state(kg).report["full"]
    kg.bulk = BulkThresholds(reasoning_quads=5)
    report = kg.update("INSERT DATA { GRAPH gai:extra { gai:Claim rdfs:subClassOf gai:Statement } }")
    assert report.full and engine_of(kg) == "bulk"
    statements = {row["x"] for row in kg.query("SELECT ?x WHERE { ?x a gai:Statement }")}  # type: ignore[union-attr]
    assert len(claims) > 5 and statements == claims
    assert inferred(kg) == fresh_inferred(kg)
    report = kg.update("DELETE DATA { GRAPH gai:extra { gai:Claim rdfs:subClassOf gai:Statement } }")
    assert report.full and engine_of(kg) == "bulk"  # as many over-deleted
    assert inferred(kg) == fresh_inferred(kg)


def test_the_threshold_switches_a_write_to_the_bulk_path() -> None:
    kg = open_knowledge_graph()
    kg.bulk_in_process = True
    kg.bulk = BulkThresholds(reasoning_quads=2)
    kg.write(Delta(added=(typed("Small", "LargeLanguageModel"),)))
    assert engine_of(kg) == "store"
    many = tuple(typed(f"Many{i}", "MultimodalLLM") for i in range(5))
    report = kg.write(Delta(added=many))
    assert engine_of(kg) == "bulk" and report.full and closure_state(kg).current
    assert kg.query("ASK { gaid:Many3 a gai:GenerativeAI }")
    assert inferred(kg) == fresh_inferred(kg)
    # a DELETE … WHERE of many quads, and a Graph Store replacement, take the same path
    kg.update("DELETE WHERE { GRAPH gai:scratch { ?s a gai:MultimodalLLM } }")
    assert engine_of(kg) == "bulk" and not kg.query("ASK { gaid:Many3 a gai:GenerativeAI }")
    assert inferred(kg) == fresh_inferred(kg)
    kg.replace_graphs({NamedNode(GAI + "scratch"): list(many[:3])})
    assert engine_of(kg) == "bulk" and kg.query("ASK { gaid:Many2 a gai:GenerativeAI }")
    assert not kg.query("ASK { gaid:Small a gai:GenerativeAI }")
    assert inferred(kg) == fresh_inferred(kg)


def test_the_closure_reaches_the_store_in_chunks_as_it_grows(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child hands the triples it adds over in chunks while it reasons (what the closure holds stays in
    it); many small chunks, triples already in the inferred graph skipped, give the whole closure."""
    monkeypatch.setattr(bulk_child, "CHUNK_LINES", 40)
    chunks: list[str] = []
    add_inferred = bulk.add_inferred

    def counted(kg: KnowledgeGraph, added: Path) -> None:
        chunks.append(added.name)
        add_inferred(kg, added)

    monkeypatch.setattr(bulk, "add_inferred", counted)
    kg = open_knowledge_graph()
    kg.bulk_in_process, kg.bulk = True, BulkThresholds(reasoning_quads=0)
    report = kg.add_quads(university_quads(1, 1))
    assert engine_of(kg) == "bulk" and report.inferred_added > 40 * 5
    assert len(chunks) > 5 and chunks == [f"added.{n}.nt" for n in range(len(chunks))]
    assert inferred(kg) == fresh_inferred(kg)


def test_a_retraction_of_a_share_of_the_store_goes_to_the_bulk_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reasoner, "BULK_RETRACTION_MIN", 2)
    kg = open_knowledge_graph()
    kg.bulk_in_process = True
    many = tuple(typed(f"Many{i}", "MultimodalLLM") for i in range(4))
    kg.write(Delta(added=many))
    assert engine_of(kg) == "store"  # additions are cheap in the store
    kg.bulk = BulkThresholds(retraction_share=0.5)
    kg.write(Delta(removed=many[:3]))
    assert engine_of(kg) == "store"  # three triples are not half of the store
    kg.bulk = BulkThresholds(retraction_share=0.0)
    kg.write(Delta(removed=many[3:]))
    assert engine_of(kg) == "store"  # one triple is not more than BULK_RETRACTION_MIN
    kg.write(Delta(added=many))
    kg.write(Delta(removed=many))
    assert engine_of(kg) == "bulk" and inferred(kg) == fresh_inferred(kg)


def test_a_retraction_in_bulk_keeps_what_still_follows(monkeypatch: pytest.MonkeyPatch) -> None:
    """A retraction-only write does not read the inferred graph: a retracted triple that still follows is
    inferred afterwards, and what followed only from the retracted ones goes."""
    monkeypatch.setattr(reasoner, "BULK_RETRACTION_MIN", 0)
    kg = open_knowledge_graph()
    kg.bulk_in_process, kg.bulk = True, BulkThresholds(retraction_share=0.0)
    kept, implied, gone = (
        typed("Kept", "LargeLanguageModel"),
        typed("Kept", "GenerativeAI"),
        typed("Gone", "MultimodalLLM"),
    )
    kg.write(Delta(added=(kept, implied, gone)))
    report = kg.write(Delta(removed=(implied, gone)))
    assert engine_of(kg) == "bulk" and not report.full
    assert kg.query(f"ASK {{ GRAPH {GRAPH_INFERRED} {{ gaid:Kept a gai:GenerativeAI }} }}")
    assert not kg.query("ASK { gaid:Gone a gai:GenerativeAI }")
    assert inferred(kg) == fresh_inferred(kg)


def test_a_bulk_load_over_the_threshold_is_reasoned_over_in_bulk(tmp_path: Path) -> None:
    path = tmp_path / "models.nt"
    path.write_text("".join(f"<{GAID}Loaded{i}> <{RDF_TYPE}> <{GAI}LargeLanguageModel> .\n" for i in range(30)))
    kg = open_knowledge_graph()
    kg.bulk = BulkThresholds(reasoning_quads=10)
    report = kg.bulk_load(path, RdfFormat.N_TRIPLES, to_graph=NamedNode("urn:loaded"), base_iri=path.as_uri())
    assert report.added == 30 and report.full and engine_of(kg) == "bulk"
    assert kg.query("ASK { gaid:Loaded29 a gai:GenerativeAI }")
    assert inferred(kg) == fresh_inferred(kg)


@pytest.mark.both_backends
def test_a_bulk_load_reasons_over_the_files_blank_nodes(kg: KnowledgeGraph, tmp_path: Path) -> None:
    """A file's anonymous classes (hasValue restrictions) reach the closure as the nodes the store keeps: the
    child names the file's blank nodes once, for the store and for the rules (Skolem IRIs for a remote
    engine); a file of triples with a graph of their own, in Turtle."""
    path = tmp_path / "data.ttl"
    path.write_text(
        f"""@prefix owl: <http://www.w3.org/2002/07/owl#> .
        <urn:TextModel> owl:equivalentClass [ a owl:Restriction ; owl:onProperty <{GAI}outputModality> ;
                                             owl:hasValue <urn:text> ] .
        <urn:m1> <{GAI}outputModality> <urn:text> .
        <urn:m2> a [ a owl:Restriction ; owl:onProperty <{GAI}outputModality> ; owl:hasValue <urn:text> ] .
        """
    )
    report = kg.bulk_load(path, RdfFormat.TURTLE, to_graph=NamedNode("urn:t"), base_iri=path.as_uri())
    assert report.added == 9 and closure_state(kg).current and engine_of(kg) == "bulk"
    assert kg.query("ASK { <urn:m1> a <urn:TextModel> . <urn:m2> a <urn:TextModel> }")
    assert inferred(kg) == fresh_inferred(kg)


def test_a_bulk_load_that_asserts_what_was_inferred_and_changes_the_schema(tmp_path: Path) -> None:
    """A bulk load into a store with a closure: a triple the closure held becomes asserted (it leaves the
    inferred graph), a new subclass axiom changes what follows, and the result is a fresh closure's."""
    kg = open_knowledge_graph()
    kg.add_quads([typed("Known", "MultimodalLLM")])
    assert kg.query(f"ASK {{ GRAPH {GRAPH_INFERRED} {{ gaid:Known a gai:GenerativeAI }} }}")
    path = tmp_path / "more.nt"
    path.write_text(
        f"<{GAID}Known> <{RDF_TYPE}> <{GAI}GenerativeAI> .\n"
        f"<{GAI}GenerativeAI> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <urn:Artefact> .\n"
        + "".join(f"<{GAID}Loaded{i}> <{RDF_TYPE}> <{GAI}LargeLanguageModel> .\n" for i in range(20))
    )
    report = kg.bulk_load(path, RdfFormat.N_TRIPLES, to_graph=NamedNode("urn:more"), base_iri=path.as_uri())
    assert report.added == 22 and engine_of(kg) == "bulk"
    assert not kg.query(f"ASK {{ GRAPH {GRAPH_INFERRED} {{ gaid:Known a gai:GenerativeAI }} }}")
    assert kg.query("ASK { gaid:Known a <urn:Artefact> . gaid:Loaded19 a <urn:Artefact> }")
    assert inferred(kg) == fresh_inferred(kg)


@pytest.mark.both_backends
def test_a_bulk_load_of_a_dataset_keeps_its_graphs(kg: KnowledgeGraph, tmp_path: Path) -> None:
    """A TriG file: its named graphs stay its own, its default graph goes to the graph asked for."""
    path = tmp_path / "data.trig"
    path.write_text(
        f"""<urn:one> {{ <urn:a> <{RDF_TYPE}> <{GAI}LargeLanguageModel> . }}
        <urn:b> <{RDF_TYPE}> <{GAI}MultimodalLLM> .
        <urn:two> {{ <urn:c> <{RDF_TYPE}> [ <http://www.w3.org/2002/07/owl#unionOf> () ] . }}
        """
    )
    report = kg.bulk_load(path, RdfFormat.TRIG, to_graph=NamedNode("urn:rest"), base_iri=path.as_uri())
    assert report.added == 4 and closure_state(kg).current  # an empty union's class: two triples
    graphs = {str(q.graph_name) for q in kg.quads(None, NamedNode(RDF_TYPE), None) if "urn:" in str(q.subject)}
    assert graphs >= {"<urn:one>", "<urn:rest>", "<urn:two>"}
    assert kg.query("ASK { <urn:a> a gai:GenerativeAI . <urn:b> a gai:GenerativeAI }")
    assert inferred(kg) == fresh_inferred(kg)


def test_a_bulk_load_with_a_token_too_large_writes_nothing(tmp_path: Path) -> None:
    from graph.errors import TooLarge

    kg = open_knowledge_graph()
    path = tmp_path / "huge.nt"
    path.write_text(f'<urn:s> <urn:p> "{"x" * (17 * 1024 * 1024)}" .\n')
    before = len(kg)
    with pytest.raises(TooLarge):
        kg.bulk_load(path, RdfFormat.N_TRIPLES, to_graph=NamedNode("urn:huge"), base_iri=path.as_uri())
    assert len(kg) == before and closure_state(kg).current


def test_infer_force_in_bulk_on_a_current_store_changes_nothing_but_the_generation(tmp_path: Path) -> None:
    kg = open_knowledge_graph(tmp_path / "store")
    before, generation = inferred(kg), kg.generation
    kg.bulk = BulkThresholds(reasoning_quads=0)
    report = materialize(kg, force=True)
    assert report.engine == "bulk" and report.added == report.removed == 0 and report.child_peak_rss > 0
    assert inferred(kg) == before and kg.generation != generation


def test_a_crash_in_the_middle_of_a_bulk_write_is_repaired_by_the_next_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    kg = open_knowledge_graph(store)
    kg.bulk, kg.bulk_in_process = BulkThresholds(reasoning_quads=0), True
    kg.backend.clear_inferred()  # so that the bulk path has much to add
    monkeypatch.setattr(bulk_child, "CHUNK_LINES", 100)
    calls = []
    add_ntriples = EmbeddedBackend.add_ntriples

    def crashing(self: EmbeddedBackend, data: IO[bytes], graphs: Sequence[NamedNode]) -> None:
        calls.append(1)
        if len(calls) == 3:  # two chunks are in, the rest never comes
            raise Crash("the process is stopped")
        add_ntriples(self, data, graphs)

    monkeypatch.setattr(EmbeddedBackend, "add_ntriples", crashing)
    with pytest.raises(Crash):
        kg.write(Delta(added=(typed("Crashed", "LargeLanguageModel"),)))
    assert closure_state(kg).status == "pending" and len(calls) == 3
    monkeypatch.undo()
    kg.close()
    del kg
    gc.collect()  # the traceback's frames held the store (and RocksDB's lock)
    reader = open_knowledge_graph(store, read_only=True)
    assert closure_state(reader).status == "pending" and not reader.query("ASK { gaid:Crashed a gai:GenerativeAI }")
    del reader
    writer = open_knowledge_graph(store)
    assert "did not finish reasoning" in capsys.readouterr().err
    assert closure_state(writer).current and writer.query("ASK { gaid:Crashed a gai:GenerativeAI }")
    assert inferred(writer) == fresh_inferred(writer)


def test_a_child_whose_writer_is_killed_midway_ends(tmp_path: Path) -> None:
    """The child reads the store's dumps while the writer writes them; a writer killed before it marks a dump
    whole must not leave the child waiting for ever."""
    import signal
    import subprocess
    import sys
    import time

    import psutil

    script = tmp_path / "writer.py"
    script.write_text(
        "import os, pickle, subprocess, sys, time\n"
        "from pathlib import Path\n"
        "from graph.inference.bulk_child import BulkJob\n"
        f"job = BulkJob.in_folder(Path({str(tmp_path)!r}))\n"
        "child = subprocess.Popen([sys.executable, '-c', 'from graph.inference.bulk_child import child_main; child_main()'],"
        " stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)\n"
        "child.stdin.write(pickle.dumps(job)); child.stdin.flush()\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    root = str(Path(__file__).resolve().parents[1])
    writer = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, cwd=root, env={"PYTHONPATH": root})
    assert writer.stdout is not None
    child = psutil.Process(int(writer.stdout.readline()))
    time.sleep(0.5)
    assert child.is_running() and child.status() != psutil.STATUS_ZOMBIE  # waiting for the dump
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    else:
        child.kill()
        pytest.fail("the child went on waiting for a dump nobody would finish")


@pytest.mark.remote_only
def test_a_remote_engine_gets_the_bulk_path_in_bounded_batches(
    backend: str, kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    bounded_batches(kg, monkeypatch)


@pytest.mark.virtuoso_only
def test_virtuoso_gets_the_bulk_path_in_bounded_batches(
    backend: str, kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Virtuoso refuses one huge update ("generated SQL text has exceeded 10000 lines")."""
    bounded_batches(kg, monkeypatch)


def bounded_batches(kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batched, "REMOTE_BATCH_LINES", 500)
    sizes: list[int] = []
    update, request = kg.backend.update, kg.backend.client.request  # type: ignore[attr-defined]

    def counted_update(sparql: str, **options):  # type: ignore[no-untyped-def]
        sizes.append(sparql.count("GRAPH <"))
        return update(sparql, **options)

    def counted_request(name, method, **options):  # type: ignore[no-untyped-def]
        if name == "store" and method == "POST":
            sizes.append(options["body"].count(b"\n"))
        return request(name, method, **options)

    monkeypatch.setattr(kg.backend, "update", counted_update)
    monkeypatch.setattr(kg.backend.client, "request", counted_request)  # type: ignore[attr-defined]
    want = inferred_remote(kg)
    kg.backend.clear_inferred()
    kg.bulk, kg.bulk_in_process = BulkThresholds(reasoning_quads=0), True
    report = materialize(kg, force=True)
    assert report.engine == "bulk" and report.added == len(want) > 1000
    assert len(sizes) > len(want) // 500 and max(sizes) <= 500 + 10  # the state update names a few graphs
    assert inferred_remote(kg) == want and closure_state(kg).current


def inferred_remote(kg: KnowledgeGraph) -> set[str]:
    return {
        f"{q.subject} {q.predicate} {q.object}"
        for q in kg.quads(None, None, None, GRAPH_INFERRED)
        if q.subject != GRAPH_INFERRED
    }


@settings(max_examples=300, derandomize=True, database=None)
@given(st.lists(st.sampled_from([b"a", b" ", b"_", b":", b"_:", b"\n", b"<x>", b"_:b1"]), max_size=40))
def test_blank_lines_are_split_out_whole_and_in_order(pieces: list[bytes]) -> None:
    """The store's loader sends lines with a blank node apart from the others (its bulk loader would rename
    them): every line goes to exactly one side, whole and in order, however the lines run."""
    chunk = b"".join(pieces)
    lines = chunk.splitlines(keepends=True)
    plain, blank = _split_blank_lines(chunk)
    assert plain == b"".join(x for x in lines if b"_:" not in x)
    assert blank == b"".join(x for x in lines if b"_:" in x)
