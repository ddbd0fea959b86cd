"""The rehearsal's ``manage.py`` wrapper: faults that happen *inside* a runbook command.

``MANAGE_CMD`` of a fault rehearsal is ``python -m rehearse.wrap -- <the real manage.py
line>``; ``REHEARSAL_FAULT`` (read only here, never by the backend) decides what happens
around the one subcommand the fault is about. Every other command runs untouched, so
``manage.py help …`` (RUN-01) and the rest of the window see the real release.

- ``import-fails``: ``import_products_from_1c`` runs against a database that refuses writes
  (``PGOPTIONS=-c default_transaction_read_only=on``, as after a failover to a replica).
- ``protected-row-changed``: after a successful import, one order's total changes (an
  importer that "fixes" orders): PST-07 must see it.
- ``prices-zeroed``: after a successful import every price is 0.00 (an importer that reads the
  wrong element): PST-11 must see it.
- ``stock-lost``: after a successful import a third of the variants' stock is 0 (rests rows lost):
  PST-12 must see it.
"""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg

IMPORT = "import_products_from_1c"
PROTECTED_ROW_SQL = (
    "UPDATE orders SET total_amount = total_amount + 1 WHERE id = (SELECT min(id) FROM orders)"
)
AFTER_IMPORT_SQL = {
    "protected-row-changed": PROTECTED_ROW_SQL,
    "prices-zeroed": "UPDATE product_variants SET " + ", ".join(
        f"{c} = CASE WHEN {c} IS NULL THEN NULL ELSE 0.00 END"
        for c in ("retail_price", "opt1_price", "opt2_price", "opt3_price", "trainer_price", "federation_price")),
    "stock-lost": "UPDATE product_variants SET stock_quantity = 0 WHERE stock_quantity > 0 AND id % 3 = 0",
}


def subcommand(argv: list[str]) -> str:
    """The Django subcommand of a manage.py line (the word after ``manage.py``)."""
    for index, arg in enumerate(argv):
        if arg.endswith("manage.py") and index + 1 < len(argv):
            return argv[index + 1]
    return argv[0] if argv else ""


def main(argv: list[str]) -> int:
    """Run ``argv`` (after ``--``) with the fault ``REHEARSAL_FAULT`` applied around it."""
    if argv and argv[0] == "--":
        argv = argv[1:]
    fault = os.environ.get("REHEARSAL_FAULT", "")
    command = subcommand(argv)
    env = dict(os.environ)
    if fault == "import-fails" and command == IMPORT:
        env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + " -c default_transaction_read_only=on").strip()
        sys.stderr.write("rehearsal fault import-fails: the database refuses writes during the import\n")
    code = subprocess.call(argv, env=env)
    if fault in AFTER_IMPORT_SQL and command == IMPORT and code == 0:
        statement = AFTER_IMPORT_SQL[fault]
        if fault == "protected-row-changed":
            statement = os.environ.get("REHEARSAL_PROTECTED_ROW_SQL", statement)
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(statement)
        sys.stderr.write(f"rehearsal fault {fault}: the database changed right after the import\n")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
