"""The monthly allowance as one set-based statement on PostgreSQL (15+: range_agg, multiranges).

rules.py is the readable statement of the rules and the implementation on SQLite; this module
is the same rules in SQL, and tests/allowance/test_sql_oracle.py checks that both give the same
lines, column for column. A change to a rule changes both: each step below names the rule of
DOMAIN.md ("The monthly professional allowance") it implements, as rules.py does.

A district part's lines (or the whole month's) are replaced in four steps: the months (the run's
own month, kind allowance, and every locked month of the last 12, kind arrears), who gets a line
in each month, each worker-month worked out by rules 1-5 (narrow rows), then one INSERT … SELECT
that compares the arrears with what was paid and writes the lines with their evidence. The steps
are temporary tables, analysed, so that the planner knows the sizes it joins (a CTE has no
statistics: estimates of 108 million rows where there were 392,000 turned every join into
sorts and merge joins, 9-17 s for 12 locked months at 100,000 workers); they are dropped after.
"""

import re
from contextlib import contextmanager

import sqlalchemy as sa

from app.allowance.rules import Month
from app.extensions import db

_MONTHS = """
CREATE TEMP TABLE _am_months AS
    -- The months worked out: the run's month and its locked months, each with its policy
    -- (registration required unless a policy row in force on the first day says otherwise).
    SELECT m.first, m.kind,
           extract(day FROM m.first + interval '1 month' - interval '1 day')::int AS d,
           daterange(m.first, (m.first + interval '1 month')::date) AS span,
           datemultirange(daterange(m.first, (m.first + interval '1 month')::date)) AS mspan,
           COALESCE((SELECT p.registration_required FROM allowance_policy p
                     WHERE p.valid_from <= m.first ORDER BY p.valid_from DESC LIMIT 1), true) AS required
    FROM unnest(CAST(:firsts AS date[]), CAST(:kinds AS text[])) AS m(first, kind)
"""

_WHO = """
CREATE TEMP TABLE _am_wm AS
    -- Who gets a line: for the run's month, workers with a qualification obtained before it;
    -- for a locked month, those workers and whoever was paid something for it (hash joins: the
    -- workers without a qualification are looked up among the lines, not line by line).
    -- `obtained`: the worker's first qualification (rule 1's two reasons for no level).
    SELECT w.id AS worker_id, w.district_id AS worker_district_id, q.obtained, m.*
    FROM worker w
    JOIN (SELECT worker_id, min(obtained_on) AS obtained FROM qualification GROUP BY worker_id) q
      ON q.worker_id = w.id AND q.obtained < CAST(:month AS date)
    CROSS JOIN _am_months m
    WHERE {part_filter}
    UNION ALL
    SELECT w.id, w.district_id, (SELECT min(q.obtained_on) FROM qualification q WHERE q.worker_id = w.id), m.*
    FROM _am_months m
    JOIN (SELECT DISTINCT l.worker_id, l.corrects_month FROM allowance_line l
          WHERE l.corrects_month = ANY(CAST(:firsts AS date[]))
            AND l.worker_id NOT IN (SELECT q.worker_id FROM qualification q
                                    WHERE q.obtained_on < CAST(:month AS date))) paid ON paid.corrects_month = m.first
    JOIN worker w ON w.id = paid.worker_id
    WHERE m.kind = 'arrears' AND {part_filter}
"""

_WORKERS = """
CREATE TEMP TABLE _am_workers AS
    -- Each worker once (their posts, registrations and qualifications are read once for all months).
    SELECT DISTINCT worker_id FROM _am_wm
"""

