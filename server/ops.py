"""Operational endpoints: liveness/readiness at ``/health`` and Prometheus metrics at ``/metrics``."""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from .knowledge import get_graph

bp = Blueprint("ops", __name__)


class Metrics:
    """The app's own Prometheus registry (one per app, so tests and processes do not share counters)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "genai_kg_requests", "HTTP requests answered", ["endpoint", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "genai_kg_request_seconds", "Time to answer a request", ["endpoint"], registry=self.registry
        )
        self.quads = Gauge("genai_kg_store_quads", "Quads in the store", registry=self.registry)


@bp.get("/health")
def health() -> Response:
    kg = get_graph()
    return jsonify(status="ok", quads=len(kg), read_only=current_app.config["GENAI_KG"].read_only)


@bp.get("/metrics")
def metrics() -> Response:
    state: Metrics = current_app.extensions["genai_kg_metrics"]
    state.quads.set(len(get_graph()))
    return Response(generate_latest(state.registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    state = Metrics()
    app.extensions["genai_kg_metrics"] = state

    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        state.requests.labels(endpoint, str(response.status_code)).inc()
        state.latency.labels(endpoint).observe(time.perf_counter() - g.get("started", time.perf_counter()))
        return response

    app.register_blueprint(bp)
