"""First views of the pages that read whole-store builds: on a first start, after a restart, and after a write.

The home page, VoID, search, the matrix, consistency and reconciliation each read a build of the whole store
(statistics, names, the matcher: ``graph/builds.py``), made once per generation and kept on disk. This starts
``genai-kg serve`` on a store, with its builds folder emptied, and times one request to each page in four
rounds:

- ``first start``: nothing built yet;
- ``after a restart``: the same store, the server stopped and started again;
- ``at once after a write``: one triple inserted, the pages asked right away (the warmer has not started);
- ``after a write and a pause``: another triple, then ``--wait`` seconds (the warmer's quiet time and its
  builds) before the pages are asked.

Usage (a store large enough to matter, e.g. ``genai-kg generate --models 100000`` loaded with ``genai-kg load``)::

    .venv/bin/python -m bench.views --store /tmp/cat/s1 --wait 90

Times are wall-clock seconds of one request each, on the machine as it is: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from .servers import Server, genai_kg

TOKEN = "bench-views"
PAGES = (
    ("/", None),
    ("/.well-known/void", None),
    ("/search?q=gpt", None),
    ("/matrix", None),
    ("/infer/consistency", None),
    ("/reconcile", {"queries": '{"q0": {"query": "GPT-4"}}'}),
)


def ask(server: Server, path: str, form: dict[str, str] | None) -> float:
    """Seconds to the whole answer of one request (which must be a 200)."""
    data = None if form is None else urllib.parse.urlencode(form).encode()
    started = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", data=data, timeout=600) as response:
        response.read()
        assert response.status == 200, (path, response.status)
    return time.monotonic() - started


def write(server: Server) -> None:
    """Insert a triple the store does not hold yet (a write that changes nothing keeps the generation)."""
    subject = f"<https://example.org/bench/views/{time.time_ns()}>"
    update = f'INSERT DATA {{ {subject} <http://www.w3.org/2000/01/rdf-schema#label> "a" }}'
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/sparql",
        data=urllib.parse.urlencode({"update": update}).encode(),
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        assert response.status in (200, 204), response.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--wait", type=float, default=90.0, help="seconds between the second write and the views")
    parser.add_argument("--bin", type=Path, default=Path(sys.executable).parent / "genai-kg")
    args = parser.parse_args()
    shutil.rmtree(args.store.with_name(args.store.name + ".builds"), ignore_errors=True)
    rounds: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="genai-kg-views-") as folder:
        log = Path(folder) / "server.log"

        def server() -> Server:
            found = genai_kg(args.bin, args.store)
            found.env = {"GENAI_KG_TOKEN": TOKEN}
            return found.start(log)

        with server() as first:
            rounds["first start"] = [ask(first, path, form) for path, form in PAGES]
        with server() as again:
            rounds["after a restart"] = [ask(again, path, form) for path, form in PAGES]
            write(again)
            rounds["at once after a write"] = [ask(again, path, form) for path, form in PAGES]
            write(again)
            time.sleep(args.wait)
            rounds[f"{args.wait:.0f} s after a write"] = [ask(again, path, form) for path, form in PAGES]
    print("| page | " + " | ".join(rounds) + " |")
    print("| --- |" + " ---: |" * len(rounds))
    for i, (path, form) in enumerate(PAGES):
        name = f"`{'POST ' if form else ''}{path}`"
        print(f"| {name} | " + " | ".join(f"{seconds[i]:.2f} s" for seconds in rounds.values()) + " |")


if __name__ == "__main__":
    main()
