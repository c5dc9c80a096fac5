"""Import a module on first use: keeps the store, PynamoDB and botocore out of cold start.

Route modules are imported when app.py builds the routing table, but most of what a
handler calls (services, store, the SDK) is only needed once a request arrives::

    if TYPE_CHECKING:
        from chalicelib.services import bookings
    else:
        bookings = lazy_import("chalicelib.services.bookings")

mypy sees the real module; at run time the name is a stand-in that imports the module on
its first attribute access and forwards every access to it afterwards.

Not ``importlib.util.LazyLoader``: before Python 3.12.3 it is not thread-safe. A second
thread touching the module while the first one was still executing it saw a half-run module
(``AttributeError``), which ``chalice local``'s threads and the concurrency tests hit. The
stand-in goes through the normal import, whose per-module lock makes other threads wait.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any


class _Deferred(ModuleType):
    """Stands in for a module that is imported when first used."""

    def _module(self) -> ModuleType:
        loaded = self.__dict__.get("_loaded")
        if loaded is None:
            loaded = importlib.import_module(self.__name__)
            self.__dict__["_loaded"] = loaded
        return loaded

    def __getattr__(self, attr: str) -> Any:  # only for names the stand-in itself lacks
        return getattr(self._module(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:  # e.g. a test's monkeypatch
        setattr(self._module(), attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(self._module(), attr)


def lazy_import(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    if importlib.util.find_spec(name) is None:  # fail at import time, not at the first request
        raise ModuleNotFoundError(name)
    return _Deferred(name)
