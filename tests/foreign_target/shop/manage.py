#!/usr/bin/env python
"""A FreeSport-like shop that is NOT the gate's reference backend: its settings module lives on PYTHONPATH."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopconf")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
