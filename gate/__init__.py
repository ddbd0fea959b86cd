"""The FreeSport migration gate: checks that prove each runbook step did what it claims.

The gate never imports the backend it checks (``backend/``): it reads the database, the
1C files and the HTTP API itself.
"""
