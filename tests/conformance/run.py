"""Run the W3C SPARQL 1.1 test suites against genai-kg and print pass/fail counts per suite.

    python -m tests.conformance.run [--suites query,update,protocol,gsp,sd,sparql10] [--verbose] [W3C_DIR]

Query and update evaluation run through the /sparql endpoint (Flask test client) on a fresh in-memory store
per test; the protocol, Graph Store and Service Description cases run against a real ``genai-kg serve``.
Exits 1 when a protocol, Graph Store or Service Description case fails.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from .evaluation import Outcome, run_query_test, run_syntax_test, run_update_test
from .manifests import Test, tests

DEFAULT_DIR = Path(__file__).resolve().parents[3] / "shared" / "w3c-rdf-tests" / "sparql"

QUERY_KINDS = {"QueryEvaluationTest", "CSVResultFormatTest"}
SYNTAX_KINDS = {
    "PositiveSyntaxTest11",
    "NegativeSyntaxTest11",
    "PositiveUpdateSyntaxTest11",
    "NegativeUpdateSyntaxTest11",
    "PositiveSyntaxTest",
    "NegativeSyntaxTest",
}


def _safely(run: Callable[[Test], Outcome | None], test: Test) -> Outcome | None:
    try:
        return run(test)
    except Exception as error:  # a crash in one test is that test's failure, not the run's
        return Outcome(test, False, f"{type(error).__name__}: {error}")


def evaluate(manifest: Path, kinds: set[str], run: Callable[[Test], Outcome | None]) -> list[Outcome]:
    """Run the approved tests of these kinds; tests the runner skips (None) are left out of the counts."""
    outcomes = (_safely(run, test) for test in tests(manifest) if test.kind in kinds and test.approved)
    return [outcome for outcome in outcomes if outcome is not None]


def report(name: str, outcomes: Iterable[Outcome], *, verbose: bool) -> tuple[int, int]:
    outcomes = list(outcomes)
    passed = sum(o.passed for o in outcomes)
    lexical = sum(o.lexical_only for o in outcomes)
    extra = f"; {passed + lexical} up to lexical forms" if lexical else ""
    print(f"{name:<30} {passed:>4} passed {len(outcomes) - passed:>4} failed  (of {len(outcomes)}{extra})")
    if verbose:
        for outcome in outcomes:
            if not outcome.passed:
                print(f"    FAIL {outcome.test.iri}  {outcome.detail}")
        reasons = Counter(o.detail.split(":")[0] for o in outcomes if not o.passed)
        for reason, count in reasons.most_common(8):
            print(f"    {count:>4} x {reason}")
    return passed, len(outcomes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=DEFAULT_DIR, help="the w3c-rdf-tests/sparql folder")
    parser.add_argument("--suites", default="query,update,syntax,protocol,gsp,sd")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    root: Path = args.root
    if not (root / "sparql11").is_dir():
        print(f"no W3C SPARQL tests at {root}", file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")  # rdflib's deprecations are not what this run measures
    suites = set(args.suites.split(","))
    sparql11 = root / "sparql11"
    failed_protocol = 0
    evaluated: list[Outcome] = []
    if "query" in suites:
        outcomes = evaluate(sparql11 / "manifest-sparql11-query.ttl", QUERY_KINDS, run_query_test)
        outcomes += evaluate(sparql11 / "manifest-sparql11-results.ttl", QUERY_KINDS, run_query_test)
        report("SPARQL 1.1 query evaluation", outcomes, verbose=args.verbose)
        evaluated += outcomes
    if "sparql10" in suites:
        outcomes = evaluate(root / "sparql10" / "manifest-evaluation.ttl", QUERY_KINDS, run_query_test)
        report("SPARQL 1.0 query evaluation", outcomes, verbose=args.verbose)
        evaluated += outcomes
    if "query" in suites and "sparql10" in suites:
        report("query evaluation, both", evaluated, verbose=False)
    if "syntax" in suites:
        outcomes = evaluate(sparql11 / "manifest-sparql11-query.ttl", SYNTAX_KINDS, run_syntax_test)
        outcomes += evaluate(sparql11 / "manifest-sparql11-update.ttl", SYNTAX_KINDS, run_syntax_test)
        report("SPARQL 1.1 syntax", outcomes, verbose=args.verbose)
    if "update" in suites:
        outcomes = evaluate(sparql11 / "manifest-sparql11-update.ttl", {"UpdateEvaluationTest"}, run_update_test)
        report("SPARQL 1.1 update evaluation", outcomes, verbose=args.verbose)
    protocol_suites = suites & {"protocol", "gsp", "sd"}
    if protocol_suites:
        from .protocol import run_protocol_suites

        for name, outcomes in run_protocol_suites(sparql11, protocol_suites):
            passed, total = report(name, outcomes, verbose=args.verbose)
            failed_protocol += total - passed
    return 1 if failed_protocol else 0


if __name__ == "__main__":
    sys.exit(main())
