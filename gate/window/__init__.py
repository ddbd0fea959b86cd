"""The migration window: entry point (``__main__``), stages, runner, guard, journal, claim, budgets, monitor.

Kept import-free: the report and the plugin read ``gate.window.budgets`` without loading the runner.
"""
