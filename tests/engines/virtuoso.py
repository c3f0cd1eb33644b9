"""A private Virtuoso (Debian's ``virtuoso-opensource-7-bin``) on 127.0.0.1: a second remote SPARQL engine.

Each instance gets its own ``virtuoso.ini`` and database in a directory, free HTTP and SQL ports, and lets
the anonymous ``SPARQL`` user update (``GRANT SPARQL_UPDATE``, sent with ``isql-vt`` as ``dba``/``dba``,
the default password of a new database; the SQL port listens on 127.0.0.1 only). See docs/virtuoso.md.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from graph.engine_client import Endpoints

from . import free_port

#: ``CaseMode = 2`` is needed for ASK answers to be booleans (otherwise a table with ``__ASK_RETVAL``).
INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CaseMode = 2
CheckpointInterval = 0
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2
DirsAllowed = {dir}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 10
MaxClientConnections = 10

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 0
MaxQueryCostEstimationTime = 0
"""
GRANT = 'GRANT SPARQL_UPDATE TO "SPARQL";'
#: Graphs Virtuoso creates in every new database; they are in its (union) default graph too.
SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/sparql",
)


def virtuoso_binary() -> str | None:
    """The Virtuoso server program, or None when ``virtuoso-opensource-7-bin`` is not installed."""
    return shutil.which("virtuoso-t")


@dataclass
class VirtuosoEngine:
    """One ``virtuoso-t`` process with its database and log in ``directory``."""

    process: subprocess.Popen[bytes]
    directory: Path
    http_port: int
    sql_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_url(self) -> str:
        return f"{self.url}/sparql"

    @property
    def update_url(self) -> str:
        return f"{self.url}/sparql"

    @property
    def store_url(self) -> str:
        return f"{self.url}/sparql-graph-crud"

    @property
    def endpoints(self) -> Endpoints:
        """What genai-kg is given: no Graph Store URL, since Virtuoso's takes one graph a request, not a dataset."""
        return Endpoints(self.query_url, self.update_url)

    def update(self, sparql: str) -> None:
        response = requests.post(
            self.update_url,
            data=sparql.encode(),
            headers={"Content-Type": "application/sparql-update"},
            timeout=30,
        )
        response.raise_for_status()

    def clear(self) -> None:
        """Empty every graph but Virtuoso's own (``DROP ALL`` and ``CLEAR ALL`` answer 200 and do nothing)."""
        response = requests.get(
            self.query_url,
            params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        response.raise_for_status()
        graphs = [row["g"]["value"] for row in response.json()["results"]["bindings"]]
        clears = [f"CLEAR SILENT GRAPH <{g}>" for g in graphs if g not in SYSTEM_GRAPHS]
        if clears:
            self.update(" ;\n".join(clears))

    def sql(self, statement: str) -> str:
        """Run one SQL statement as ``dba`` through ``isql-vt``; raise with its output when it fails."""
        isql = shutil.which("isql-vt") or "isql-vt"
        done = subprocess.run(
            [isql, f"127.0.0.1:{self.sql_port}", "dba", "dba", f"EXEC={statement}"],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
        output = (done.stdout + done.stderr).decode("utf-8", "replace")
        if done.returncode != 0 or "*** Error" in output:
            raise RuntimeError(f"isql-vt failed on {statement!r}: {output.strip()}")
        return output

    def log_tail(self, chars: int = 3000) -> str:
        """The end of Virtuoso's console output (it repeats its error log there)."""
        path = self.directory / "virtuoso.out"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM (Virtuoso shuts down in about a second), SIGKILL if it has not after 20 s."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_virtuoso(directory: Path, *, timeout: float = 60.0) -> VirtuosoEngine:
    """Start a private Virtuoso in ``directory`` on free ports of 127.0.0.1, wait until /sparql answers, and
    let anonymous requests update."""
    binary = virtuoso_binary()
    if binary is None:
        raise RuntimeError("virtuoso-t is not installed: apt-get install virtuoso-opensource-7-bin")
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    http_port = free_port()
    sql_port = free_port()
    while sql_port == http_port:
        sql_port = free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(INI.format(dir=directory, http_port=http_port, sql_port=sql_port))
    with (directory / "virtuoso.out").open("wb") as out:
        process = subprocess.Popen(
            [binary, "+foreground", "+configfile", str(ini)],
            cwd=directory,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    engine = VirtuosoEngine(process, directory, http_port, sql_port)
    try:
        _wait_ready(engine, timeout)
        engine.sql(GRANT)
    except BaseException:
        engine.stop()
        raise
    return engine


def _wait_ready(engine: VirtuosoEngine, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if engine.process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited with {engine.process.returncode}:\n{engine.log_tail()}")
        try:
            response = requests.get(engine.query_url, params={"query": "ASK {}"}, timeout=2)
            if response.status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"Virtuoso did not answer at {engine.query_url} within {timeout:g} s:\n{engine.log_tail()}")
