"""Exit codes and how a command ends: a user error is one line and exit 2, a bug one line naming
the file its traceback went to and exit 3 (never 1, a failed gate), an interrupt says what it
left behind and exits 130 (Ctrl-C) or 143 (SIGTERM)."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

import click

from judge.cli.failures import crashed, stdout_closed
from judge.errors import UserError, printable
from judge.metrics.base import MetricError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_GATE_FAILED = 1
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that it stops as cleanly as on Ctrl-C."""


def terminate(signum: int, frame: object) -> None:
    raise Terminated()


def interrupted(exc: KeyboardInterrupt) -> None:
    """Say what an interrupt left behind and exit 130 (Ctrl-C) or 143 (SIGTERM)."""
    terminated = isinstance(exc, Terminated)
    click.echo(
        f"{'terminated' if terminated else 'interrupted'}: the scores computed so far are "
        "stored; run the same command again to resume",
        err=True,
    )
    sys.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)


def user_errors(func: F) -> F:
    """Print a user error as one line on stderr and exit 2; a bug as one line naming the file
    its traceback went to, exit 3 (never 1, a failed gate); never a traceback on screen."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (UserError, MetricError) as exc:
            click.echo(f"error: {printable(str(exc))}", err=True)
            sys.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt as exc:
            interrupted(exc)
        except BrokenPipeError:
            stdout_closed()  # the reader of stdout stopped reading: nothing went wrong here
            sys.exit(0)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own: usage errors (exit 2) and deliberate exits
        except Exception as exc:
            crashed(exc)

    return wrapper  # type: ignore[return-value]


def leave(code: object) -> NoReturn:
    """End the process as ``sys.exit(code)`` would, without the interpreter's teardown.

    The atexit handlers run, open stores are closed and stdout and stderr flushed; what is
    skipped is freeing, module by module, what the OS frees at once: after torch and
    transformers are loaded that takes one to two seconds of every run (measured in
    ``benchmarks/startup.py --split``, phase "exit"). Where a thread of ours or a library's
    is still running, the process leaves the usual way, which waits for it.
    """
    if isinstance(code, str):  # as Python does: the message on stderr, exit 1
        click.echo(code, err=True)
    status = code if isinstance(code, int) else (0 if code is None else 1)
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(t.is_alive() and not t.daemon for t in others):
        sys.exit(status)
    atexit._run_exitfuncs()
    if "judge.store.sqlite" in sys.modules:
        sys.modules["judge.store.sqlite"].Store.close_all()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed, or its reader gone
            stream.flush()
    os._exit(status)
