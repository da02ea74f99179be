"""``python -m judge``: stop cleanly on Ctrl-C or SIGTERM even while the program is starting."""

import signal
import sys


def _starting(signum: int, frame: object) -> None:
    sys.exit(128 + signum)  # nothing has been written yet; main() installs the real handler


signal.signal(signal.SIGTERM, _starting)
try:
    from judge.cli.main import main
except KeyboardInterrupt:
    sys.exit(128 + signal.SIGINT)

main()
