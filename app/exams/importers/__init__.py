"""The five exam files (DOMAIN.md): results, senior reviews, historical qualifications,
registrations and CE records. Each is all or nothing; rows of people not in the registry go
to the review queue instead of creating workers; re-importing a file changes nothing.

A row about a worker outside the importer's districts is planned exactly as a row about an
unknown ID number (to the importer's review queue), so a file can neither change such a worker
nor tell the importer that they exist (issue #10).

base.py holds what the kinds share, plan.py and apply.py the import itself, and one module per
kind of file its columns, row reader, lookup and write.
"""

# Importing each kind's module registers it (KINDS here, and core's import pages and jobs):
# the factory's `import app.exams.importers` relies on these imports, so they stay although
# nothing in this file uses them.
from app.exams.importers import ce, certificates, registrations, results, reviews  # noqa: F401
from app.exams.importers.apply import KINDS, apply_import, apply_queued
from app.exams.importers.plan import plan_import

__all__ = ["KINDS", "apply_import", "apply_queued", "plan_import"]
