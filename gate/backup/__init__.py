"""The pre-migration backup: taking it (``take_backup``) and stating facts about it (``Backup``).

>>> manifest = take_backup(settings, run)                       # doctest: +SKIP
>>> assert Backup.of_run(run).restores_into(disposable_pg)      # doctest: +SKIP
"""

from __future__ import annotations

from gate.backup.archive import Backup, RestoreResult
from gate.backup.manifest import BackupManifest
from gate.backup.take import BackupFailed, BackupRefused, backup_name, take_backup

__all__ = ["Backup", "BackupFailed", "BackupManifest", "BackupRefused", "RestoreResult", "backup_name", "take_backup"]
