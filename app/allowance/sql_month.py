"""The monthly allowance as one set-based statement on PostgreSQL (15+: range_agg, multiranges).

rules.py is the readable statement of the rules and the implementation on SQLite; this module
is the same rules in SQL, and tests/allowance/test_sql_oracle.py checks that both give the same
lines, column for column. A change to a rule changes both: each step below names the rule of
DOMAIN.md ("The monthly professional allowance") it implements, as rules.py does.

One statement replaces a district part's lines (or the whole month's): the run's own month
(kind allowance) and every locked month of the last 12 (kind arrears) are rows of one months
dimension, worked out by the same rules 1-5 and compared, for arrears, with what was paid.
"""

from contextlib import contextmanager

import sqlalchemy as sa

from app.allowance.rules import Month
from app.extensions import db

_STATEMENT = """
WITH months AS MATERIALIZED (
    -- The months worked out: the run's month and its locked months, each with its policy
    -- (registration required unless a policy row in force on the first day says otherwise).
    SELECT m.first, m.kind,
           (m.first + interval '1 month' - interval '1 day')::date AS last,
           extract(day FROM m.first + interval '1 month' - interval '1 day')::int AS d,
           daterange(m.first, (m.first + interval '1 month')::date) AS span,
           datemultirange(daterange(m.first, (m.first + interval '1 month')::date)) AS mspan,
           COALESCE((SELECT p.registration_required FROM allowance_policy p
                     WHERE p.valid_from <= m.first ORDER BY p.valid_from DESC LIMIT 1), true) AS required
    FROM unnest(CAST(:firsts AS date[]), CAST(:kinds AS text[])) AS m(first, kind)
),
wm AS MATERIALIZED (
    -- Who gets a line: for the run's month, workers with a qualification obtained before it;
    -- for a locked month, those workers and whoever was paid something for it (hash joins: the
    -- workers without a qualification are looked up among the lines, not line by line).
    SELECT w.id AS worker_id, w.district_id AS worker_district_id, m.*
    FROM worker w CROSS JOIN months m
    WHERE {part_filter}
      AND EXISTS (SELECT 1 FROM qualification q WHERE q.worker_id = w.id AND q.obtained_on < CAST(:month AS date))
    UNION ALL
    SELECT w.id, w.district_id, m.*
    FROM months m
    JOIN (SELECT DISTINCT l.worker_id, l.corrects_month FROM allowance_line l
          WHERE l.corrects_month = ANY(CAST(:firsts AS date[]))
            AND l.worker_id NOT IN (SELECT q.worker_id FROM qualification q
                                    WHERE q.obtained_on < CAST(:month AS date))) paid ON paid.corrects_month = m.first
    JOIN worker w ON w.id = paid.worker_id
    WHERE m.kind = 'arrears' AND {part_filter}
),
posts AS MATERIALIZED (
    -- Rule 2: each worker's days in post, once per worker (every month takes its share below).
    SELECT p.worker_id, range_agg(daterange(p.start_date, p.end_date, '[]')) AS days
    FROM post_period p
    WHERE p.worker_id IN (SELECT worker_id FROM wm)
    GROUP BY p.worker_id
),
regs AS MATERIALIZED (
    -- Rules 1 and 2: the days each level's registrations cover, once per worker and level.
    SELECT r.worker_id, r.level, range_agg(daterange(r.registered_on, r.expires_on, '[]')) AS days
    FROM registration r
    WHERE r.worker_id IN (SELECT worker_id FROM wm)
    GROUP BY r.worker_id, r.level
),
lvl AS MATERIALIZED (
    -- Rule 1: the highest level obtained before the first day (paid from the next month) which,
    -- when registration is required, has a registration covering at least one day of the month.
    SELECT DISTINCT ON (wm.worker_id, wm.first) wm.worker_id, wm.first, q.level, q.certificate_no,
           rg.days AS reg_days
    FROM wm
    JOIN qualification q ON q.worker_id = wm.worker_id AND q.obtained_on < wm.first
    LEFT JOIN regs rg ON rg.worker_id = q.worker_id AND rg.level = q.level
    WHERE NOT wm.required OR rg.days && wm.span
    ORDER BY wm.worker_id, wm.first,
             CASE q.level WHEN 'senior' THEN 3 WHEN 'intermediate' THEN 2 WHEN 'assistant' THEN 1 ELSE 0 END DESC
),
rates_in AS MATERIALIZED (
    -- Rule 3: the rate row for each level, district and month: the district row before the
    -- city-wide one, the row in force on the first day, a newer start superseding an older row
    -- (a few thousand combinations, joined by hash below rather than looked up per line).
    SELECT lv.level, dt.id AS district_id, m.first, pick.id, pick.amount
    FROM months m CROSS JOIN (SELECT DISTINCT level FROM allowance_rate) lv CROSS JOIN district dt
    CROSS JOIN LATERAL (
        SELECT a.id, a.amount
        FROM allowance_rate a
        WHERE a.level = lv.level AND (a.district_id = dt.id OR a.district_id IS NULL)
          AND a.valid_from <= m.first AND (a.valid_to IS NULL OR a.valid_to >= m.first)
        ORDER BY a.district_id IS NULL, a.valid_from DESC, a.id DESC
        LIMIT 1
    ) pick
),
due AS MATERIALIZED (
    SELECT wm.worker_id, wm.worker_district_id, wm.kind, wm.first, wm.d,
           t.level, t.certificate_no, lp.district_id, lp.street_id, lp.community_id,
           lp.district_code, lp.district_name, lp.street_name, lp.community_name, rt.id AS rate_id,
           rt.amount AS rate, n.days, h.reason AS hold_reason,
           CASE
               -- Rule 1: no level obtained before the month (with a registration, when required).
               WHEN t.level IS NULL THEN
                   CASE WHEN wm.required AND EXISTS (SELECT 1 FROM qualification q
                                                     WHERE q.worker_id = wm.worker_id AND q.obtained_on < wm.first)
                        THEN 'no_registration' ELSE 'no_qualification' END
               -- Rule 2: no day of the month in post, or none left after the registrations.
               WHEN pd.days IS NULL OR isempty(pd.days) THEN 'not_in_post'
               WHEN isempty(e.days) THEN 'no_overlap'
               -- Rule 3: no rate in force for the level in the district.
               WHEN rt.id IS NULL THEN 'no_rate'
           END AS ineligible
    FROM wm
    LEFT JOIN lvl t ON t.worker_id = wm.worker_id AND t.first = wm.first
    LEFT JOIN posts ps ON ps.worker_id = wm.worker_id
    -- Rule 2: the days of the month in post ...
    CROSS JOIN LATERAL (SELECT CASE WHEN t.level IS NOT NULL THEN ps.days * wm.mspan END AS days) pd
    -- ... intersected, when registration is required, with the days that level's registrations cover.
    CROSS JOIN LATERAL (
        SELECT CASE WHEN wm.required THEN pd.days * (t.reg_days * wm.mspan) ELSE pd.days END AS days
    ) e
    CROSS JOIN LATERAL (
        SELECT COALESCE((SELECT sum(upper(x) - lower(x)) FROM unnest(e.days) x), 0)::int AS days
    ) n
    -- Rule 3: the post on the last eligible day (a later post wins a day two posts share) ...
    -- (rule 6: its places' codes and names are copied into the line, a snapshot)
    LEFT JOIN LATERAL (
        SELECT c.district_id, c.street_id, c.id AS community_id, d.code AS district_code,
               d.name AS district_name, s.name AS street_name, c.name AS community_name
        FROM post_period p JOIN community c ON c.id = p.community_id
             JOIN street s ON s.id = c.street_id JOIN district d ON d.id = c.district_id
        WHERE p.worker_id = wm.worker_id
          AND p.start_date <= upper(e.days) - 1 AND (p.end_date IS NULL OR p.end_date >= upper(e.days) - 1)
        ORDER BY p.start_date DESC
        LIMIT 1
    ) lp ON NOT isempty(e.days)
    -- ... and the rate row for the level there (rates_in, below).
    LEFT JOIN rates_in rt ON rt.level = t.level AND rt.district_id = lp.district_id AND rt.first = wm.first
    -- Rule 5: a hold for the month.
    LEFT JOIN allowance_hold h ON h.worker_id = wm.worker_id AND h.month = wm.first
),
lines AS (
    SELECT due.*,
           ineligible IS NULL AND COALESCE(hold_reason, '') <> '' AS held,
           -- Rule 4: rate × eligible days ÷ D, rounded half-up to 0.01.
           CASE WHEN ineligible IS NULL THEN CAST(round(rate * days / d, 2) AS numeric(12, 2)) END AS computed
    FROM due
),
evidence AS (
    -- Rule 6: every line carries its evidence and a one-line formula, `300.00 × 12/31 = 116.13`;
    -- rule 5: a held line keeps its formula, `… → 0.00`, and pays 0.
    SELECT worker_id, worker_district_id, kind, first, d, level, certificate_no,
           CASE WHEN ineligible IS NULL OR ineligible = 'no_rate' THEN district_id END AS district_id,
           CASE WHEN ineligible IS NULL OR ineligible = 'no_rate' THEN street_id END AS street_id,
           CASE WHEN ineligible IS NULL OR ineligible = 'no_rate' THEN community_id END AS community_id,
           CASE WHEN ineligible IS NULL OR ineligible = 'no_rate' THEN district_code END AS district_code,
           CASE WHEN ineligible IS NULL OR ineligible = 'no_rate' THEN district_name END AS district_name,
           CASE WHEN ineligible IS NULL OR ineligible = 'no_rate' THEN street_name END AS street_name,
           CASE WHEN ineligible IS NULL OR ineligible = 'no_rate' THEN community_name END AS community_name,
           CASE WHEN ineligible IS NULL THEN rate_id END AS rate_id,
           CASE WHEN ineligible IS NULL THEN rate END AS rate,
           CASE WHEN ineligible IS NULL THEN days ELSE 0 END AS eligible_days,
           CASE WHEN held OR ineligible IS NOT NULL THEN CAST(0 AS numeric(12, 2)) ELSE computed END AS amount,
           ineligible, held,
           CASE WHEN ineligible IS NULL THEN hold_reason END AS hold_reason,
           CASE WHEN ineligible IS NULL
                THEN rate::text || ' × ' || days || '/' || d || ' = ' || computed::text
                     || CASE WHEN held THEN ' → 0.00' ELSE '' END
                ELSE '' END AS formula
    FROM lines
),
paid AS MATERIALIZED (
    -- What was paid for a locked month: its own line plus arrears posted for it by any other run,
    -- summed once per worker and month for the part's workers (joined by hash, not per line).
    SELECT l.worker_id, l.corrects_month, sum(l.amount) AS before
    FROM allowance_line l JOIN allowance_run r ON r.id = l.run_id JOIN worker w ON w.id = l.worker_id
    WHERE l.corrects_month = ANY(CAST(:firsts AS date[])) AND l.corrects_month <> CAST(:month AS date)
      AND {part_filter}
      AND ((l.kind = 'allowance' AND r.month = l.corrects_month) OR (l.kind = 'arrears' AND l.run_id <> :run_id))
    GROUP BY l.worker_id, l.corrects_month
),
out AS (
    SELECT e.*, e.amount AS line_amount, e.formula AS line_formula
    FROM evidence e WHERE e.kind = 'allowance'
    UNION ALL
    -- Rule 7: a locked month worked out again with today's data; the difference from what was
    -- paid for it is an arrears line naming the month, `2026-06: 300.00 − 0.00 = +300.00 (…)`.
    SELECT e.*, x.diff,
           to_char(e.first, 'YYYY-MM') || ': ' || e.amount::text || ' − ' || paid.before::text || ' = '
           || CASE WHEN x.diff > 0 THEN '+' ELSE '' END || x.diff::text
           || CASE WHEN e.formula <> '' THEN ' (' || e.formula || ')' ELSE '' END
    FROM evidence e
    LEFT JOIN paid p ON p.worker_id = e.worker_id AND p.corrects_month = e.first
    CROSS JOIN LATERAL (SELECT COALESCE(p.before, CAST(0 AS numeric(12, 2))) AS before) paid
    CROSS JOIN LATERAL (SELECT e.amount - paid.before AS diff) x
    WHERE e.kind = 'arrears' AND x.diff <> 0
)
INSERT INTO allowance_line (
    run_id, worker_id, kind, corrects_month, part_district_id, district_id, street_id, community_id,
    district_code, district_name, street_name, community_name, level, certificate_no, rate_id, rate,
    eligible_days, days_in_month, amount, ineligible, held,
    hold_reason, formula)
SELECT :run_id, worker_id, kind, first, {part_column}, district_id, street_id, community_id,
       district_code, district_name, street_name, community_name, level, certificate_no, rate_id, rate,
       eligible_days, d, line_amount, ineligible, held,
       hold_reason, left(line_formula, 200)
FROM out
"""


