"""Runnable examples: ``python -m axonite.examples.<name>``."""
