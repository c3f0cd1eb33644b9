"""The peers genai-kg is measured against, installed into their own venv (``bench/.venv``) and found there.

Oxigraph's own server (the ``oxigraph`` wheel), rdflib-endpoint, owlrl and reasonable live in ``bench/.venv``
so that their dependencies never meet the service's; the load generator is Debian's ``wrk``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = ROOT / "bench" / ".venv"
#: What ``bench/.venv`` holds: the peers, the profilers, and genai-kg itself with pytest (``bench/inference.py``
#: reads its data from the test suite).
REQUIREMENTS = ("oxigraph", "rdflib-endpoint[cli]", "owlrl", "reasonable", "py-spy", "pyinstrument", "pytest")


@dataclass(frozen=True)
class Peers:
    """Where each tool is, or None where it is not installed."""

    genai_kg: Path
    python: Path | None
    oxigraph: Path | None
    rdflib_endpoint: Path | None
    wrk: Path | None
    py_spy: Path | None


def _bin(name: str) -> Path | None:
    path = BENCH_VENV / "bin" / name
    return path if path.exists() else None


def find() -> Peers:
    """The tools as installed now (nothing is installed)."""
    genai_kg = Path(sys.executable).with_name("genai-kg")
    wrk = shutil.which("wrk")
    return Peers(
        genai_kg=genai_kg if genai_kg.exists() else Path(shutil.which("genai-kg") or "genai-kg"),
        python=_bin("python"),
        oxigraph=_bin("oxigraph"),
        rdflib_endpoint=_bin("rdflib-endpoint"),
        wrk=Path(wrk) if wrk else None,
        py_spy=_bin("py-spy"),
    )


def install(log: Path) -> Peers:
    """Create ``bench/.venv`` with the peers, and install ``wrk`` with apt-get when missing (as root)."""
    with log.open("a") as out:
        if not (BENCH_VENV / "bin" / "python").exists():
            venv.create(BENCH_VENV, with_pip=True)
        pip = [str(BENCH_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, *REQUIREMENTS], check=True, stdout=out, stderr=subprocess.STDOUT)
        subprocess.run([*pip, "--editable", str(ROOT)], check=True, stdout=out, stderr=subprocess.STDOUT)
        if shutil.which("wrk") is None and shutil.which("apt-get") and os.geteuid() == 0:
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-qq"], check=False, stdout=out, stderr=subprocess.STDOUT, env=env)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "wrk"], check=False, stdout=out, stderr=subprocess.STDOUT, env=env
            )
    return find()


def versions(peers: Peers) -> dict[str, str]:
    """The version of every tool in the run, for the results' header."""
    found: dict[str, str] = {"python": sys.version.split()[0]}
    found["genai-kg"] = _output([str(peers.genai_kg), "--version"])
    found["pyoxigraph"] = _output([sys.executable, "-c", "import pyoxigraph; print(pyoxigraph.__version__)"])
    found["granian"] = _output([sys.executable, "-c", "import granian; print(granian.__version__)"])
    if peers.oxigraph:
        found["oxigraph (server)"] = _output([str(peers.oxigraph), "--version"])
    if peers.python:
        for package in ("rdflib-endpoint", "rdflib", "owlrl", "reasonable"):
            found[package] = _output(
                [str(peers.python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"]
            )
    if peers.wrk:
        found["wrk"] = _output([str(peers.wrk), "--version"]).split(" [")[0]
    return found


def _output(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except OSError:
        return "not installed"
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if text else "unknown"
