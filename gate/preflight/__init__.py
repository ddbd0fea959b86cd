"""Facts the preflight checks read: QA gates, CI status, rehearsal record, notifications, window."""
