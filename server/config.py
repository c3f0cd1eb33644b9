"""The service's settings, each written once: a field of :class:`Config`.

From a field come its environment variable (``GENAI_KG_`` and the field's name in capitals), its command-line
option (``--`` and the name with hyphens), how its text is read, and its line in ``docs/settings.md`` (a test
fails when one is missing). Settings are never read at import time: ``Config.from_env()`` reads them when an
app is built.

>>> env_name(setting_fields()["query_timeout"])
'GENAI_KG_QUERY_TIMEOUT'
>>> Config.from_env({"GENAI_KG_STORE": "memory", "GENAI_KG_READ_ONLY": "true"}).store is None
True
"""

from __future__ import annotations

import math
import os
import typing
from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from graph.engine_client import Endpoints
from graph.inference.bulk import BulkThresholds
from graph.input_limits import InputLimits
from graph.named_queries import QUERIES_DIR
from graph.outbound import OutboundPolicy

PREFIX = "GENAI_KG_"
#: How an in-memory store is written where a folder is expected (``GENAI_KG_STORE=memory``).
MEMORY = "memory"
#: The shortest duration a time setting takes: a timeout of 0 or less would refuse everything, or nothing.
MIN_SECONDS = 0.001


def default_query_workers() -> int:
    """One query worker per core, at least 2 (so one runaway query never blocks the rest) and at most 8."""
    return max(2, min(8, os.cpu_count() or 2))


