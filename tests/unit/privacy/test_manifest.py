"""DATA-8: every persisted attribute is classified; the notice is generated from the manifest."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import chalicelib.store
from chalicelib.privacy import manifest as manifest_module
from chalicelib.privacy import notice
from chalicelib.privacy.manifest import Manifest, ManifestError, parse, unclassified
from chalicelib.store.table import TableItem


def _store_models() -> list[type[TableItem]]:
    """Every TableItem subclass defined in chalicelib.store (test-only models excluded)."""
    for module in pkgutil.walk_packages(chalicelib.store.__path__, "chalicelib.store."):
        importlib.import_module(module.name)
    found: list[type[TableItem]] = []
    pending = list(TableItem.__subclasses__())
    while pending:
        model = pending.pop()
        pending += model.__subclasses__()
        if model.__module__.startswith("chalicelib.store."):
            found.append(model)
    return sorted(found, key=lambda m: m.__name__)


def test_every_model_attribute_is_classified():
    # proves: DATA-8
    # Given every model the store defines
    models = _store_models()
    assert models, "no TableItem subclasses found"
    # When they are checked against the manifest
    missing = unclassified(models, parse())
    # Then every attribute has a classification
    assert not missing, (
        "Unclassified attributes (add them to chalicelib/privacy/manifest/<Class>.toml, "
        "format in its README.md): " + ", ".join(missing)
    )


def test_the_manifest_files_are_valid():
    # proves: DATA-8
    # Given the manifest files (categories, legal bases, retention rule names)
    parsed = parse()
    # Then none has a problem
    assert not parsed.problems, "\n".join(parsed.problems)


def test_no_manifest_file_describes_a_model_that_does_not_exist():
    names = {model.__name__ for model in _store_models()}
    stale = sorted(set(parse().entities) - names)
    assert not stale, f"manifest files without a model in chalicelib/store: {stale}"


def _write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text)


@pytest.fixture
def scratch_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of _base.toml and _retention.toml in a scratch directory."""
    for name in ("_base.toml", "_retention.toml"):
        _write(tmp_path, name, (manifest_module.DIRECTORY / name).read_text())
    monkeypatch.setattr(manifest_module, "DIRECTORY", tmp_path)
    return tmp_path


def test_an_unclassified_attribute_fails(scratch_manifest):
    # proves: DATA-8
    # Given a model with an attribute its manifest file does not mention
    from pynamodb.attributes import UnicodeAttribute

    class Gadget(TableItem, discriminator="TestOnlyGadget"):
        colour = UnicodeAttribute()
        owner_name = UnicodeAttribute()

    _write(
        scratch_manifest,
        "Gadget.toml",
        'entity = "Gadget"\ndescription = "d"\nretention = "entity"\n\n[attributes.colour]\n'
        'category = "technical"\npersonal = false\npurpose = "p"\nlegal_basis = "contract"\nrecipients = []\n',
    )
    # When the check runs
    missing = unclassified([Gadget], parse(scratch_manifest))
    # Then it names exactly the missing attribute
    assert missing == ["Gadget.owner_name"]


def test_unknown_retention_rule_or_category_fails(scratch_manifest):
    # proves: DATA-8
    _write(
        scratch_manifest,
        "Widget.toml",
        'entity = "Widget"\ndescription = "d"\nretention = "forever"\n\n[attributes.colour]\n'
        'category = "astrology"\npersonal = "maybe"\npurpose = "p"\nlegal_basis = "whim"\nrecipients = []\n',
    )
    parsed: Manifest = parse(scratch_manifest)
    joined = "\n".join(parsed.problems)
    assert "unknown retention rule 'forever'" in joined
    assert "unknown category 'astrology'" in joined
    assert "unknown legal_basis 'whim'" in joined
    assert "'personal' must be true or false" in joined


def test_load_refuses_a_broken_manifest(scratch_manifest):
    _write(scratch_manifest, "Broken.toml", 'entity = "Broken"\nretention = "nope"\n')
    manifest_module.load.cache_clear()
    try:
        with pytest.raises(ManifestError):
            manifest_module.load()
    finally:
        manifest_module.load.cache_clear()


def test_the_committed_privacy_notice_is_up_to_date():
    # proves: DATA-8
    # Given the manifest as it is now
    expected = notice.render(parse())
    # Then docs/privacy-notice.md is exactly what the generator produces
    assert notice.NOTICE_PATH.read_text() == expected, (
        "docs/privacy-notice.md is stale: run `.venv/bin/python -m chalicelib.privacy.notice`"
    )
