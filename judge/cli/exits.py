"""Exit codes and how a command ends: a user error is one line and exit 2, a bug one line naming
the file its traceback went to and exit 3 (never 1, a failed gate), an interrupt says what it
left behind and exits 130 (Ctrl-C) or 143 (SIGTERM)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

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
