"""The service's settings: built from CLI options or the environment, never read at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from graph.engine_client import Endpoints


@dataclass(frozen=True)
class Config:
    """Everything ``create_app`` needs to build a service.

    ``store`` is a folder for an on-disk store, or None for an in-memory one that is loaded with the
    shipped knowledge graph at start-up. ``token`` guards writes; with no token, writes are refused.
    """

    store: Path | None = Path("var/store")
    read_only: bool = False
    query_timeout: float = 30.0
    token: str | None = None
    base_url: str | None = None
    cors_origins: tuple[str, ...] = ("*",)
    max_body_bytes: int = 64 * 1024 * 1024
    max_query_length: int = 1024 * 1024
    #: Worker processes that evaluate queries (0: in the request thread, and timeouts cannot stop a query).
    query_workers: int = field(default_factory=lambda: default_query_workers())
    #: Queries admitted at once (running or waiting for a worker); beyond it, 503. None: 8 per worker.
    max_queries: int | None = None
    #: A remote SPARQL 1.1 engine to use instead of ``store``: its query, update and Graph Store URLs.
    sparql_endpoint: str | None = None
    sparql_update_endpoint: str | None = None
    store_endpoint: str | None = None
    #: How to pass the query budget on to the engine, e.g. ``timeout={milliseconds}`` (see ``Endpoints``).
    sparql_timeout_parameter: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> Config:
        """Settings from ``GENAI_KG_*`` variables, then ``overrides`` (CLI options) on top."""
        env = os.environ
        config = cls(
            store=None if env.get("GENAI_KG_MEMORY") == "1" else Path(env.get("GENAI_KG_STORE", "var/store")),
            read_only=env.get("GENAI_KG_READ_ONLY") == "1",
            query_timeout=float(env.get("GENAI_KG_QUERY_TIMEOUT", "30")),
            query_workers=int(env.get("GENAI_KG_QUERY_WORKERS") or default_query_workers()),
            max_queries=int(env["GENAI_KG_MAX_QUERIES"]) if env.get("GENAI_KG_MAX_QUERIES") else None,
            token=env.get("GENAI_KG_TOKEN") or None,
            base_url=env.get("GENAI_KG_BASE_URL") or None,
            cors_origins=tuple(o for o in env.get("GENAI_KG_CORS_ORIGINS", "*").split(",") if o),
            max_body_bytes=int(env.get("GENAI_KG_MAX_BODY_BYTES") or cls.max_body_bytes),
            max_query_length=int(env.get("GENAI_KG_MAX_QUERY_LENGTH") or cls.max_query_length),
            sparql_endpoint=env.get("GENAI_KG_SPARQL_ENDPOINT") or None,
            sparql_update_endpoint=env.get("GENAI_KG_SPARQL_UPDATE_ENDPOINT") or None,
            store_endpoint=env.get("GENAI_KG_STORE_ENDPOINT") or None,
            sparql_timeout_parameter=env.get("GENAI_KG_SPARQL_TIMEOUT_PARAMETER") or None,
        )
        return replace(config, **overrides)

    def to_env(self) -> dict[str, str]:
        """The variables that make :meth:`from_env` rebuild this config in a server worker process."""
        env = {
            "GENAI_KG_MEMORY": "1" if self.store is None else "0",
            "GENAI_KG_READ_ONLY": "1" if self.read_only else "0",
            "GENAI_KG_QUERY_TIMEOUT": str(self.query_timeout),
            "GENAI_KG_QUERY_WORKERS": str(self.query_workers),
            "GENAI_KG_CORS_ORIGINS": ",".join(self.cors_origins),
            "GENAI_KG_MAX_BODY_BYTES": str(self.max_body_bytes),
            "GENAI_KG_MAX_QUERY_LENGTH": str(self.max_query_length),
        }
        if self.store is not None:
            env["GENAI_KG_STORE"] = str(self.store)
        if self.max_queries is not None:
            env["GENAI_KG_MAX_QUERIES"] = str(self.max_queries)
        if self.token:
            env["GENAI_KG_TOKEN"] = self.token
        if self.base_url:
            env["GENAI_KG_BASE_URL"] = self.base_url
        for name, url in (
            ("GENAI_KG_SPARQL_ENDPOINT", self.sparql_endpoint),
            ("GENAI_KG_SPARQL_UPDATE_ENDPOINT", self.sparql_update_endpoint),
            ("GENAI_KG_STORE_ENDPOINT", self.store_endpoint),
            ("GENAI_KG_SPARQL_TIMEOUT_PARAMETER", self.sparql_timeout_parameter),
        ):
            if url:
                env[name] = url
        return env

    def endpoints(self) -> Endpoints | None:
        """The remote engine's URLs, or None for the embedded store."""
        if self.sparql_endpoint is None:
            return None
        return Endpoints(
            self.sparql_endpoint, self.sparql_update_endpoint, self.store_endpoint, self.sparql_timeout_parameter
        )


def default_query_workers() -> int:
    """One query worker per core, at least 2 (so one runaway query never blocks the rest) and at most 8."""
    return max(2, min(8, os.cpu_count() or 2))
