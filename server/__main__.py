"""``python -m server`` runs the ``genai-kg`` command line."""

from .cli import main

main()
