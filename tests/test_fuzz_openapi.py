"""Every operation of ``/openapi.json``, called with generated values by schemathesis against a real server.

Valid and invalid values alike (schemathesis's positive and negative modes), for every parameter and body the
document describes, with the token (so that writes get past authentication): no answer may be a 5xx, none
may take longer than the hang limit, and after each the crash canary must find the same worker alive. The
counts are printed: operations, requests and statuses.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode

from .conftest import ServerProcess
from .fuzzing import AUTH, FUZZ, HANG_SECONDS, Canary, Tally, server_error, start_server


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    started = start_server()
    yield started
    started.stop()


@pytest.mark.timeout(600)  # every operation of /openapi.json, generated cases, over HTTP
def test_no_operation_answers_with_a_server_error(server: ServerProcess, request: pytest.FixtureRequest) -> None:
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    tally = Tally("schemathesis over /openapi.json (kinds: operations)")
    canary = Canary(server, tally)
    failures: list[str] = []
    started = time.monotonic()
    for operation in operations:
        # SHACL validation takes seconds, and the fuzzer's writes move the generation its answer is cached for:
        # fuzz the rest of the check (tests/test_inference_api.py checks the shapes)
        fixed = {"shacl": "false"} if operation.label == "GET /infer/consistency" else None
        modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        cases = st.one_of(operation.as_strategy(mode, query=fixed) for mode in modes)

        @FUZZ
        @given(case=cases)
        def call(case: Case) -> None:
            shown = f"{case.method} {case.formatted_path} {case.query or ''}"
            try:
                response = case.call(base_url=server.url, headers=AUTH, timeout=HANG_SECONDS)
            except requests.RequestException as error:
                canary.check(shown)
                raise AssertionError(f"{shown}: {error}") from None
            canary.check(shown)
            tally.count(case.operation.label, response.status_code)
            if server_error(response):
                failures.append(f"{shown} -> {response.status_code}: {response.text[:300]}")

        call()
    tally.report(request, time.monotonic() - started)
    assert set(tally.kinds) == {operation.label for operation in operations}
    assert failures == [], "\n".join(failures)
    assert requests.get(server.url + "/health", timeout=10).status_code == 200
