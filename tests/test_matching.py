"""The matcher (graph/matching.py): names to the graph's resources, as the Epoch import and reconciliation use it."""

from __future__ import annotations

import pytest

from graph import KnowledgeGraph
from graph.matching import Candidate, Matcher, NameSearch, candidates, compact, tokens, unqualified
from graph.namespaces import GAI, GAID

from .conftest import shipped_in_memory

MODEL, ORGANIZATION = GAI + "AIModel", GAI + "Organization"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    """The shipped graph's resources, article and Epoch AI alike (read-only here, so one for the module)."""
    return Matcher(candidates(shipped_in_memory()))


@pytest.fixture(scope="module")
def article() -> Matcher:
    """The article's resources only, as the Epoch import matches rows against them."""
    from graph.sources.epoch import article_graph

    return Matcher(candidates(article_graph()))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("DALL·E 3", ("dall", "e", "3")),
        ("DALL-E 3", ("dall", "e", "3")),
        ("Llama 3.1-405B", ("llama", "3.1", "405b")),
        ("Qwen2.5-72B", ("qwen", "2.5", "72b")),
        ("GPT-4o (Mar 2025)", ("gpt", "4o", "mar", "2025")),
        ("Université de Montréal", ("universite", "de", "montreal")),
        ("Midjourney, Inc.", ("midjourney",)),
        ("o3", ("o", "3")),
    ],
)
def test_tokens(name: str, expected: tuple[str, ...]) -> None:
    assert tokens(name) == expected


def test_punctuation_case_and_spacing_do_not_matter() -> None:
    assert compact("DALL·E") == compact("DALL-E") == compact("DALLE") == compact("dall e") == "dalle"
    assert unqualified("Gemini 2.5 Pro (Jun 2025)") == "Gemini 2.5 Pro"


#: (name, type, organisations, status, the resource it matches or is a variant of (local name), how)
CASES = [
    # the article's rows: the same resource
    ("GPT-4.5", MODEL, ["OpenAI"], "matched", "GPT-4.5", "exact"),
    ("GPT-5", MODEL, ["OpenAI"], "matched", "GPT-5", "exact"),
    ("Claude 3 Opus", MODEL, ["Anthropic"], "matched", "Claude_3_Opus", "exact"),
    ("Gemini 1.5 Pro", MODEL, ["Google DeepMind"], "matched", "Gemini_1.5_Pro", "exact"),
    ("DALL·E 3", MODEL, ["OpenAI"], "matched", "DALL-E_3", "exact"),
    # punctuation and case
    ("DALL-E 3", MODEL, [], "matched", "DALL-E_3", "exact"),
    ("dalle 3", MODEL, [], "matched", "DALL-E_3", "exact"),
    ("gemini-1.5-pro", MODEL, [], "matched", "Gemini_1.5_Pro", "exact"),
    # word order
    ("Claude Opus 3", MODEL, [], "matched", "Claude_3_Opus", "word order"),
    # aliases (skos:altLabel), a legal form, and our own disambiguating parentheses
    ("o3", MODEL, ["OpenAI"], "matched", "OpenAI_o3", "exact"),
    ("Meta Llama 4", MODEL, [], "matched", "Llama_4", "exact"),
    ("Runway ML", ORGANIZATION, [], "matched", "Runway_company", "exact"),
    ("Midjourney, Inc.", ORGANIZATION, [], "matched", "Midjourney_Inc", "exact"),
    ("Suno", ORGANIZATION, [], "matched", "Suno_company", "exact"),
    # near misses stay apart
    ("Midjourney V1", MODEL, ["Midjourney"], "new", None, None),
    ("Gemini 2.5 Pro", MODEL, ["Google DeepMind"], "new", None, None),
    # size and version variants are new resources, linked to the article's model
    ("Llama 3.1-405B", MODEL, ["Meta AI"], "new", "Llama_3", "version"),
    ("Llama 3-70B", MODEL, ["Meta AI"], "new", "Llama_3", "variant"),
    ("GPT-5 mini", MODEL, ["OpenAI"], "new", "GPT-5", "variant"),
    ("Claude 3.5 Sonnet", MODEL, ["Anthropic"], "new", "Claude_3.5", "variant"),
    ("o3-mini", MODEL, ["OpenAI"], "new", "OpenAI_o3", "variant"),
    # the organisation breaks a tie between two resources of one name …
    ("Gemini", None, ["Google"], "matched", "Gemini_chatbot", "exact"),
    ("Gemini", None, ["Google DeepMind"], "matched", "Gemini", "exact"),
    # … without it, or when it contradicts the name, nothing is guessed
    ("Gemini", None, [], "ambiguous", None, None),
    ("Claude", None, [], "ambiguous", None, None),
    ("GPT-5", MODEL, ["Anthropic"], "ambiguous", None, None),
    # a name broader than the article's (the first DALL·E model against DALL·E 3) is ambiguous too
    ("DALL-E", MODEL, ["OpenAI"], "ambiguous", None, None),
]


