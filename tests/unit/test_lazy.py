"""lazy_import defers a module's execution to its first attribute access."""

import sys
import textwrap

from chalicelib.lazy import lazy_import


def test_module_runs_only_when_first_used(tmp_path, monkeypatch):
    # Given a module that records when it executes
    (tmp_path / "lazy_probe_pkg").mkdir()
    (tmp_path / "lazy_probe_pkg" / "__init__.py").write_text("")
    (tmp_path / "lazy_probe_pkg" / "probe.py").write_text(
        textwrap.dedent("""
        import builtins
        builtins.lazy_probe_ran = True
        VALUE = 42
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import builtins

    builtins.lazy_probe_ran = False
    try:
        # When it is lazily imported, it has not run yet
        module = lazy_import("lazy_probe_pkg.probe")
        assert builtins.lazy_probe_ran is False
        # Then the first attribute access runs it, and a normal import sees the same module:
        # what is changed through one is seen through the other
        assert module.VALUE == 42 and builtins.lazy_probe_ran is True
        from lazy_probe_pkg import probe

        module.VALUE = 43
        assert probe.VALUE == 43
        del module.VALUE
        assert not hasattr(probe, "VALUE")
    finally:
        for name in ("lazy_probe_pkg.probe", "lazy_probe_pkg"):
            sys.modules.pop(name, None)
        del builtins.lazy_probe_ran


def test_threads_that_touch_it_first_together_all_see_the_whole_module(tmp_path, monkeypatch):
    # Given a module whose body takes a while (as a services module that imports the store)
    (tmp_path / "lazy_slow_probe.py").write_text("import time\ntime.sleep(0.2)\nVALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = lazy_import("lazy_slow_probe")
    # When eight threads read from it at the same moment, before it was ever run
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    barrier = Barrier(8)

    def read() -> object:
        barrier.wait()
        try:
            return module.VALUE
        except AttributeError as exc:  # a half-run module
            return exc

    try:
        with ThreadPoolExecutor(8) as pool:
            seen = list(pool.map(lambda _: read(), range(8)))
        # Then every thread waited for the module to finish and read its value
        assert seen == [42] * 8
    finally:
        sys.modules.pop("lazy_slow_probe", None)


def test_an_unknown_module_is_refused_at_once():
    import pytest

    with pytest.raises(ModuleNotFoundError):
        lazy_import("chalicelib.no_such_module")


def test_an_already_imported_module_is_returned_as_is():
    import json

    assert lazy_import("json") is json


def test_importing_the_app_loads_no_models_store_or_sdk():
    """Every Lambda function imports app.py: it must not pay for pydantic models, the store or
    botocore's client it may never use (bench/cold_start.py measures the time)."""
    import subprocess

    # Given a fresh interpreter, as a new Lambda execution environment
    probe = (
        "import sys, app; "
        "heavy = ('pydantic', 'pydantic_core', 'pynamodb', 'boto3', 'botocore.client'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))"
    )
    # When it imports the app
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)  # noqa: S603
    # Then none of them is loaded
    assert out.stdout.strip() == "[]", out.stdout


def test_a_handler_annotation_that_is_not_a_model_is_refused():
    from chalicelib.api.routing import RequestContext, contract

    def handler(ctx: RequestContext, body: dict) -> None:  # type: ignore[type-arg]
        raise AssertionError("never called")

    # When the contract is resolved, the wrong annotation is named
    try:
        contract(handler)
    except TypeError as exc:
        assert "body must be a pydantic model" in str(exc)
    else:
        raise AssertionError("a dict body was accepted")
