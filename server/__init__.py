"""genai-kg's HTTP service: a Flask app that maps HTTP onto ``graph`` and back."""

from .app import create_app
from .config import Config

__all__ = ["Config", "create_app"]