@pytest.mark.parametrize(("name", "kind", "orgs", "status", "expected", "how"), CASES, ids=lambda v: str(v))
def test_matching(
    article: Matcher, name: str, kind: str | None, orgs: list[str], status: str, expected: str | None, how: str | None
) -> None:
    result = article.match(name, type=kind, organizations=orgs)
    assert result.status == status, [(c.candidate.iri, c.kind, c.organization) for c in result.candidates[:4]]
    found = result.match if status == "matched" else result.variant_of
    if expected is None:
        assert found is None or status == "ambiguous"
        return
    assert found is not None and found.candidate.iri == GAID + expected
    assert found.kind == how


def test_ambiguous_names_list_their_candidates(article: Matcher) -> None:
    result = article.match("Gemini")
    assert result.match is None
    assert {c.candidate.iri for c in result.ambiguous} == {GAID + "Gemini", GAID + "Gemini_chatbot"}
    assert all(not c.match for c in result.candidates)


def test_the_type_decides_between_a_product_and_its_company(article: Matcher) -> None:
    both = article.match("Midjourney")
    assert {c.candidate.iri for c in both.ambiguous} == {GAID + "Midjourney", GAID + "Midjourney_Inc"}
    assert article.match("Midjourney", type=GAI + "Product").match.candidate.iri == GAID + "Midjourney"  # type: ignore[union-attr]
    assert article.match("Midjourney", type=MODEL).match is None


def test_candidates_come_with_types_and_organisations(matcher: Matcher) -> None:
    [gpt45] = [c for c in matcher.candidates if c.iri == GAID + "GPT-4.5"]
    assert {"GPT-4.5"} <= set(gpt45.labels)
    assert {GAI + "LargeLanguageModel", GAI + "AIModel", GAI + "GenerativeAI"} <= gpt45.types
    assert GAID + "OpenAI" in gpt45.organizations and "OpenAI" in gpt45.organizations
    [pro] = [c for c in matcher.candidates if c.iri == GAID + "Gemini_1.5_Pro"]
    assert GAID + "Google" in pro.parent_organizations


def test_search_finds_names_without_their_punctuation(matcher: Matcher) -> None:
    assert {c.iri for c in matcher.search("dalle")[:2]} == {GAID + "DALL-E_model", GAID + "DALL-E"}
    assert GAID + "DALL-E_3" in {c.iri for c in matcher.search("Dall·e")}
    assert NameSearch([("a", "GPT-4.5"), ("b", "GPT-4")]).find("gpt4") == ["b", "a"]
    assert matcher.search("   ") == [] and matcher.search("·") == []


def test_a_thousand_rows_against_thousands_of_entities(matcher: Matcher, epoch_rows: list[dict[str, str]]) -> None:
    """Every Epoch row finds itself among 3,500 candidates (about 0.25 s on one idle core, `docs/sources.md`:
    a figure for the benchmarks, never a timed assertion here)."""
    rows = [(row["Model"].strip(), row["Organization"].split(",")) for row in epoch_rows]
    more = [Candidate(f"{GAID}Synthetic_{n}", (f"Model {n} of series {n % 40}",)) for n in range(2000)]
    bigger = Matcher([*matcher.candidates, *more])
    assert len(rows) == 976 and len(bigger.candidates) > 3500
    results = [bigger.match(name, type=MODEL, organizations=orgs) for name, orgs in rows]
    assert sum(1 for r in results if r.match) >= 950  # every row is in the shipped graph now


def test_the_same_candidates_give_the_same_answers() -> None:
    made = [Candidate(GAID + "A", ("Alpha 1",), frozenset({MODEL})), Candidate(GAID + "B", ("Alpha 2",))]
    assert Matcher(made).match("alpha-1").match == Matcher(list(made)).match("ALPHA 1").match


def test_candidates_of_given_graphs_only(kg: KnowledgeGraph) -> None:
    from graph.namespaces import GRAPH_DATA

    names = {c.iri for c in candidates(kg, graphs=[GRAPH_DATA], context=False)}
    assert GAID + "GPT-4.5" in names and GAID + "Llama_3.1-405B" not in names
