"""Models that do not fit a judge, or cannot be loaded, are one clear user error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from judge.metrics.base import Example, MetricError
from judge.metrics.nli import NLI, NLIParams
from judge.metrics.toxicity import Toxicity, ToxicityParams
from judge.models.locate import resolve

pytestmark = pytest.mark.model


def test_an_encoder_is_not_a_classifier(minilm_path: Path) -> None:
    model = {"model": resolve(str(minilm_path), base_dir=Path.cwd())}
    with pytest.raises(
        MetricError, match=r"nli needs a sequence-classification model .* BertModel"
    ):
        NLI(params=NLIParams(model=str(minilm_path)), models=model)
    with pytest.raises(MetricError, match="toxicity needs a sequence-classification model"):
        Toxicity(params=ToxicityParams(model=str(minilm_path)), models=model)


def test_a_folder_without_weights_says_what_to_check(tiny_nli: Path, tmp_path: Path) -> None:
    broken = shutil.copytree(tiny_nli, tmp_path / "broken")
    (broken / "model.safetensors").unlink()
    metric = NLI(
        params=NLIParams(model=str(broken)),
        models={"model": resolve(str(broken), base_dir=tmp_path)},
    )
    with pytest.raises(MetricError, match=r"cannot load the model of model '.*broken' from .*: "):
        metric.score(examples=[Example(output="a.", source="b.")])


def test_code_shipped_with_a_model_never_runs_unasked(tiny_nli: Path, tmp_path: Path) -> None:
    custom = shutil.copytree(tiny_nli, tmp_path / "custom")
    config = json.loads((custom / "config.json").read_text())
    config["model_type"] = "judge-custom-model"
    config["auto_map"] = {"AutoConfig": "modeling.CustomConfig"}
    (custom / "config.json").write_text(json.dumps(config))
    (custom / "modeling.py").write_text("raise SystemExit('this code must not run')\n")
    metric = NLI(
        params=NLIParams(model=str(custom)),
        models={"model": resolve(str(custom), base_dir=tmp_path)},
    )
    with pytest.raises(MetricError, match=r"needs its own code .* params\.trust_remote_code: true"):
        metric.score(examples=[Example(output="a.", source="b.")])
