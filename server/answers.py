"""A work's streamed answer as an HTTP response: its chunks, and its media type said once."""

from __future__ import annotations

from flask import Response

from graph.querying.work import Answer


def streamed(answer: Answer) -> Response:
    """The answer's chunks with its media type; a type that names its charset already keeps it as it is
    (Werkzeug would add a second ``charset`` to ``text/csv; charset=utf-8``)."""
    media_type = answer.media_type or "application/octet-stream"
    if ";" in media_type:
        return Response(answer.chunks, content_type=media_type)
    return Response(answer.chunks, mimetype=media_type)
