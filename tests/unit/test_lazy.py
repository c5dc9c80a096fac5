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
        # Then the first attribute access runs it, and a normal import sees the same module
        assert module.VALUE == 42 and builtins.lazy_probe_ran is True
        from lazy_probe_pkg import probe

        assert probe is module
    finally:
        for name in ("lazy_probe_pkg.probe", "lazy_probe_pkg"):
            sys.modules.pop(name, None)
        del builtins.lazy_probe_ran


def test_an_already_imported_module_is_returned_as_is():
    import json

    assert lazy_import("json") is json
