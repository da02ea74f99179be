"""Which commit a run evaluated: read from git if the suite lives in a work tree, cheaply.

The suite's folder may be anyone's (an unpacked archive, a checkout of a fork), and a git
folder's own config can name commands that git runs: ``core.fsmonitor`` (on every status),
hooks, and the clean filters of ``filter.<driver>`` (when status re-reads a changed file).
judge runs git with the fsmonitor off and no hooks, and asks whether the tree is dirty only
when the repository's own config defines no clean filter (else "dirty" stays unknown). The
commands it runs (``rev-parse``, ``config``, ``status``) run no pager, editor, credential
helper, external diff or text conversion.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

_TIMEOUT = 5.0
# CI systems that check out a commit without a usable .git (shallow, exported) name it here.
_ENV_COMMITS = ("GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_SOURCEVERSION", "GIT_COMMIT")


def git_info(path: Path) -> dict[str, Any] | None:
    """``{"commit", "branch", "dirty"}`` of the work tree holding ``path``; None when unknown.

    Never raises: no git, not a repository, or a slow file system all give None (or the commit
    named by the CI environment).
    """
    folder = path if path.is_dir() else path.parent
    head = _git(folder, "rev-parse", "HEAD", "--abbrev-ref", "HEAD")
    if head is not None and len(head.split()) == 2:
        commit, branch = head.split()
        status = None
        if not _own_filters(folder):
            status = _git(
                folder, "status", "--porcelain", "--untracked-files=no", "--ignore-submodules=all"
            )
        return {
            "commit": commit,
            "branch": None if branch == "HEAD" else branch,
            "dirty": bool(status) if status is not None else None,
        }
    for name in _ENV_COMMITS:
        if os.environ.get(name):
            return {"commit": os.environ[name], "branch": None, "dirty": None}
    return None


# Before every command: no file system monitor (a command named in the config) and no hooks.
_SAFE = ("-c", "core.fsmonitor=false", "-c", f"core.hooksPath={os.devnull}")


def _own_filters(folder: Path) -> bool:
    """Whether the repository's own config (and what it includes) names a clean filter,
    which ``git status`` would run; unknown counts as yes."""
    pattern = r"^filter\..*\.(clean|process)$"
    found = _git(folder, "config", "--local", "--includes", "--get-regexp", pattern, ok=(0, 1))
    return found is None or bool(found)


def _git(folder: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str | None:
    try:
        proc = subprocess.run(
            ["git", *_SAFE, "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode in ok else None
