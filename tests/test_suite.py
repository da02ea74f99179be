from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from judge.errors import UserError
from judge.pipeline import evaluate
from judge.suite.load import load_suite


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


def test_missing_model_is_a_user_error(make_suite: Callable[..., Path], tmp_path: Path) -> None:
    """The suite itself is right (validate warns); a run needs the model and stops first."""
    path = make_suite(metrics=[{"name": "similarity", "params": {"model": "./nope"}}])
    suite = load_suite(path)
    (missing,) = suite.missing_models()
    assert "metrics[0].params.model: model './nope' is not available offline" in str(missing)
    assert "looked for a directory at" in str(missing)
    with pytest.raises(UserError) as err:
        evaluate(suite_path=path, out_dir=tmp_path / "out", store_path=tmp_path / "s.db")
    assert str(err.value) == str(missing)
    assert not (tmp_path / "s.db").exists()  # stopped before the store was touched


def test_several_missing_models_are_counted(make_suite: Callable[..., Path]) -> None:
    path = make_suite(
        metrics=[
            {"name": "nli", "params": {"model": "org/absent-nli"}},
            {"name": "toxicity", "params": {"model": "org/absent-toxic"}},
        ]
    )
    with pytest.raises(UserError) as err:
        load_suite(path).require_models()
    assert "model 'org/absent-nli' is not available offline" in str(err.value)
    assert "judge models pull org/absent-nli" in str(err.value)
    assert "(1 more model(s) of the suite are missing too" in str(err.value)


def test_an_nli_model_whose_labels_cannot_be_read(
    make_suite: Callable[..., Path], tmp_path: Path
) -> None:
    from judge.metrics.tiny import build_tiny_nli

    build_tiny_nli(folder=tmp_path / "odd", labels=("LABEL_0", "LABEL_1", "LABEL_2"))
    message = _error(make_suite(metrics=[{"name": "nli", "params": {"model": "odd"}}]))
    assert "metrics[0]: cannot tell what label 'LABEL_0' of model 'odd' means" in message
    ok = make_suite(
        metrics=[
            {
                "name": "nli",
                "params": {
                    "model": "odd",
                    "labels": {
                        "LABEL_0": "entailment",
                        "LABEL_1": "neutral",
                        "LABEL_2": "contradiction",
                    },
                },
            }
        ],
        name="mapped.yaml",
    )
    assert load_suite(ok).score_names() == ["nli.score", "nli.contradiction"]
    assert load_suite(ok).higher_is_better() == {"nli.score": True, "nli.contradiction": False}


def test_labels_and_correction_keys_are_checked(make_suite: Callable[..., Path]) -> None:
    missing = _error(make_suite(extra={"labels": {"file": "nope.csv", "column": "stars"}}))
    assert "labels.file: labels file" in missing and "nope.csv not found" in missing
    typo = _error(make_suite(extra={"labels": {"column": "stars", "positive_form": 4}}))
    assert "unknown key 'positive_form'; did you mean 'positive_from'?" in typo
    assert "correction" in _error(make_suite(extra={"correction": "bonferroni"}))
    suite = load_suite(
        make_suite(gates=["rouge.rouge1 >= 0.1", {"metric": "rouge.rouge2", "min": 0}])
    )
    text = suite.path.read_text().splitlines()
    assert [text[n - 1].strip() for n in suite.gate_lines if n] == [
        "- rouge.rouge1 >= 0.1",
        "- metric: rouge.rouge2",
    ]
