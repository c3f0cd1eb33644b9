"""Benchmarks of genai-kg side by side with its peers: run ``python -m bench.run`` (or ``make bench``)."""
