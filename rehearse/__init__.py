"""What brings up or drives a target for rehearsing; gate/ only checks.

The nightly rehearsal: the whole window on a disposable copy, the way back, the report.

``python -m rehearse`` (``make rehearsal``) runs it once, ``FAULT=<name>`` injects one
fault of ``rehearse.faults``, ``python -m rehearse matrix`` (``make fault-matrix``)
runs every fault and asserts each verdict, ``python -m rehearse rollback``
(``make rollback-rehearsal``) proves the latest verified backup's way back. Nothing here
touches the configured target: every database is on a disposable PostgreSQL.
"""
