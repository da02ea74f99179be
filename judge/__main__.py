"""``python -m judge``: stop cleanly on Ctrl-C or SIGTERM even while the program is starting.

``python -m`` puts the current folder first on ``sys.path``: a module there would shadow an
installed one, and a suite naming a plug-in metric by import path would import it from
wherever judge happens to run. It is taken off before anything else is imported, as the
``judge`` command (whose ``sys.path[0]`` is its own bin folder) never had it; ``judge`` itself
is already imported, and ``PYTHONPATH`` still counts.
"""

import os
import signal
import sys

if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]


def _starting(signum: int, frame: object) -> None:
    sys.exit(128 + signum)  # nothing has been written yet; main() installs the real handler


signal.signal(signal.SIGTERM, _starting)
try:
    from judge.cli.main import main
except KeyboardInterrupt:
    sys.exit(128 + signal.SIGINT)

main()
