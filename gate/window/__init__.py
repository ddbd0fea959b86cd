"""The migration window: entry point (``command``), stages, runner, guard, journal, claim, budgets, monitor.

Kept import-free: the report reads ``gate.window.budgets`` without loading the runner.
"""
