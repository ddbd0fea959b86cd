"""Near-empty on purpose: the gate's hooks and fixtures live in ``gate.plugin`` / ``gate.fixtures``."""