_DAYS = """
CREATE TEMP TABLE _am_days AS
WITH posts AS (
    -- Rule 2: each worker's days in post, once per worker (every month takes its share below).
    SELECT p.worker_id, range_agg(daterange(p.start_date, p.end_date, '[]')) AS days
    FROM post_period p
    WHERE p.worker_id IN (SELECT worker_id FROM _am_workers)
    GROUP BY p.worker_id
),
regs AS (
    -- Rules 1 and 2: the days each level's registrations cover, once per worker and level.
    SELECT r.worker_id, r.level, range_agg(daterange(r.registered_on, r.expires_on, '[]')) AS days
    FROM registration r
    WHERE r.worker_id IN (SELECT worker_id FROM _am_workers)
    GROUP BY r.worker_id, r.level
),
quals AS (
    -- Rule 1: each worker's qualifications once, a column group per level (one per worker and
    -- level), with the days that level's registrations cover: every month picks from them below
    -- without a join or a sort per worker-month.
    SELECT q.worker_id,
           min(q.obtained_on) FILTER (WHERE q.level = 'senior') AS s_on,
           min(q.certificate_no) FILTER (WHERE q.level = 'senior') AS s_cert,
           (array_agg(rg.days) FILTER (WHERE q.level = 'senior'))[1] AS s_reg,
           min(q.obtained_on) FILTER (WHERE q.level = 'intermediate') AS i_on,
           min(q.certificate_no) FILTER (WHERE q.level = 'intermediate') AS i_cert,
           (array_agg(rg.days) FILTER (WHERE q.level = 'intermediate'))[1] AS i_reg,
           min(q.obtained_on) FILTER (WHERE q.level = 'assistant') AS a_on,
           min(q.certificate_no) FILTER (WHERE q.level = 'assistant') AS a_cert,
           (array_agg(rg.days) FILTER (WHERE q.level = 'assistant'))[1] AS a_reg,
           min(q.obtained_on) FILTER (WHERE q.level = 'local') AS l_on,
           min(q.certificate_no) FILTER (WHERE q.level = 'local') AS l_cert,
           (array_agg(rg.days) FILTER (WHERE q.level = 'local'))[1] AS l_reg
    FROM qualification q
    LEFT JOIN regs rg ON rg.worker_id = q.worker_id AND rg.level = q.level
    WHERE q.worker_id IN (SELECT worker_id FROM _am_workers)
    GROUP BY q.worker_id
)
SELECT wm.worker_id, wm.worker_district_id, wm.kind, wm.first, wm.d, wm.required, wm.obtained,
       t.level, t.certificate_no, t.level IS NULL OR ps.days IS NULL OR NOT ps.days && wm.span AS out_of_post,
       CASE WHEN t.level IS NULL THEN NULL
            -- Rule 2: the days of the month in post, intersected, when registration is required,
            -- with the days that level's registrations cover.
            WHEN wm.required THEN ps.days * t.reg_days * wm.mspan
            ELSE ps.days * wm.mspan END AS days
FROM _am_wm wm
LEFT JOIN quals qs ON qs.worker_id = wm.worker_id
LEFT JOIN posts ps ON ps.worker_id = wm.worker_id
-- Rule 1: the highest level obtained before the first day (paid from the next month) which,
-- when registration is required, has a registration covering at least one day of the month.
CROSS JOIN LATERAL (SELECT CASE
    WHEN qs.s_on < wm.first AND (NOT wm.required OR qs.s_reg && wm.span) THEN 'senior'
    WHEN qs.i_on < wm.first AND (NOT wm.required OR qs.i_reg && wm.span) THEN 'intermediate'
    WHEN qs.a_on < wm.first AND (NOT wm.required OR qs.a_reg && wm.span) THEN 'assistant'
    WHEN qs.l_on < wm.first AND (NOT wm.required OR qs.l_reg && wm.span) THEN 'local'
    END AS top) k
CROSS JOIN LATERAL (SELECT k.top AS level,
    CASE k.top WHEN 'senior' THEN qs.s_cert
               WHEN 'intermediate' THEN qs.i_cert
               WHEN 'assistant' THEN qs.a_cert
               WHEN 'local' THEN qs.l_cert END AS certificate_no,
    CASE k.top WHEN 'senior' THEN qs.s_reg
               WHEN 'intermediate' THEN qs.i_reg
               WHEN 'assistant' THEN qs.a_reg
               WHEN 'local' THEN qs.l_reg END AS reg_days) t
"""

