"""The reports room: every number a report or gate shows (:mod:`judge.reports.analysis`), and
the rendering of stored runs into the HTML report, the run files and the index page."""
