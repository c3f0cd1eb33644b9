"""The naive reference: a 20-line Flask + pyoxigraph SPARQL endpoint, served by granian like genai-kg.

What any Python web app over pyoxigraph costs per request, with nothing of genai-kg's (no budget, no
worker processes, no negotiation, no validators, no access log): the ceiling for genai-kg's look-ups.
``BENCH_NAIVE_STORE`` names the store, opened read-only; its default graph is read as Oxigraph's server reads
it::

    BENCH_NAIVE_STORE=S granian --interface wsgi --factory --workers 2 bench.naive:create_app
"""

from __future__ import annotations

import os

import pyoxigraph
from flask import Flask, Response, request


def create_app() -> Flask:
    store = pyoxigraph.Store.read_only(os.environ["BENCH_NAIVE_STORE"])
    app = Flask(__name__)

    @app.route("/sparql", methods=["GET", "POST"])
    def sparql() -> Response:
        results = store.query(request.values["query"])
        body = results.serialize(format=pyoxigraph.QueryResultsFormat.JSON)  # type: ignore[union-attr]
        return Response(body, mimetype="application/sparql-results+json")

    return app
