"""Import a module on first use: keeps the store, PynamoDB and botocore out of cold start.

Route modules are imported when app.py builds the routing table, but most of what a
handler calls (services, store, the SDK) is only needed once a request arrives::

    if TYPE_CHECKING:
        from chalicelib.services import bookings
    else:
        bookings = lazy_import("chalicelib.services.bookings")

mypy sees the real module; at run time the module executes on the first attribute access.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_import(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:  # as a normal import would: package.child is the module
        setattr(sys.modules[parent], child, module)
    return module
