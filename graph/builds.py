"""Whole-store builds kept on disk, so that a process that did not build one reads it instead of building it.

:meth:`~graph.store.KnowledgeGraph.cached` keeps what readers build over the whole store (search's names,
reconciliation's matcher, VoID's statistics, the pages' charts) in memory, once per generation. Each worker
process built its own copy, and lost it when it was replaced; a restarted server built them all again. At
1.15M triples that was 13 s for reconciliation and 11 s for the home page's first view, every time. An on-disk
store now keeps them beside it too, and any process that opens the same store at the same generation reads
them (a worker, a replacement worker, the server after a restart):

    STORE.builds/<generation>-<code>/<sha256 of the key>.pickle

``<code>`` fingerprints this package's source and the Python version: a build made by other code is never read.
A write moves the store to a new generation, so its builds are made again; the two newest generations' folders
are kept (a worker may still read the older one) and older ones deleted as a new one is made.

A pickle runs code when it is read, so a file here is read only when it carries the keyed BLAKE2b digest that
this user's key gives it. The key is kept outside the store (``$XDG_CONFIG_HOME/genai-kg/builds.key``, made on
first use, readable by its owner alone): whoever can write a store's folder, or hands one over, cannot make
the server run code. A file that does not verify, does not read, or cannot be written is built instead; a
store whose folder is read-only is served as before, its builds in memory only.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import pickle
import secrets
import shutil
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: The digest in front of each file's pickle.
_DIGEST = 32
#: Generations whose folders are kept: the newest, and the one before it (a worker may still hold it).
KEPT = 2
#: What :meth:`Builds.read` answers when it has nothing to give.
MISSING: Any = object()


def beside(store: Path) -> Path:
    """The builds folder of an on-disk store."""
    return store.with_name(store.name + ".builds")


@functools.cache
def code_fingerprint() -> str:
    """This package's source and the Python version that pickled: builds made by other code are not read."""
    digest = hashlib.sha256(sys.version.encode())
    root = Path(__file__).resolve().parent
    for source in sorted(root.rglob("*.py")):
        digest.update(str(source.relative_to(root)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def key_file() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "genai-kg" / "builds.key"


@functools.cache
def _key() -> bytes | None:
    """This user's signing key, made on first use; None when it can be neither read nor made."""
    path = key_file()
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = path.with_name(f"{path.name}.{os.getpid()}")
            descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(secrets.token_bytes(32))
            try:
                os.link(fresh, path)  # the first process to make one wins; the others read it
            except FileExistsError:
                pass
            finally:
                fresh.unlink()
        key = path.read_bytes()
    except (OSError, RuntimeError) as error:  # no home, a read-only one…
        log.warning("whole-store builds are not kept on disk: no signing key (%s)", error)
        return None
    return key if len(key) == 32 else None


def _digest(key: bytes, data: bytes) -> bytes:
    return hashlib.blake2b(data, key=key, digest_size=_DIGEST).digest()


class Builds:
    """The builds folder of one on-disk store."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._failed = False

    def _file(self, generation: str, key: str) -> Path:
        name = hashlib.sha256(key.encode()).hexdigest()
        return self.folder / f"{generation}-{code_fingerprint()}" / f"{name}.pickle"

    def read(self, generation: str, key: str) -> Any:
        """What was built for ``key`` at ``generation``, or :data:`MISSING`."""
        secret = _key()
        if not generation or secret is None:
            return MISSING
        try:
            data = self._file(generation, key).read_bytes()
        except OSError:
            return MISSING
        if not hmac.compare_digest(data[:_DIGEST], _digest(secret, data[_DIGEST:])):
            log.warning("a build of %r in %s is not signed with this user's key: built again", key, self.folder)
            return MISSING
        try:
            return pickle.loads(data[_DIGEST:])
        except Exception as error:  # signed by us, so by other code: built again
            log.warning("a build of %r in %s does not read (%s): built again", key, self.folder, error)
            return MISSING

    def write(self, generation: str, key: str, value: Any) -> None:
        """Keep ``value`` for ``key`` at ``generation``; a value that cannot be kept is simply not kept."""
        secret = _key()
        if not generation or secret is None or self._failed:
            return
        path = self._file(generation, key)
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # what a build holds decides; it is then only not kept
            log.info("a build of %r cannot be kept on disk (%s)", key, error)
            return
        try:
            if not path.parent.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                self._collect(path.parent)
            partial = path.with_name(f"{path.name}.{os.getpid()}")
            with open(partial, "wb") as file:
                file.write(_digest(secret, data))
                file.write(data)
            os.replace(partial, path)
        except OSError as error:  # a read-only folder, a full disk: kept in memory only, from now on
            self._failed = True
            log.warning("whole-store builds are not kept in %s (%s)", self.folder, error)

    def _collect(self, made: Path) -> None:
        """Delete the folders of generations older than the :data:`KEPT` newest (``made`` is one of them);
        another process may be deleting them too."""

        def age(folder: Path) -> tuple[bool, float]:
            try:
                return folder == made, folder.stat().st_mtime
            except OSError:
                return False, 0.0

        for folder in sorted(self.folder.iterdir(), key=age, reverse=True)[KEPT:]:
            shutil.rmtree(folder, ignore_errors=True)
