"""The migration window: its stages, the step runner and journal, the destructive-step guard."""
