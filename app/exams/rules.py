"""The exam's pass rule, in one place: a score passes when it reaches the subject's pass mark.

Each exam year sets a mark per subject (PassMark rows); a subject without one uses 60.
`passes` works on plain numbers and on a SQL column alike (`ExamResult.score`), so the bulk
re-judging of a year and the importers use the same rule as a typed-in result.
"""

from decimal import Decimal

DEFAULT_PASS_MARK = Decimal("60")


def passes(score, mark: Decimal | None = None):
    """Whether `score` passes a subject whose pass mark is `mark` (None: the default mark)."""
    return score >= (DEFAULT_PASS_MARK if mark is None else mark)
