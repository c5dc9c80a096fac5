"""docs/data-model.md is generated from the models and the manifest, and stays true."""

from __future__ import annotations

import inspect

from chalicelib.cli import data_model


def test_the_page_is_current():
    # Given the code as it is, When the page is rendered, Then it equals the committed one
    assert data_model.DOC_PATH.read_text() == data_model.render(), "run python -m chalicelib.cli.data_model"


def test_every_entity_has_a_shape_and_every_shape_an_entity():
    names = {model.__name__ for model in data_model.models()}
    assert names == set(data_model.SHAPES)


def test_each_key_prefix_is_written_by_its_module():
    # The literal part of each PK/SK shape (before the first placeholder) appears in the
    # module that defines the entity, so a changed key cannot leave the page behind unnoticed.
    for model in data_model.models():
        shape = data_model.SHAPES[model.__name__]
        source = inspect.getsource(inspect.getmodule(model))  # type: ignore[arg-type]
        for pattern in (shape.pk, shape.sk):
            for alternative in pattern.split(" / "):
                literal = alternative.split("<", 1)[0]
                if literal:
                    assert literal in source, f"{model.__name__}: {literal!r} not in {model.__module__}"
