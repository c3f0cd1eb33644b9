"""What the fuzzing tests share: a real server, a crash canary, how many examples to try, and a tally.

The canary is the point of running a real ``genai-kg serve`` process: a request that crashes the worker
(a parser's stack overflow is a segmentation fault, not an exception) shows as a new worker process or a
``/health`` that does not answer, even where the process manager replaces the worker at once.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psutil
import pytest
import requests
from hypothesis import HealthCheck, Phase, settings

from .conftest import TOKEN, ServerProcess

#: Examples per hypothesis test (and per OpenAPI operation); GENAI_KG_FUZZ_EXAMPLES=500 for a long hunt.
EXAMPLES = int(os.environ.get("GENAI_KG_FUZZ_EXAMPLES", "25"))
#: Seconds a hostile request may take before it counts as a hang (the server's budget is shorter).
HANG_SECONDS = 30.0
AUTH = {"Authorization": f"Bearer {TOKEN}"}

#: Bounded, repeatable runs in `make test` (the same examples every time: a failure is never a fluke of
#: the draw); set GENAI_KG_FUZZ_RANDOM=1 to draw new ones. No shrinking: the server is not reset between
#: examples (after a crash every example fails), so the first failing example is the one to report.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("GENAI_KG_FUZZ_RANDOM") != "1",
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def start_server(*args: str, **env: str) -> ServerProcess:
    """A ``genai-kg serve --memory`` process with the test token, ``args`` and ``GENAI_KG_*`` ``env`` added."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GENAI_KG_")}
    environment.update({"GENAI_KG_TOKEN": TOKEN, **env})
    return ServerProcess(["--memory", "--query-timeout", "5", *args], environment)


@dataclass
class Tally:
    """Requests sent and statuses received, by kind, for the test output."""

    title: str
    statuses: Counter[int] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)

    def count(self, kind: str, status: int) -> None:
        self.kinds[kind] += 1
        self.statuses[status] += 1

    def report(self, request: pytest.FixtureRequest, seconds: float) -> str:
        """Print the counts past pytest's capture (they belong in the CI log), and return them."""
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items()))
        line = (
            f"{self.title}: {len(self.kinds)} kinds, {sum(self.kinds.values())} requests in {seconds:.0f} s; "
            f"statuses {statuses}"
        )
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print(f"\n{line}")
        return line


@dataclass
class Canary:
    """Asserts, after each hostile request, that the server is the same process with the same worker."""

    server: ServerProcess
    tally: Tally
    workers: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.workers = self._workers()

    def _workers(self) -> set[int]:
        """The process manager's direct children: the app's workers (query workers are their children)."""
        return {child.pid for child in psutil.Process(self.server.process.pid).children()}

    def check(self, what: object) -> None:
        assert self.server.process.poll() is None, f"the server exited after {what!r}"
        assert self._workers() == self.workers, f"a worker of the server died after {what!r}"
        try:
            health = requests.get(self.server.url + "/health", timeout=10)
        except requests.RequestException as error:
            raise AssertionError(f"/health did not answer after {what!r}: {error}") from None
        assert health.status_code == 200, f"/health answered {health.status_code} after {what!r}"

    def call(self, method: str, url: str, what: object, **kwargs: Any) -> requests.Response:
        """One request, bounded by the hang limit and followed by the check; a lost connection is reported
        as what it shows (a dead worker, a hang), not as the client's exception."""
        try:
            response = requests.request(method, url, timeout=HANG_SECONDS, **kwargs)
        except requests.Timeout:
            self.check(what)
            raise AssertionError(f"no answer within {HANG_SECONDS} s to {what!r}") from None
        except requests.ConnectionError as error:
            self.check(what)
            raise AssertionError(f"the connection broke on {what!r}: {error}") from None
        self.check(what)
        self.count(response.status_code)
        return response

    def count(self, status: int) -> None:
        """Count one answer under the test that is running."""
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[-1].split("[")[0].split(" ")[0]
        self.tally.count(test, status)


def server_error(response: requests.Response) -> bool:
    """A 5xx, but for the 503 of work stopped at its budget (or of too many at once, with Retry-After): that
    one is what the service promises for work it will not finish."""
    return response.status_code >= 500 and not (response.status_code == 503 and "Retry-After" in response.headers)
