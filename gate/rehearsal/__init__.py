"""The nightly rehearsal: the whole window on a disposable copy, the way back, the report.

``python -m gate.rehearsal`` (``make rehearsal``) runs it once, ``FAULT=<name>`` injects one
fault of ``gate.rehearsal.faults``, ``python -m gate.rehearsal matrix`` (``make fault-matrix``)
runs every fault and asserts each verdict, ``python -m gate.rehearsal rollback``
(``make rollback-rehearsal``) proves the latest verified backup's way back. Nothing here
touches the configured target: every database is on a disposable PostgreSQL.
"""