_DUE = """
CREATE TEMP TABLE _am_due AS
WITH held_post AS (
    -- Rule 3: the days on which each post is the worker's post: its own days less those of any
    -- post that started later (a later post wins a day two posts share).
    SELECT p.worker_id, p.community_id,
           datemultirange(daterange(p.start_date, p.end_date, '[]'))
           - COALESCE(range_agg(daterange(p.start_date, p.end_date, '[]')) OVER (
                 PARTITION BY p.worker_id ORDER BY p.start_date DESC
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), '{{}}') AS days
    FROM post_period p
    WHERE p.worker_id IN (SELECT worker_id FROM _am_workers)
),
rates_in AS MATERIALIZED (
    -- Rule 3: the rate row for each level, district and month: the district row before the
    -- city-wide one, the row in force on the first day, a newer start superseding an older row
    -- (a few thousand combinations, joined by hash below rather than looked up per line).
    SELECT lv.level, dt.id AS district_id, m.first, pick.id, pick.amount
    FROM _am_months m CROSS JOIN (SELECT DISTINCT level FROM allowance_rate) lv CROSS JOIN district dt
    CROSS JOIN LATERAL (
        SELECT a.id, a.amount
        FROM allowance_rate a
        WHERE a.level = lv.level AND (a.district_id = dt.id OR a.district_id IS NULL)
          AND a.valid_from <= m.first AND (a.valid_to IS NULL OR a.valid_to >= m.first)
        ORDER BY a.district_id IS NULL, a.valid_from DESC, a.id DESC
        LIMIT 1
    ) pick
)
SELECT z.*,
       z.ineligible IS NULL AND COALESCE(z.hold_reason, '') <> '' AS held,
       -- Rule 4: rate × eligible days ÷ D, rounded half-up to 0.01; rule 5: a held line pays 0.
       CASE WHEN z.ineligible IS NULL THEN CAST(round(z.rate * z.days / z.d, 2) AS numeric(12, 2)) END AS computed,
       CASE WHEN z.ineligible IS NOT NULL OR COALESCE(z.hold_reason, '') <> '' THEN CAST(0 AS numeric(12, 2))
            ELSE CAST(round(z.rate * z.days / z.d, 2) AS numeric(12, 2)) END AS amount
FROM (
    SELECT e.worker_id, e.worker_district_id, e.kind, e.first, e.d, e.level, e.certificate_no,
           hp.community_id, rt.id AS rate_id, rt.amount AS rate,
           COALESCE((SELECT sum(upper(x) - lower(x)) FROM unnest(e.days) x), 0)::int AS days,
           h.reason AS hold_reason,
           CASE
               -- Rule 1: no level obtained before the month (with a registration, when required).
               WHEN e.level IS NULL THEN
                   CASE WHEN e.required AND e.obtained < e.first THEN 'no_registration' ELSE 'no_qualification' END
               -- Rule 2: no day of the month in post, or none left after the registrations.
               WHEN e.out_of_post THEN 'not_in_post'
               WHEN isempty(e.days) THEN 'no_overlap'
               -- Rule 3: no rate in force for the level in the district.
               WHEN rt.id IS NULL THEN 'no_rate'
           END AS ineligible
    FROM _am_days e
    -- Rule 3: the post on the last eligible day ...
    LEFT JOIN held_post hp ON hp.worker_id = e.worker_id AND NOT isempty(e.days) AND hp.days @> (upper(e.days) - 1)
    LEFT JOIN community c ON c.id = hp.community_id
    -- ... and the rate row for the level there (rates_in, above).
    LEFT JOIN rates_in rt ON rt.level = e.level AND rt.district_id = c.district_id AND rt.first = e.first
    -- Rule 5: a hold for the month.
    LEFT JOIN allowance_hold h ON h.worker_id = e.worker_id AND h.month = e.first
    OFFSET 0  -- a step of its own: each value above computed once, not once per use below
) z
"""

