"""Operational endpoints: liveness/readiness at ``/health`` and Prometheus metrics at ``/metrics``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from graph import KnowledgeGraph
from graph.backend import Dataset
from graph.querying.work import Call

from .config import Config
from .context import SERVICE, get_config, get_graph, get_service

bp = Blueprint("ops", __name__)
#: Where ``init_app`` keeps the app's :class:`Metrics`.
METRICS = "genai_kg_metrics"


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
        #: When the quads were last counted on a remote engine (monotonic clock).
        self.counted_at: float | None = None


#: A remote engine counts its quads at most this often: every scrape would be a full scan of the engine.
REMOTE_COUNT_SECONDS = 60.0


#: The query service's figures (``QueryService.stats()``): key, metric name, help text.
SERVICE_GAUGES = (
    ("admitted", "genai_kg_queries_admitted", "Requests' works running or waiting for a worker"),
    ("workers", "genai_kg_query_workers", "Query worker processes running"),
    ("busy", "genai_kg_query_workers_busy", "Query workers running a work"),
    ("long", "genai_kg_query_workers_long", "Query workers running a work past the long-work threshold"),
)
SERVICE_COUNTERS = (
    ("total", "genai_kg_queries", "Works admitted (queries, pages, Graph Store reads, inference, …)"),
    ("timeouts", "genai_kg_query_timeouts", "Works stopped at their time budget"),
    ("out_of_memory", "genai_kg_queries_out_of_memory", "Works stopped at the memory a query worker may use"),
    ("refused", "genai_kg_queries_refused", "Works refused because too many ran at once"),
    ("refused_client", "genai_kg_queries_refused_client", "Works refused because their client had its share running"),
    ("replaced", "genai_kg_query_workers_replaced", "Query workers killed and replaced"),
    ("long_stopped", "genai_kg_queries_stopped_long", "Long works stopped to keep a worker for short ones"),
    ("long_refused", "genai_kg_queries_refused_long", "Works stopped long before and sent again, refused at once"),
    (
        "probation_stopped",
        "genai_kg_queries_stopped_probation",
        "Works stopped early because their client's long work was stopped while the long lane was full",
    ),
    (
        "probation_refused",
        "genai_kg_queries_refused_probation",
        "Works refused at once because their client's work was stopped early a moment before",
    ),
    ("warm_ups", "genai_kg_builds_warm_ups", "Whole-store builds made again after writes, before anybody asked"),
)


class QueryServiceCollector:
    """The query service's figures, read at scrape time."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        figures = self.app.extensions[SERVICE].stats()
        for key, name, help_text in SERVICE_GAUGES:
            yield GaugeMetricFamily(name, help_text, value=figures.get(key, 0))
        for key, name, help_text in SERVICE_COUNTERS:
            yield CounterMetricFamily(name, help_text, value=figures.get(key, 0))


def check_engine(kg: KnowledgeGraph) -> None:
    """Over a remote engine, ask it one trivial query (raises :class:`graph.errors.Unavailable` when it cannot
    be reached); nothing to check on an embedded store."""
    if kg.backend.shared:
        kg.backend.query("ASK {}", Dataset(), substitutions=None, base_iri=None)


def health_report(kg: KnowledgeGraph, config: Config) -> dict[str, object]:
    """What ``/health`` answers once the store is known to answer: cheap on any store size (counting quads is
    O(n): ``/metrics`` reports the count)."""
    return {"status": "ok", "read_only": config.read_only, "store": kg.backend.location}


@bp.get("/health")
def health() -> Response:
    """Liveness and readiness. The front (``server/front.py``) answers it without a thread; this view serves
    the app when it runs without the front (tests, other WSGI servers)."""
    kg = get_graph()
    check_engine(kg)
    return jsonify(health_report(kg, get_config()))


@bp.get("/metrics")
def metrics() -> Response:
    state: Metrics = current_app.extensions[METRICS]
    kg, now = get_graph(), time.monotonic()
    if not kg.backend.shared or state.counted_at is None or now - state.counted_at > REMOTE_COUNT_SECONDS:
        state.quads.set(get_service().value(Call(KnowledgeGraph.__len__, kind="stats"), cached=True))
        state.counted_at = now
    return Response(generate_latest(state.registry), content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    state = Metrics()
    state.registry.register(QueryServiceCollector(app))
    app.extensions[METRICS] = state

    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    # The labelled series, looked up once each: ``labels()`` takes a lock and checks its arguments every call.
    # Bounded: one per URL rule and status.
    counters: dict[tuple[str, int], Any] = {}
    timers: dict[str, Any] = {}

    @app.after_request
    def _count(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        key = (endpoint, response.status_code)
        counter = counters.get(key)
        if counter is None:
            counter = counters[key] = state.requests.labels(endpoint, str(response.status_code))
        timer = timers.get(endpoint)
        if timer is None:
            timer = timers[endpoint] = state.latency.labels(endpoint)
        counter.inc()
        timer.observe(time.perf_counter() - g.get("started", time.perf_counter()))
        return response

    app.register_blueprint(bp)
