"""The derived word sets are cached beside the index, read back while their inputs are unchanged, derived again
when any input changes, and never trusted when unreadable."""

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.embedding import resolve_model
from bot.index import Index
from bot.rules import load_rules
from bot.vocabularies import CACHE, derive, load_or_derive


@pytest.fixture
def folder(real_index_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(real_index_dir, copy)
    (copy / CACHE).unlink(missing_ok=True)
    return copy


def _tamper(path: Path) -> None:
    """Keep the key, change the content: what comes back then shows whether the cache was read."""
    raw = json.loads(path.read_text())
    raw["domain"] = ["tampered"]
    path.write_text(json.dumps(raw))


def test_the_cache_holds_what_derivation_gives_and_is_read_back(folder: Path) -> None:
    index, rules, model = Index.load(folder), load_rules(), resolve_model(None)
    first = load_or_derive(folder, index, rules, model)
    assert (folder / CACHE).is_file()
    assert first == derive(index, rules, model)
    assert "backlog" in first.domain and "backlog" in first.known and "the" in first.wordpiece
    _tamper(folder / CACHE)
    assert load_or_derive(folder, index, rules, model).domain == {"tampered"}


def test_changed_rules_derive_the_sets_again(folder: Path) -> None:
    index, rules, model = Index.load(folder), load_rules(), resolve_model(None)
    load_or_derive(folder, index, rules, model)
    _tamper(folder / CACHE)
    edited = replace(rules, digest="another rules file")
    assert load_or_derive(folder, index, edited, model) == derive(index, rules, model)
    assert load_or_derive(folder, index, edited, model).domain != {"tampered"}  # and re-cached under the new key


def test_a_changed_model_vocabulary_derives_the_sets_again(folder: Path, tmp_path: Path) -> None:
    index, rules = Index.load(folder), load_rules()
    model = tmp_path / "model"
    model.mkdir()
    (model / "vocab.txt").write_text("[PAD]\nbacklog\nzebra\n")
    assert load_or_derive(folder, index, rules, model).wordpiece == {"backlog", "zebra"}
    (model / "vocab.txt").write_text("[PAD]\nbacklog\nzebra\nquokka\n")
    assert load_or_derive(folder, index, rules, model).wordpiece == {"backlog", "zebra", "quokka"}


def test_an_unreadable_cache_is_derived_again_with_a_warning(folder: Path, caplog) -> None:
    index, rules, model = Index.load(folder), load_rules(), resolve_model(None)
    (folder / CACHE).write_text("{not json")
    assert load_or_derive(folder, index, rules, model) == derive(index, rules, model)
    assert "unreadable" in caplog.text
    assert json.loads((folder / CACHE).read_text())["domain"]  # replaced by a good one
