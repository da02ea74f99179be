import sys

try:
    from judge.cli import main
except KeyboardInterrupt:  # Ctrl-C while the program is still starting
    sys.exit(130)

main()
