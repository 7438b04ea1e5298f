"""Renderers: Answer in, payload out, no I/O."""
