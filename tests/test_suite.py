from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from judge.errors import UserError
from judge.suite import load_suite


def test_loads_a_suite_with_everything_it_names(make_suite: Callable[..., Path]) -> None:
    path = make_suite(
        metrics=["rouge", {"name": "exact_match", "as": "em", "params": {"ignore_case": False}}],
        gates=["rouge.rouge1 >= 0.1", {"metric": "em", "baseline": "good", "max_drop": 0.5}],
    )
    suite = load_suite(path)
    assert suite.systems == ["good", "bad"]
    assert len(suite.items) == 6
    assert suite.score_names() == ["rouge.rouge1", "rouge.rouge2", "rouge.rougeL", "em"]
    assert suite.metrics[1].params.model_dump() == {
        "ignore_case": False,
        "ignore_punctuation": True,
        "collapse_whitespace": True,
    }
    assert len(suite.gates) == 2


def _error(path: Path) -> str:
    with pytest.raises(UserError) as err:
        load_suite(path)
    return str(err.value)


def test_bad_param_type_names_yaml_path_and_line(make_suite: Callable[..., Path]) -> None:
    path = make_suite(metrics=[{"name": "chrf", "params": {"char_order": "six"}}])
    message = _error(path)
    line = next(
        n for n, text in enumerate(path.read_text().splitlines(), 1) if "char_order" in text
    )
    assert message.startswith(f"{path}:{line}: metrics[0].params.char_order: ")
    assert "integer" in message
