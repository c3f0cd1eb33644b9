"""Oxigraph's own server (PyPI ``oxigraph``) as a remote SPARQL engine, started on 127.0.0.1 by the tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from graph.engine_client import Endpoints

from . import free_port


def oxigraph_binary() -> str:
    """The ``oxigraph`` program installed beside this Python (the test extras install it)."""
    found = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
    if found is None:
        raise RuntimeError("the oxigraph server is not installed: pip install oxigraph (it is in the test extras)")
    return found


@dataclass
class OxigraphEngine:
    """One ``oxigraph serve`` process."""

    process: subprocess.Popen[bytes]
    url: str

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(f"{self.url}/query", f"{self.url}/update", f"{self.url}/store")

    def update(self, sparql: str) -> None:
        response = requests.post(
            f"{self.url}/update",
            data=sparql.encode(),
            headers={"Content-Type": "application/sparql-update"},
            timeout=30,
        )
        response.raise_for_status()

    def clear(self) -> None:
        """Empty the engine: every graph, the default one too."""
        self.update("DROP ALL")

    def dump(self) -> bytes:
        """Every quad the engine holds, as N-Quads (a Graph Store GET of the whole dataset)."""
        response = requests.get(f"{self.url}/store", headers={"Accept": "application/n-quads"}, timeout=30)
        response.raise_for_status()
        return response.content

    def restore(self, quads: bytes) -> None:
        """Make the engine hold exactly ``quads`` (N-Quads), as :meth:`dump` gave them."""
        self.clear()
        response = requests.post(
            f"{self.url}/store", data=quads, headers={"Content-Type": "application/n-quads"}, timeout=30
        )
        response.raise_for_status()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_oxigraph(directory: Path, *, extra: tuple[str, ...] = ()) -> OxigraphEngine:
    """Start ``oxigraph serve`` on a free port of 127.0.0.1 and wait until it answers, its data in memory
    (``directory`` holds its log). In memory, not on disk: the tests empty the engine before each test, and
    after many ``DROP ALL`` Oxigraph's on-disk store (RocksDB, full of deletion markers) takes ~60 ms for each
    look-up of a triple in any graph, so that loading the shipped graph went from 5 s to 60, 100, 180 s."""
    port = free_port()
    log = (directory / "oxigraph.log").open("wb")
    process = subprocess.Popen(
        [oxigraph_binary(), "serve", "--bind", f"127.0.0.1:{port}", *extra],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"oxigraph serve exited: {(directory / 'oxigraph.log').read_text()[-2000:]}")
        try:
            requests.get(f"{url}/query", params={"query": "ASK {}"}, timeout=1).raise_for_status()
            return OxigraphEngine(process, url)
        except requests.RequestException:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("oxigraph serve did not answer within 30 s")
