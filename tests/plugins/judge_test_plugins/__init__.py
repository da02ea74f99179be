"""Metrics the tests name by import path (``judge_test_plugins.slow:SlowOverlap``).

Put ``tests/plugins`` on PYTHONPATH to use them; nothing installs them.
"""
