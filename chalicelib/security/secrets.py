"""Server secrets from settings, refused outside local/test while they still hold the dummy default."""

from __future__ import annotations

from pydantic import SecretStr

from chalicelib.settings import get_settings

_LOCAL_STAGES = frozenset({"local", "test"})
_DUMMY_MARKER = "local-only"


def secret_bytes(value: SecretStr) -> bytes:
    raw = value.get_secret_value()
    if _DUMMY_MARKER in raw and get_settings().stage not in _LOCAL_STAGES:
        # A deployed stage must be configured with real secrets; failing loudly beats signing with a public key.
        raise RuntimeError("a security secret still has its local dummy value; configure it for this stage")
    return raw.encode()
