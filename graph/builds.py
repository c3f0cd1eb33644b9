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

Each file also holds its build's :class:`Recipe` (a function of this package and its arguments), so that the
builds a generation had can be made again for the next one before anybody asks (:func:`warm`, run in a
process of its own by :mod:`graph.querying.warmer` once writes pause).

A pickle runs code when it is read, so a file here is read only when it carries the keyed BLAKE2b digest that
this user's key gives it. The key is kept outside the store (``$XDG_CONFIG_HOME/genai-kg/builds.key``, made on
first use, readable by its owner alone): whoever can write a store's folder, or hands one over, cannot make
the server run code. A file that does not verify, does not read, or cannot be written is built instead; a
store whose folder is read-only is served as before, its builds in memory only.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import hmac
import importlib
import io
import logging
import os
import pickle
import re
import secrets
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .store import KnowledgeGraph

log = logging.getLogger(__name__)

#: The digest in front of each file's pickle.
_DIGEST = 32
#: Generations whose folders are kept: the newest, and the one before it (a worker may still hold it).
KEPT = 2
#: What :meth:`Builds.read` answers when it has nothing to give.
MISSING: Any = object()
#: What reading a signed pickle raises when it was cut short or made by other code (a class moved or changed).
UNREADABLE = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError, IndexError)


F = TypeVar("F", bound=Callable[..., Any])


def reads(key: str) -> Callable[[F], F]:
    """Mark a reading function of ``graph`` as one that reads the build ``key``: a
    :class:`~graph.querying.work.Call` of it names that build, and the pool gives it to a worker that has it."""

    def mark(function: F) -> F:
        function.reads_build = key  # type: ignore[attr-defined]
        return function

    return mark


def read_by(function: Callable[..., Any]) -> str | None:
    """The build a function is marked as reading (:func:`reads`), if any."""
    return getattr(function, "reads_build", None)


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


def engine_folder(endpoint: str) -> Path:
    """Where builds are kept for a remote engine when no folder is set: in this user's cache, one folder per
    engine (its query endpoint), so that the service processes this user runs in front of it on this machine,
    and each of them after a restart, read what one made. Generations are random, so an engine emptied and
    loaded again at the same address never reads an old build."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "genai-kg" / "builds" / hashlib.sha256(endpoint.encode()).hexdigest()[:16]


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


@dataclass(frozen=True)
class Recipe:
    """How a build is made again: its key, and a function of this package called with the store and ``args``."""

    key: str
    module: str
    name: str
    args: tuple[Any, ...]

    @classmethod
    def of(cls, key: str, build: Callable[..., Any], args: tuple[Any, ...]) -> Recipe | None:
        """The recipe of ``build(kg, *args)``; None for a lambda or a local function (kept, never made again)."""
        module, name = getattr(build, "__module__", ""), getattr(build, "__qualname__", "")
        if not module.startswith("graph.") or "<" in name:
            return None
        return cls(key, module, name, args)

    def function(self) -> Callable[..., Any]:
        if not self.module.startswith("graph."):  # signed files only, and even then this package's functions
            raise ValueError(f"a build of another package: {self.module}")
        found: Any = importlib.import_module(self.module)
        for part in self.name.split("."):
            found = getattr(found, part)
        return found


class Builds:
    """The builds folder of one on-disk store."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._failed = False

    def _generation_folder(self, generation: str) -> Path:
        """The folder of a generation: its name, when it is one :func:`~graph.inference.state.publish` gives
        (hexadecimal); else a digest of it (a remote engine's triple is anybody's text: ``../..`` is no name)."""
        if not re.fullmatch(r"[0-9a-f]{1,64}", generation):
            generation = hashlib.sha256(generation.encode()).hexdigest()[:32]
        return self.folder / f"{generation}-{code_fingerprint()}"

    def _file(self, generation: str, key: str) -> Path:
        return self._generation_folder(generation) / f"{hashlib.sha256(key.encode()).hexdigest()}.pickle"

    def has(self, generation: str, key: str) -> bool:
        return self._file(generation, key).exists()

    def _open(self, path: Path) -> io.BytesIO | None:
        """The file's pickles, if it carries this user's digest; None when it is missing or does not verify."""
        secret = _key()
        if secret is None:
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if not hmac.compare_digest(data[:_DIGEST], _digest(secret, data[_DIGEST:])):
            log.warning("%s is not signed with this user's key: built again", path)
            return None
        stream = io.BytesIO(data)
        stream.seek(_DIGEST)
        return stream

    def read(self, generation: str, key: str) -> Any:
        """What was built for ``key`` at ``generation``, or :data:`MISSING`."""
        if not generation:
            return MISSING
        stream = self._open(self._file(generation, key))
        if stream is None:
            return MISSING
        collecting = gc.isenabled()
        gc.disable()  # a build is many small objects and no garbage: collections took 2/3 of reading the matcher
        try:
            pickle.load(stream)  # its recipe
            return pickle.load(stream)
        except UNREADABLE as error:  # signed by us, so cut short or made by other code: built again
            log.warning("a build of %r in %s does not read (%s): built again", key, self.folder, error)
            return MISSING
        finally:
            if collecting:
                gc.enable()

    def recipes(self, generation: str) -> list[Recipe]:
        """The recipes of the builds kept for ``generation``."""
        found = []
        folder = self._generation_folder(generation)
        for path in sorted(folder.glob("*.pickle")) if folder.is_dir() else ():
            stream = self._open(path)
            try:
                recipe = pickle.load(stream) if stream is not None else None
            except UNREADABLE:  # as in read: built again when asked for
                continue
            if isinstance(recipe, Recipe):
                found.append(recipe)
        return found

    def lacks(self, since: str, generation: str) -> bool:
        """Whether ``generation`` lacks a build that ``since`` has (by file name: nothing is read)."""
        names = {path.name for path in self._generation_folder(since).glob("*.pickle")}
        return bool(names - {path.name for path in self._generation_folder(generation).glob("*.pickle")})

    def latest_before(self, generation: str) -> str | None:
        """The newest other generation whose builds this code made."""
        code, own = f"-{code_fingerprint()}", self._generation_folder(generation).name
        try:
            folders = [f for f in self.folder.iterdir() if f.name.endswith(code) and f.name != own]
            folders.sort(key=lambda f: f.stat().st_mtime)
        except OSError:
            return None
        return folders[-1].name.removesuffix(code) if folders else None

    def write(self, generation: str, key: str, value: Any, recipe: Recipe | None = None) -> None:
        """Keep ``value`` for ``key`` at ``generation``; a value that cannot be kept is simply not kept."""
        secret = _key()
        if not generation or secret is None or self._failed:
            return
        path = self._file(generation, key)
        try:
            data = pickle.dumps(recipe, protocol=pickle.HIGHEST_PROTOCOL)
            data += pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as error:  # a lambda, a lock…: only not kept
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


def warm(kg: KnowledgeGraph, since: str) -> None:
    """Make for ``kg``'s generation the builds that generation ``since`` had and this one lacks."""
    builds, generation = kg.builds, kg.generation
    if builds is None:
        return
    for recipe in builds.recipes(since):
        if not builds.has(generation, recipe.key):
            kg.cached(recipe.key, recipe.function(), *recipe.args)
