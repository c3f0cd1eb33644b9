"""HTTP validators: every read answer carries an ``ETag`` made from the store's generation and the request
that asked for it, and a client that sends it back in ``If-None-Match`` gets ``304`` before any work runs.

The tag covers everything a representation depends on: the generation (it changes with every committed
write), the method-independent request (path and query string), the headers that choose a variant
(``Accept``, ``Accept-Language``) and where links point (the public base, else the host asked). So an equal tag
means an equal body, and nothing is read to answer a revalidation. Over a remote engine that other processes
also write, a process cannot know the engine's generation without asking, so no tags are given there.
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, g, request

from .context import get_graph, public_url

#: Paths whose answers are not representations of the data (or change on their own).
UNCACHED = ("/health", "/metrics")


def _generation() -> str | None:
    """The generation this GET or HEAD request reads at, None when its answer gets no tag.

    It is taken before any work runs: if a write lands meanwhile, the answer is newer than its tag says,
    and the next revalidation finds the generation moved on — never the other way round.
    """
    if request.method not in ("GET", "HEAD") or request.path.startswith(UNCACHED):
        return None
    kg = get_graph()
    return None if kg.backend.shared else kg.generation


def _tag(generation: str) -> str:
    """The opaque tag of this request's representation at ``generation``."""
    parts = (
        generation,
        request.full_path,
        request.headers.get("Accept", ""),
        request.headers.get("Accept-Language", ""),
        public_url(),
    )
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=12).hexdigest()


def init_app(app: Flask) -> None:
    @app.before_request
    def _not_modified() -> Response | None:
        g.generation = generation = _generation()
        if generation is None or "If-None-Match" not in request.headers:
            return None
        tag = _tag(generation)
        if not request.if_none_match.contains_weak(tag):
            return None
        response = Response(status=304)
        response.set_etag(tag, weak=True)
        response.vary.add("Accept")
        return response

    @app.after_request
    def _tagged(response: Response) -> Response:
        generation = g.get("generation")
        if generation is not None and response.status_code == 200 and "ETag" not in response.headers:
            response.set_etag(_tag(generation), weak=True)
            response.headers.setdefault("Cache-Control", "no-cache")  # keep it, but ask before reusing it
        return response