_INSERT = """
WITH paid AS (
    -- What was paid for a locked month: its own line plus arrears posted for it by any other run,
    -- summed once per worker and month for the part's workers (joined by hash, not per line).
    -- (summed in cents as integers: a numeric sum per group costs 150 MB and a second at 350,000 groups)
    SELECT l.worker_id, l.corrects_month, CAST(sum(CAST(l.amount * 100 AS bigint)) / 100.0 AS numeric(12, 2)) AS before
    -- (a month's own lines are its run's: one run per month, and an allowance line corrects its run's month)
    FROM allowance_line l
    WHERE l.corrects_month = ANY(CAST(:firsts AS date[])) AND l.corrects_month <> CAST(:month AS date)
      AND (l.kind = 'allowance' OR l.run_id <> :run_id) {paid_filter}
    GROUP BY l.worker_id, l.corrects_month
),
places AS (
    -- Rule 6: the post's places, codes and names copied into the line (a snapshot).
    SELECT c.id, c.district_id, c.street_id, d.code AS district_code, d.name AS district_name,
           s.name AS street_name, c.name AS community_name
    FROM community c JOIN street s ON s.id = c.street_id JOIN district d ON d.id = c.district_id
),
evidence AS (
    -- Rule 6: every line carries its evidence and a one-line formula, `300.00 × 12/31 = 116.13`;
    -- rule 5: a held line keeps its formula, `… → 0.00`, and pays 0.
    SELECT u.worker_id, u.worker_district_id, u.kind, u.first, u.d, u.level, u.certificate_no,
           u.ineligible, u.held, x.shown, pl.*,
           CASE WHEN u.ineligible IS NULL THEN u.rate_id END AS rate_id,
           CASE WHEN u.ineligible IS NULL THEN u.rate END AS rate,
           CASE WHEN u.ineligible IS NULL THEN u.days ELSE 0 END AS eligible_days,
           CASE WHEN u.ineligible IS NULL THEN u.hold_reason END AS hold_reason,
           y.amount, y.before, y.amount - y.before AS diff,
           CASE WHEN u.ineligible IS NULL
                THEN u.rate::text || ' × ' || u.days || '/' || u.d || ' = ' || u.computed::text
                     || CASE WHEN u.held THEN ' → 0.00' ELSE '' END
                ELSE '' END AS formula
    FROM _am_due u
    CROSS JOIN LATERAL (SELECT u.ineligible IS NULL OR u.ineligible = 'no_rate' AS shown) x
    LEFT JOIN paid p ON u.kind = 'arrears' AND p.worker_id = u.worker_id AND p.corrects_month = u.first
    CROSS JOIN LATERAL (SELECT u.amount, COALESCE(p.before, CAST(0 AS numeric(12, 2))) AS before) y
    LEFT JOIN places pl ON pl.id = u.community_id
    -- Rule 7: a locked month worked out again with today's data; the difference from what was
    -- paid for it is an arrears line naming the month, `2026-06: 300.00 − 0.00 = +300.00 (…)`.
    WHERE u.kind = 'allowance' OR u.amount <> y.before
)
INSERT INTO allowance_line (
    run_id, worker_id, kind, corrects_month, part_district_id, district_id, street_id, community_id,
    district_code, district_name, street_name, community_name, level, certificate_no, rate_id, rate,
    eligible_days, days_in_month, amount, ineligible, held,
    hold_reason, formula)
SELECT :run_id, worker_id, kind, first, worker_district_id,
       CASE WHEN shown THEN district_id END, CASE WHEN shown THEN street_id END,
       CASE WHEN shown THEN id END, CASE WHEN shown THEN district_code END,
       CASE WHEN shown THEN district_name END, CASE WHEN shown THEN street_name END,
       CASE WHEN shown THEN community_name END, level, certificate_no, rate_id, rate,
       eligible_days, d, CASE WHEN kind = 'allowance' THEN amount ELSE diff END, ineligible, held,
       hold_reason,
       left(CASE WHEN kind = 'allowance' THEN formula
                 ELSE to_char(first, 'YYYY-MM') || ': ' || amount::text || ' − ' || before::text || ' = '
                      || CASE WHEN diff > 0 THEN '+' ELSE '' END || diff::text
                      || CASE WHEN formula <> '' THEN ' (' || formula || ')' ELSE '' END
            END, 200)
FROM evidence
ORDER BY worker_id, kind, first
"""


def replace_lines(run_id: int, month: Month, locked: list[Month], districts: list[int | None] | None = None) -> int:
    """Replace the lines of some parts of a draft run (`districts`: their district ids, None among
    them for the workers without a post) or of every part at once (`districts` None).
    Returns how many lines it wrote."""
    steps, params = _statements(run_id, month, locked, districts)
    with _settings():
        for step in steps[:-1]:
            _run_step(step, params)
        count = db.session.execute(steps[-1], params).rowcount
        _drop()
    return count