def setting(
    default: Any = MISSING,
    *,
    help: str,
    factory: Any = MISSING,
    cli: bool = True,
    location: bool = False,
    separator: str | None = None,
    shown: str | None = None,
    minimum: float | None = None,
) -> Any:
    """A field of :class:`Config`: ``help`` for the option and the docs; ``cli`` False keeps it off command
    lines (secrets); ``location`` marks where the graph lives (every command takes those); ``separator``
    splits a list's text; ``shown`` is the default as the docs and ``--help`` say it; ``minimum`` is the
    least number it takes (a count, or a duration in seconds)."""
    metadata = {
        "help": help,
        "cli": cli,
        "location": location,
        "separator": separator,
        "shown": shown,
        "minimum": minimum,
    }
    if factory is not MISSING:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Config:
    """Everything ``create_app`` and the command line need; every field is one setting."""

    store: Path | None = setting(
        Path("var/store"),
        help="Folder of the on-disk store, created and loaded with the shipped graph when missing; "
        "'memory' for an in-memory store loaded at start-up.",
        location=True,
    )
    sparql_endpoint: str | None = setting(
        None, help="Use this remote SPARQL 1.1 engine's query URL instead of a store folder.", location=True
    )
    sparql_update_endpoint: str | None = setting(
        None, help="The engine's SPARQL Update URL (default: the query URL).", location=True
    )
    store_endpoint: str | None = setting(
        None,
        help="The engine's Graph Store Protocol URL, for bulk loads (default: INSERT DATA batches).",
        location=True,
    )
    sparql_timeout_parameter: str | None = setting(
        None,
        help="Pass each query's budget on to the engine, as NAME={seconds} or NAME={milliseconds} "
        "(e.g. timeout={milliseconds} for Virtuoso).",
    )
    host: str = setting("127.0.0.1", help="Address to listen on.")
    port: int = setting(8000, help="Port to listen on.")
    threads: int = setting(8, help="Threads that run the app; bodies are read before, without a thread.", minimum=1)
    request_timeout: float = setting(
        10.0,
        help="Seconds a client has to send its request's headers, and as many again for its body (408).",
        minimum=MIN_SECONDS,
    )
    send_timeout: float = setting(
        30.0,
        help="Seconds a client may leave its answer unread before the server gives up on it.",
        minimum=MIN_SECONDS,
    )
    shutdown_timeout: int = setting(
        30,
        help="Seconds the answers in flight get when the server is asked to stop (SIGTERM, SIGINT); then it stops "
        "anyway.",
        minimum=1,
    )
    access_log: bool = setting(True, help="One line per request on standard error (see docs/deploy.md).")
    read_only: bool = setting(False, help="Refuse every write (403).")
    query_timeout: float = setting(
        30.0, help="Seconds of work a request may cause (queries, updates, pages).", minimum=MIN_SECONDS
    )
    query_workers: int = setting(
        factory=default_query_workers,
        help="Processes that evaluate queries and are killed at the budget (0: in the request thread).",
        shown="one per core, 2 to 8",
        minimum=0,
    )
    query_memory: int | None = setting(
        None,
        help="MiB of data each query worker may hold; a work that needs more is stopped (503).",
        shown="half the machine's memory, shared among the workers",
        minimum=128,
    )
    max_queries: int | None = setting(
        None, help="Queries admitted at once before 503.", shown="8 per worker; 64 on a remote engine", minimum=1
    )
    max_client_queries: int | None = setting(
        None,
        help="Queries one client (one address: a reverse proxy's own, behind one) may have admitted at once "
        "before 503, so that one client cannot take every place.",
        shown="half of --max-queries",
        minimum=1,
    )
    builds_folder: Path | None = setting(
        None,
        help="Folder where what the pages, search and reconciliation build over the whole store is kept per "
        "generation, for every process on the store and after a restart (several servers in front of one engine "
        "may share one).",
        shown="STORE.builds beside an on-disk store; over a remote engine, one folder per engine in "
        "$XDG_CACHE_HOME/genai-kg/builds/",
    )
    token: str | None = setting(None, help="Bearer token that writes must carry; none: writes are refused.", cli=False)
    base_url: str | None = setting(
        None, help="Public base URL that replaces http://HOST:PORT in pages and descriptions.", shown="the request's"
    )
    cors_origins: tuple[str, ...] = setting(("*",), help="Origins allowed by CORS, comma-separated.", separator=",")
    max_body_bytes: int = setting(64 * 1024 * 1024, help="Largest request body, in bytes.", minimum=1)
    max_query_length: int = setting(1024 * 1024, help="Longest query or update, in characters.", minimum=1)
    max_write_quads: int = setting(
        1_000_000,
        help="Most quads one update may remove and add together (413 beyond, nothing written).",
        minimum=1,
    )
    bulk_reasoning_quads: int = setting(
        BulkThresholds.reasoning_quads,
        help="A write changing more triples than this, or a closure from scratch of a store holding this many "
        "quads, is reasoned over in memory in a child process instead of as queries in the store, and so is a "
        "change of the ontology that would over-delete or newly derive more (docs/inference.md); every command "
        "that writes reads it.",
        minimum=0,
    )
    bulk_retraction_share: float = setting(
        BulkThresholds.retraction_share,
        help="So is a write retracting more than this share of the store's quads (and more than 500 triples).",
        minimum=0,
    )
    max_nesting_depth: int = setting(
        100,
        help="Deepest nesting of a query, an update or an RDF body (brackets and groups, JSON-LD objects and "
        "arrays, XML elements), checked before parsing (400).",
        minimum=1,
    )
    max_literal_bytes: int = setting(
        1024 * 1024,
        help="Longest literal or IRI in an RDF body, in bytes, checked before parsing (413).",
        minimum=1,
    )
    allowed_endpoints: tuple[str, ...] = setting(
        (),
        help="URL prefixes that SERVICE and LOAD may call, space-separated; none by default.",
        separator=" ",
        shown="none",
    )
    queries_dir: Path = setting(QUERIES_DIR, help="Folder of the named queries (*.rq).", shown="queries/")

    def __post_init__(self) -> None:
        """A number below its least value (no thread, no query at once, a timeout of 0) or not finite is
        refused, naming its setting."""
        for name, f in setting_fields().items():
            least, value = f.metadata["minimum"], getattr(self, name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{env_name(f)} / {option_name(f)}: a finite number, not {value}")
            if least is not None and value is not None and value < least:
                raise ValueError(f"{env_name(f)} / {option_name(f)}: at least {least}, not {value}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
        """Settings from ``GENAI_KG_*`` variables, then ``overrides`` (command-line options) on top."""
        environ = os.environ if environ is None else environ
        values = {}
        for name, f in setting_fields().items():
            text = environ.get(env_name(f))
            if text is not None and (text != "" or _kind(f) is str):
                values[name] = read(f, text)
        return replace(cls(**values), **overrides)

    def to_env(self) -> dict[str, str]:
        """The variables that make :meth:`from_env` rebuild this config (in a server's worker process)."""
        return {env_name(f): write(f, getattr(self, name)) for name, f in setting_fields().items()}

    def endpoints(self) -> Endpoints | None:
        """The remote engine's URLs, or None for the embedded store."""
        if self.sparql_endpoint is None:
            return None
        return Endpoints(
            self.sparql_endpoint, self.sparql_update_endpoint, self.store_endpoint, self.sparql_timeout_parameter
        )

    def bulk_thresholds(self) -> BulkThresholds:
        """When a write is reasoned over through the bulk path."""
        return BulkThresholds(self.bulk_reasoning_quads, self.bulk_retraction_share)

    def input_limits(self) -> InputLimits:
        """How deeply queries, updates and RDF bodies may nest, and how long their literals may be."""
        return InputLimits(self.max_nesting_depth, self.max_literal_bytes)

    def outbound(self) -> OutboundPolicy:
        """The endpoints ``SERVICE`` and ``LOAD`` may call."""
        return OutboundPolicy(self.allowed_endpoints)


def setting_fields() -> dict[str, Field[Any]]:
    """Every setting by field name, in the order the docs list them."""
    return {f.name: f for f in fields(Config)}


def env_name(f: Field[Any]) -> str:
    return PREFIX + f.name.upper()


def option_name(f: Field[Any]) -> str:
    return "--" + f.name.replace("_", "-")


def _kind(f: Field[Any]) -> Any:
    """The field's type without ``None``: bool, int, float, str, Path or tuple."""
    hint = typing.get_type_hints(Config)[f.name]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is tuple:
        return tuple
    return args[0] if args else hint


def read(f: Field[Any], text: str) -> Any:
    """A setting's value from its text (an environment variable or an option); ValueError names the setting."""
    kind = _kind(f)
    try:
        if kind is bool:
            lowered = text.strip().lower()
            if lowered not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ValueError(f"expected true or false, not {text!r}")
            return lowered in ("1", "true", "yes", "on")
        if kind is tuple:
            return tuple(part.strip() for part in text.split(f.metadata["separator"]) if part.strip())
        if kind is Path:
            return None if f.name == "store" and text == MEMORY else Path(text)
        if kind is str:
            return text or None
        return kind(text)
    except ValueError as error:
        raise ValueError(f"{env_name(f)} / {option_name(f)}: {error}") from None


def write(f: Field[Any], value: Any) -> str:
    """A setting's value as the text :func:`read` takes back."""
    if value is None:
        return MEMORY if f.name == "store" else ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return str(f.metadata["separator"]).join(value)
    return str(value)
