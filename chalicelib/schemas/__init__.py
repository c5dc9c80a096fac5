"""Pydantic request/response models: the public contract (rendered into /openapi.json)."""
