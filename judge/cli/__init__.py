"""The command line and what it prints for people and CI: the console tables, GitHub workflow
annotations and step summaries, JUnit XML. Entry point: :func:`judge.cli.main.main`."""
