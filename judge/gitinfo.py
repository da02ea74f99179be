"""Which commit a run evaluated: read from git if the suite lives in a work tree, cheaply."""

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
        status = _git(folder, "status", "--porcelain", "--untracked-files=no")
        return {
            "commit": commit,
            "branch": None if branch == "HEAD" else branch,
            "dirty": bool(status) if status is not None else None,
        }
    for name in _ENV_COMMITS:
        if os.environ.get(name):
            return {"commit": os.environ[name], "branch": None, "dirty": None}
    return None


def _git(folder: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None