def explain(run_id: int, month: Month, locked: list[Month]) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of each step of the whole month; they run, so roll back afterwards.
    The last line is the steps' total `Execution Time`."""
    steps, params = _statements(run_id, month, locked, None)
    plans, total = [], 0.0
    with _settings():
        for step in steps:
            rows = db.session.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + step.text), params).all()
            plan = "\n".join(r[0] for r in rows)
            total += float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
            plans.append(plan)
            if step is not steps[-1]:
                db.session.execute(sa.text(f"ANALYZE {_table(step)}"))
        _drop()
    return "\n\n".join(plans) + f"\nExecution Time: {total:.3f} ms"


TEMP_BUFFERS = "128MB"
_TABLE = re.compile(r"CREATE TEMP TABLE (\w+)")


def _table(step) -> str:
    return _TABLE.search(step.text).group(1)


def _run_step(step, params) -> None:
    """A temporary table, then its statistics (what the next step's planner needs)."""
    db.session.execute(step, params)
    db.session.execute(sa.text(f"ANALYZE {_table(step)}"))


def _drop() -> None:
    db.session.execute(sa.text("DROP TABLE IF EXISTS _am_due, _am_days, _am_workers, _am_wm, _am_months"))


@contextmanager
def _settings():
    """For the statements only (set_config local to the transaction; a failed statement ends the
    transaction, which resets them): no JIT — the row estimates are high enough to turn JIT
    compilation on, which costs seconds (8 s of 19 s at 100,000 workers) and saves nothing here;
    work_mem enough to sort and hash a few hundred thousand worker-months in memory (4 MB, the
    default, spilled every sort to disk); no merge joins (the planner sorted 392,000 worker-months
    to merge them with a few thousand rates when a hash of the rates does it without a sort)."""
    wanted = {"jit": "off", "work_mem": "256MB", "enable_mergejoin": "off"}
    before = {
        name: db.session.execute(sa.text("SELECT current_setting(:name)"), {"name": name}).scalar() for name in wanted
    }
    for name, value in wanted.items():
        db.session.execute(sa.text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})
    _temp_buffers()
    yield
    for name, value in before.items():
        db.session.execute(sa.text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})


def _temp_buffers() -> None:
    """Room for the steps' tables in memory (8 MB, the default, wrote them to disk and read them
    back). PostgreSQL takes the setting only before a session's first temporary table, so it is
    set for the session (the connection keeps it) in a savepoint; afterwards it is refused, and
    the value set the first time stays."""
    if db.session.execute(sa.text("SELECT current_setting('temp_buffers')")).scalar() == TEMP_BUFFERS:
        return
    try:
        with db.session.begin_nested():
            db.session.execute(sa.text("SELECT set_config('temp_buffers', :value, false)"), {"value": TEMP_BUFFERS})
    except sa.exc.DBAPIError:
        pass  # temporary tables were used before in this session: keep its setting


def _statements(run_id: int, month: Month, locked: list[Month], districts: list[int | None] | None):
    """Delete the parts' lines (`districts` as replace_lines has it); return the steps that write
    them again, and their parameters."""
    if districts is None:
        part_filter, line_filter, paid_filter = "true", "true", ""
    else:
        part_filter = "(w.district_id = ANY(:districts) OR (:without_post AND w.district_id IS NULL))"
        line_filter = "(part_district_id = ANY(:districts) OR (:without_post AND part_district_id IS NULL))"
        # what was paid, for the parts' workers only (by the worker index, not a scan of 12 months' lines)
        paid_filter = "AND l.worker_id IN (SELECT worker_id FROM _am_workers)"
    params = {
        "run_id": run_id,
        "districts": [d for d in districts or [] if d is not None],
        "without_post": districts is not None and None in districts,
        "month": month.first,
        "firsts": [month.first, *(m.first for m in locked)],
        "kinds": ["allowance", *("arrears" for _ in locked)],
    }
    db.session.execute(sa.text(f"DELETE FROM allowance_line WHERE run_id = :run_id AND {line_filter}"), params)
    _drop()
    steps = [_MONTHS, _WHO, _WORKERS, _DAYS, _DUE, _INSERT]
    fill = {"part_filter": part_filter, "paid_filter": paid_filter}
    return [sa.text(s.format(**fill)) for s in steps], params
