"""genai-kg's HTTP service: a Flask app that maps HTTP onto ``graph`` and back.

``create_app`` and ``Config`` are imported when first asked for: the command line (``server.cli``) is part of
this package, and most of its commands need neither Flask nor the app (importing them took a second).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .config import Config

__all__ = ["Config", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "Config":
        from .config import Config

        return Config
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