def replace_lines(run_id: int, month: Month, locked: list[Month], part: str, district_id: int | None = None) -> int:
    """Replace the lines of one part of a draft run (part="district", district_id None = workers
    without a post) or of every part at once (part="all"). Returns how many lines it wrote."""
    statement, params = _statements(run_id, month, locked, part, district_id)
    with _no_jit():
        return db.session.execute(statement, params).rowcount


def explain(run_id: int, month: Month, locked: list[Month]) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the whole month's statement; it runs, so roll back afterwards."""
    statement, params = _statements(run_id, month, locked, "all")
    with _no_jit():
        rows = db.session.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + statement.text), params).all()
    return "\n".join(r[0] for r in rows)


@contextmanager
def _no_jit():
    """The planner's row estimates for the lateral joins are high enough to turn JIT compilation
    on, which costs seconds (8 s of 19 s at 100,000 workers) and saves nothing on this statement.
    Off for the statement only (SET LOCAL; a failed statement ends the transaction, which resets it)."""
    before = db.session.execute(sa.text("SELECT current_setting('jit')")).scalar()
    db.session.execute(sa.text("SELECT set_config('jit', 'off', true)"))
    yield
    db.session.execute(sa.text("SELECT set_config('jit', :value, true)"), {"value": before})


def _statements(run_id: int, month: Month, locked: list[Month], part: str, district_id: int | None = None):
    """Delete the part's lines (part="district", district_id None = workers without a post; or
    part="all", every part); return the statement that writes them again, and its parameters."""
    if part == "all":
        part_filter, part_column, line_filter = "true", "worker_district_id", "true"
    elif district_id is None:
        part_filter, part_column, line_filter = "w.district_id IS NULL", "NULL", "part_district_id IS NULL"
    else:
        part_filter, part_column = "w.district_id = :district_id", ":district_id"
        line_filter = "part_district_id = :district_id"
    params = {
        "run_id": run_id,
        "district_id": district_id,
        "month": month.first,
        "firsts": [month.first, *(m.first for m in locked)],
        "kinds": ["allowance", *("arrears" for _ in locked)],
    }
    db.session.execute(sa.text(f"DELETE FROM allowance_line WHERE run_id = :run_id AND {line_filter}"), params)
    return sa.text(_STATEMENT.format(part_filter=part_filter, part_column=part_column)), params
