"""The one way views reach the knowledge graph: it lives on the app, opened by ``create_app``."""

from __future__ import annotations

from flask import Flask, current_app

from graph import KnowledgeGraph

EXTENSION = "genai_kg"


def init_app(app: Flask, kg: KnowledgeGraph) -> None:
    app.extensions[EXTENSION] = kg


def get_graph() -> KnowledgeGraph:
    """The knowledge graph of the app handling the current request."""
    kg: KnowledgeGraph = current_app.extensions[EXTENSION]
    return kg
