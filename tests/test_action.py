"""The GitHub Action (action.yml, composite), run step by step as a runner would: its shell steps
with bash (``bash --noprofile --norc -eo pipefail``) in a simulated GITHUB_* environment, its
``uses:`` steps (actions/setup-python, actions/cache, actions/upload-artifact) by stubs that keep
caches and artifacts in folders, and the gh CLI by a stub that serves earlier runs' artifacts.
pip is a stub too (it records what would be installed: installing for real is the packaging
test's job)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from conftest import ROOT, write_jsonl

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

GH_STUB = """#!{python}
import argparse, json, shutil, sys
from pathlib import Path

server = Path({server!r})
runs = json.loads((server / "runs.json").read_text()) if (server / "runs.json").exists() else []
parser = argparse.ArgumentParser()
parser.add_argument("group"); parser.add_argument("verb"); parser.add_argument("run", nargs="?")
for flag in ("--repo", "--workflow", "--branch", "--status", "--json", "--jq", "--name", "--dir"):
    parser.add_argument(flag)
parser.add_argument("--limit", type=int)
args = parser.parse_args()
with open(server / "gh.log", "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
if (args.group, args.verb) == ("run", "list"):
    assert (args.json, args.jq, args.status) == ("databaseId", ".[0].databaseId", "success")
    found = [r for r in runs if r["workflow"] == args.workflow and r["branch"] == args.branch
             and r["status"] == args.status and r["repo"] == args.repo]
    if found:
        print(found[-1]["id"])
elif (args.group, args.verb) == ("run", "download"):
    source = server / "artifacts" / args.run / args.name
    if not source.is_dir():
        print(f"no artifact {{args.name}} in run {{args.run}}", file=sys.stderr)
        sys.exit(1)
    shutil.copytree(source, args.dir, dirs_exist_ok=True)
else:
    sys.exit(f"gh stub: unexpected {{sys.argv[1:]}}")
"""

PIP_STUB = """#!/usr/bin/env bash
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "${{@:3}}" >> {log}; exit 0; fi
exec {python} "$@"
"""


@dataclass
class Runner:
    """One job running the action, against a 'server' folder shared by the jobs of a test."""

    server: Path
    workspace: Path
    github: dict[str, str]
    inputs: dict[str, str]
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    saves: list[tuple[str, Path]] = field(default_factory=list)
    used: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)

    def value(self, expr: str) -> str:
        call = re.fullmatch(r"hashFiles\((.+)\)", expr)
        if call:
            files = sorted(self.workspace.glob(self.value(call.group(1))))
            digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
            return digest if files else ""
        parts = expr.split(".")
        if parts[0] == "inputs" and len(parts) == 2:
            return self.inputs[parts[1]]
        if parts[0] in ("github", "runner") and len(parts) == 2:
            return self.github[f"{parts[0]}.{parts[1]}"]
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.outputs.get(parts[1], {}).get(parts[3], "")
        raise AssertionError(f"action.yml uses an expression the test cannot evaluate: {expr}")

    def render(self, text: str) -> str:
        return EXPRESSION.sub(lambda m: self.value(m.group(1)), text)

    def condition(self, text: str) -> bool:
        found = re.fullmatch(r"(\S+)\s*!=\s*''", text.strip())
        assert found, f"action.yml uses a condition the test cannot evaluate: {text}"
        return self.value(found.group(1)) != ""

    def environment(self, step_env: dict[str, str], output: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
        home = self.server.parent / "home"
        env.update(
            HOME=str(home),
            PATH=os.pathsep.join([str(self.server / "bin"), str(Path(sys.executable).parent),
                                  "/usr/bin", "/bin"]),
            GITHUB_ACTIONS="true",
            GITHUB_WORKSPACE=str(self.workspace),
            GITHUB_OUTPUT=str(output),
            GITHUB_STEP_SUMMARY=str(self.server.parent / "step-summary.md"),
            GITHUB_REPOSITORY=self.github["github.repository"],
            GITHUB_WORKFLOW=self.github["github.workflow"],
            GITHUB_REF_NAME=self.github["github.ref_name"],
            GITHUB_HEAD_REF=self.github["github.head_ref"],
            GITHUB_EVENT_NAME=self.github["github.event_name"],
            GITHUB_RUN_ID=self.github["github.run_id"],
            GITHUB_ACTION_PATH=str(ROOT),
            RUNNER_OS="Linux",
            RUNNER_TEMP=str(self.server.parent / "runner-temp"),
        )  # fmt: skip
        env.update({k: self.render(str(v)) for k, v in step_env.items()})
        return env

    def run(self) -> int:
        """Every step in order; a failing step ends the job with its code (then post steps)."""
        code = 0
        for index, step in enumerate(ACTION["runs"]["steps"]):
            if "if" in step and not self.condition(step["if"]):
                continue
            if "uses" in step:
                self.use(step["uses"], {k: self.render(str(v)) for k, v in step["with"].items()})
                continue
            output = self.server.parent / f"output-{index}"
            output.write_text("")
            assert step["shell"] == "bash"
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=self.workspace, env=self.environment(step.get("env", {}), output),
                capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            self.logs.append(f"## {step['name']}\n{done.stdout}{done.stderr}")
            if "id" in step:
                lines = output.read_text().splitlines()
                self.outputs[step["id"]] = dict(line.split("=", 1) for line in lines)
            if done.returncode != 0:
                code = done.returncode
                break
        if code == 0:  # actions/cache saves in its post step, on success
            for key, path in self.saves:
                self.save_cache(key, path)
        self.finish(code)
        return code

    def use(self, action: str, given: dict[str, str]) -> None:
        self.used.append((action, given))
        if action == "actions/setup-python@v5":
            return
        if action == "actions/cache@v4":
            path = Path(given["path"].replace("~", str(self.server.parent / "home"), 1))
            path = path if path.is_absolute() else self.workspace / path
            if not self.restore_cache(given["key"], given.get("restore-keys", ""), path):
                self.saves.append((given["key"], path))
            return
        if action == "actions/upload-artifact@v4":
            source = self.workspace / given["path"]
            target = self.server / "artifacts" / self.github["github.run_id"] / given["name"]
            if source.is_dir():
                shutil.copytree(source, target)
            return
        raise AssertionError(f"no stub for {action}")

    def restore_cache(self, key: str, restore_keys: str, path: Path) -> bool:
        """Restore the exact key, else the newest entry of the first prefix that has one;
        whether the exact key was hit."""
        caches = self.server / "caches"
        saved = sorted(caches.glob("*"), key=lambda p: p.stat().st_mtime) if caches.exists() else []
        names = [p.name for p in saved]
        hit = key if key in names else None
        for prefix in [p.strip() for p in restore_keys.splitlines() if p.strip()]:
            hit = hit or next((n for n in reversed(names) if n.startswith(prefix)), None)
        if hit is not None:
            entry = caches / hit / "content"
            if entry.is_dir():
                shutil.copytree(entry, path, dirs_exist_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(entry, path)
            self.logs.append(f"cache restored from key {hit} into {path}")
        return hit == key

    def save_cache(self, key: str, path: Path) -> None:
        if not path.exists():
            return
        entry = self.server / "caches" / key / "content"
        entry.parent.mkdir(parents=True)
        if path.is_dir():
            shutil.copytree(path, entry)
        else:
            shutil.copy2(path, entry)

    def finish(self, code: int) -> None:
        runs_file = self.server / "runs.json"
        runs = json.loads(runs_file.read_text()) if runs_file.exists() else []
        runs.append(
            {
                "id": self.github["github.run_id"],
                "repo": self.github["github.repository"],
                "workflow": self.github["github.workflow"],
                "branch": self.github["github.head_ref"] or self.github["github.ref_name"],
                "status": "success" if code == 0 else "failure",
            }
        )
        runs_file.write_text(json.dumps(runs))


def make_server(tmp_path: Path) -> Path:
    server = tmp_path / "server"
    (server / "bin").mkdir(parents=True)
    (tmp_path / "home").mkdir()
    (tmp_path / "runner-temp").mkdir()
    gh = server / "bin" / "gh"
    gh.write_text(GH_STUB.format(python=sys.executable, server=str(server)))
    pip = server / "bin" / "python"
    pip.write_text(PIP_STUB.format(log=server / "pip.log", python=sys.executable))
    for stub in (gh, pip):
        stub.chmod(0o755)
    return server


def job(
    server: Path, workspace: Path, *, run_id: int, branch: str, pr: bool, **inputs: str
) -> Runner:
    defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    github = {
        "github.repository": "acme/support-bot",
        "github.workflow": "eval",
        "github.ref_name": f"{run_id}/merge" if pr else branch,
        "github.head_ref": branch if pr else "",
        "github.event_name": "pull_request" if pr else "push",
        "github.run_id": str(run_id),
        "github.run_attempt": "1",
        "github.action_path": str(ROOT),
        "github.token": "ghs_test_token",
        "runner.os": "Linux",
    }
    runner = Runner(server=server, workspace=workspace, github=github, inputs={})
    runner.inputs = {k: runner.render(v) for k, v in {**defaults, **inputs}.items()}
    return runner


ITEMS = [
    {"id": f"q{i}", "reference": f"the parcel {i} ships in {i % 4 + 2} days"} for i in range(20)
]


def workspace_with(tmp_path: Path, *, regress: bool) -> Path:
    """The repository a job checks out: a suite whose system b regresses on a pull request."""
    ws = tmp_path / ("ws-pr" if regress else "ws-main")
    write_jsonl(ws / "data" / "items.jsonl", ITEMS)
    write_jsonl(
        ws / "outputs" / "a.jsonl", [{"id": r["id"], "output": r["reference"]} for r in ITEMS]
    )
    b = [{"id": r["id"], "output": "no idea" if regress and i % 2 else r["reference"]}
         for i, r in enumerate(ITEMS)]  # fmt: skip
    write_jsonl(ws / "outputs" / "b.jsonl", b)
    spec = {
        "name": "shipping",
        "data": "data/items.jsonl",
        "systems": {"a": "outputs/a.jsonl", "b": "outputs/b.jsonl"},
        "metrics": ["rouge"],
        "gates": ["rouge.rougeL >= 0.2", "rouge.rougeL drop vs baseline run <= 0.01"],
    }
    (ws / "suite.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return ws


def test_the_action_on_main_then_on_a_pull_request_that_regresses(tmp_path: Path) -> None:
    server = make_server(tmp_path)

    main = job(server, workspace_with(tmp_path, regress=False), run_id=101, branch="main",
               pr=False, suite="suite.yaml")  # fmt: skip
    assert main.run() == 0, "\n".join(main.logs)
    pip = (server / "pip.log").read_text().splitlines()
    assert pip == [
        "install --quiet torch --index-url https://download.pytorch.org/whl/cpu",  # torch first
        f"install --quiet {ROOT}",  # then judge, from the action's own checkout
    ]
    assert main.used[0] == ("actions/setup-python@v5", {"python-version": "3.11"})
    assert main.outputs["baseline"] == {"baseline": "latest"}  # main: the store's last run
    assert main.outputs["eval"]["exit-code"] == "0"
    artifact = server / "artifacts" / "101" / "judge-eval"
    assert sorted(p.name for p in artifact.iterdir()) == [
        "report.html",
        "scores.csv",
        "summary.json",
    ]
    assert (server / "caches" / "judge-store-main-101-1" / "content").is_file()  # the store
    assert (main.workspace / "judge-junit.xml").is_file()

    pr = job(server, workspace_with(tmp_path, regress=True), run_id=102, branch="feature",
             pr=True, suite="suite.yaml")  # fmt: skip
    assert pr.run() == 1, "\n".join(pr.logs)  # judge's exit code: a gate failed
    assert any("cache restored from key judge-store-main-101-1" in line for line in pr.logs)
    baseline = tmp_path / "runner-temp" / "judge-baseline"
    assert pr.outputs["baseline"] == {"baseline": str(baseline)}  # main's artifact
    gh = (server / "gh.log").read_text()
    assert "run list --repo acme/support-bot --workflow eval --branch main --status success" in gh
    assert "run download 101 --repo acme/support-bot --name judge-eval" in gh
    assert pr.outputs["eval"] == {
        "exit-code": "1", "report": "judge-eval/report.html",
    }  # fmt: skip
    summary = json.loads((pr.workspace / "judge-eval" / "summary.json").read_text())
    verdicts = {g["gate"]: g["passed"] for g in summary["gates"]}
    assert verdicts == {
        "rouge.rougeL >= 0.2": True,
        "rouge.rougeL drop vs baseline run <= 0.01": False,
    }
    assert summary["baseline"]["location"] == str(baseline / "summary.json")  # main's run
    assert summary["work"]["cached"]["rouge"] > 0  # the restored store served a's scores
    assert (server / "artifacts" / "102" / "judge-eval" / "report.html").is_file()  # uploaded
    step_summary = (tmp_path / "step-summary.md").read_text()
    assert "rouge.rougeL drop vs baseline run &lt;= 0.01" in step_summary  # inert markdown
    assert not (server / "caches" / "judge-store-feature-102-1").exists()  # failed: not saved


def test_a_pull_request_before_main_has_an_artifact_and_a_bad_suite(tmp_path: Path) -> None:
    server = make_server(tmp_path)
    args = "--quiet --allow-judge-change"
    pr = job(server, workspace_with(tmp_path, regress=True), run_id=7, branch="first",
             pr=True, suite="suite.yaml", args=args, extras="ray")  # fmt: skip
    assert pr.run() == 0, "\n".join(pr.logs)  # nothing to compare with: that gate is skipped
    assert pr.outputs["baseline"] == {"baseline": "latest"}
    assert "no artifact 'judge-eval' of a successful run on main" in "\n".join(pr.logs)
    assert (server / "pip.log").read_text().splitlines()[-1] == f"install --quiet {ROOT}[ray]"
    summary = json.loads((pr.workspace / "judge-eval" / "summary.json").read_text())
    assert [g["skipped"] for g in summary["gates"]] == [False, True]

    bad = job(server, pr.workspace, run_id=8, branch="first", pr=True, suite="missing.yaml",
              **{"python-version": "", "judge-package": "judge-harness[ray]==0.1.0"})  # fmt: skip
    assert bad.run() == 2  # judge's exit code for bad input
    assert all(action != "actions/setup-python@v5" for action, _ in bad.used)
    assert (server / "pip.log").read_text().splitlines()[-1] == (
        "install --quiet judge-harness[ray]==0.1.0"
    )
