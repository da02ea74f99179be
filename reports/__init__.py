"""Aggregation and rendering of stored runs: tables, statistics and the HTML report."""
