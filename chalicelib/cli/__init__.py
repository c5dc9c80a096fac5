"""Operator command-line tools (``python -m chalicelib.cli.<tool>``): wiring, top layer."""
