"""The exams scenario, on the registry's PostgreSQL database: a results file of new rows (two per
worker on average) through `flask exams import-results`, its re-import, and recomputing
qualifications in-process.

The file is deterministic and does not depend on what the database holds. Setup deletes the
results that already have a key of the file (from seed-demo, or the file of an earlier run), so
every row of the file is new and a second run starts from the same state as the first.
"""

import csv
import random
import re
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from app import create_app
from app.exams import services
from app.exams.importers import KINDS
from app.extensions import db
from bench.scenario import FLASK, PROJECT, Options, child_env, prepare_database, seed
from bench.timing import BenchError, Result, checked, run_child

YEARS = {2024: (date(2024, 10, 26), date(2024, 12, 20)), 2025: (date(2025, 10, 25), date(2025, 12, 19))}
PASS_RATE = 0.8  # per row; scores below the pass mark (60 unless set otherwise) for the rest
ASSISTANT, INTERMEDIATE = ("A1", "A2"), ("I1", "I2", "I3")


@dataclass
class ExamOptions:
    url: str
    seed_workers: int = 100_000  # seeded only when the database holds no workers
    workers: int = 100_000  # workers in the file: the first ones by id (the seeded registry)
    vacuum: bool = True
    seed: int = 11


@dataclass
class ExamFacts:
    seeded: bool = False
    workers_in_db: int = 0
    notes: list[str] = field(default_factory=list)
    file: dict = field(default_factory=dict)
    exam_results: dict = field(default_factory=dict)
    qualifications: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    worker_id: int
    id_number: str
    name: str
    year: int
    subject: str
    score: int  # tenths: 725 is 72.5


def run(opts: ExamOptions, workdir: Path | None = None) -> tuple[list[Result], ExamFacts]:
    if workdir is not None:
        return _run(opts, workdir)
    with tempfile.TemporaryDirectory(prefix="socialwork-bench-exams-") as tmp:
        return _run(opts, Path(tmp))


def _run(opts: ExamOptions, workdir: Path) -> tuple[list[Result], ExamFacts]:
    facts = ExamFacts()
    env = child_env(opts.url, workdir)
    results: list[Result] = []
    if prepare_database(opts.url, reuse=True):
        checked(run_child([FLASK, "db", "upgrade"], env, str(PROJECT)), "flask db upgrade")
    else:
        facts.seeded = True
        engine = sa.create_engine(opts.url)
        try:
            results += seed(Options(url=opts.url, workers=opts.seed_workers), env, engine)
        finally:
            engine.dispose()
        facts.notes.append(f"the database held no workers: seeded {opts.seed_workers:,} first (db upgrade, seed-demo)")

    app = create_app("development", SQLALCHEMY_DATABASE_URI=opts.url)
    with app.app_context():
        engine = db.engine
        facts.workers_in_db = _scalar(engine, "SELECT count(*) FROM worker")
        workers = _first_workers(engine, opts.workers)
        results += ensure_years(env, engine, facts)
        marks = _pass_marks(engine)
        rows = make_rows(workers, opts.seed)
        facts.file = describe(rows, marks)

        deleted, touched = delete_clashes(rows)
        facts.notes.append(
            f"setup: deleted {deleted:,} existing results with a key of the file "
            f"(from seed-demo or an earlier run) and recomputed the {touched:,} workers' qualifications"
        )
        if opts.vacuum:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
            facts.notes.append("VACUUM ANALYZE ran after the setup, before the import")

        path = workdir / f"results-{len(rows)}.csv"
        write_csv(rows, path)
        results += import_twice(rows, path, env, engine, facts)
        results += recompute(sorted(w[0] for w in workers), facts)
    return results, facts


# ---- the database ----


def _scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def _first_workers(engine, count: int) -> list[tuple[int, str, str]]:
    with engine.connect() as conn:
        workers = conn.execute(
            sa.text("SELECT id, id_number, name FROM worker ORDER BY id LIMIT :n"), {"n": count}
        ).all()
    if len(workers) < count:
        raise BenchError(f"the database holds {len(workers)} workers, fewer than the {count} the file needs")
    return [tuple(w) for w in workers]


def ensure_years(env: dict, engine, facts: ExamFacts) -> list[Result]:
    """Exam years 2024 and 2025: reused when there (seed-demo makes them), else `flask exams add-year`."""
    with engine.connect() as conn:
        have = set(conn.execute(sa.text("SELECT year FROM exam_year")).scalars())
    results, added = [], []
    for year, (exam_date, results_date) in YEARS.items():
        if year in have:
            continue
        command = [FLASK, "exams", "add-year", str(year), "--results-date", results_date.isoformat()]
        command += ["--exam-date", exam_date.isoformat()]
        done = checked(run_child(command, env, str(PROJECT)), f"flask exams add-year {year}")
        results.append(Result(f"flask exams add-year {year}", done.seconds, "s"))
        added.append(str(year))
    kept = [str(y) for y in YEARS if y in have]
    facts.notes.append(
        "exam years "
        + "; ".join(
            filter(None, [f"{', '.join(kept)} reused" if kept else "", f"{', '.join(added)} added" if added else ""])
        )
    )
    return results


def _pass_marks(engine) -> dict[tuple[int, str], int]:
    """(year, subject) -> pass mark in tenths; 60 where a year has no mark for a subject."""
    with engine.connect() as conn:
        marks = {
            (r.year, r.subject): int(r.mark * 10)
            for r in conn.execute(
                sa.text("SELECT y.year, m.subject, m.mark FROM pass_mark m JOIN exam_year y ON y.id = m.exam_year_id")
            )
        }
    return {(y, s): marks.get((y, s), 600) for y in YEARS for s in (*ASSISTANT, *INTERMEDIATE, "S1")}


def delete_clashes(rows: list[Row]) -> tuple[int, int]:
    """Delete the results that have a key of the file and bring qualifications in line; commit."""
    groups: dict[tuple[int, str], list[int]] = {}
    for r in rows:
        groups.setdefault((r.year, r.subject), []).append(r.worker_id)
    touched: set[int] = set()
    deleted = 0
    for (year, subject), ids in groups.items():
        gone = db.session.execute(
            sa.text(
                "DELETE FROM exam_result WHERE subject = :s AND worker_id = ANY(:ids)"
                " AND exam_year_id = (SELECT id FROM exam_year WHERE year = :y) RETURNING worker_id"
            ),
            {"s": subject, "ids": ids, "y": year},
        ).scalars()
        for wid in gone:
            touched.add(wid)
            deleted += 1
    if touched:
        services.recompute_qualifications(sorted(touched))
    db.session.commit()
    return deleted, len(touched)


def _counts(engine) -> dict:
    with engine.connect() as conn:
        quals = {
            f"{r.level}/{r.source}": r.n
            for r in conn.execute(
                sa.text(
                    "SELECT level, source, count(*) AS n FROM qualification"
                    " GROUP BY level, source ORDER BY level, source"
                )
            )
        }
        return {
            "exam_result": conn.execute(sa.text("SELECT count(*) FROM exam_result")).scalar(),
            "audit_log": conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar(),
            "review_item": conn.execute(sa.text("SELECT count(*) FROM review_item")).scalar(),
            "qualifications": quals,
        }


# ---- the file ----


def make_rows(workers: list[tuple[int, str, str]], seed: int) -> list[Row]:
    """Exactly two rows per worker on average, every worker in the file:
    - half the workers: A1 and A2 in one year (2024 or 2025): an assistant when both pass;
    - a quarter: I1, I2, I3, each in 2024 or 2025 (the two consecutive years of the rule):
      an intermediate when all three pass;
    - a quarter: S1 alone, in 2024 or 2025 (three rows above, one here: two on average).
    """
    rng = random.Random(seed)
    quarter = len(workers) // 4
    tracks = ["I"] * quarter + ["S"] * quarter + ["A"] * (len(workers) - 2 * quarter)
    rng.shuffle(tracks)
    rows = []
    for (wid, number, name), track in zip(workers, tracks, strict=True):
        if track == "A":
            year = rng.choice(list(YEARS))
            planned = [(year, s) for s in ASSISTANT]
        elif track == "I":
            planned = [(rng.choice(list(YEARS)), s) for s in INTERMEDIATE]
        else:
            planned = [(rng.choice(list(YEARS)), "S1")]
        for year, subject in planned:
            score = rng.randint(600, 990) if rng.random() < PASS_RATE else rng.randint(300, 599)
            rows.append(Row(wid, number, name, year, subject, score))
    return rows


def write_csv(rows: list[Row], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        out = csv.writer(file)
        out.writerow([c.zh for c in KINDS["results"].columns])
        for r in rows:
            out.writerow([r.id_number, r.name, r.year, r.subject, f"{r.score // 10}.{r.score % 10}"])


def completions(rows: list[Row], marks: dict) -> dict[str, set[int]]:
    """Workers whose rows in the file alone complete a level (they must hold it afterwards)."""
    passed: dict[int, set[tuple[int, str]]] = {}
    for r in rows:
        if r.score >= marks[(r.year, r.subject)]:
            passed.setdefault(r.worker_id, set()).add((r.year, r.subject))
    out: dict[str, set[int]] = {"assistant": set(), "intermediate": set()}
    for wid, got in passed.items():
        if any(all((y, s) in got for s in ASSISTANT) for y in YEARS):
            out["assistant"].add(wid)
        if all(any((y, s) in got for y in YEARS) for s in INTERMEDIATE):  # 2024 and 2025 are consecutive
            out["intermediate"].add(wid)
    return out


def describe(rows: list[Row], marks: dict) -> dict:
    done = completions(rows, marks)
    return {
        "rows": len(rows),
        "workers": len({r.worker_id for r in rows}),
        "rows_by_year": dict(sorted(Counter(r.year for r in rows).items())),
        "rows_by_subject": dict(sorted(Counter(r.subject for r in rows).items())),
        "rows_below_pass_mark": sum(r.score < marks[(r.year, r.subject)] for r in rows),
        "completing_assistant": len(done["assistant"]),
        "completing_intermediate": len(done["intermediate"]),
    }


# ---- the import and the re-import, through the real CLI ----


def import_twice(rows: list[Row], path: Path, env: dict, engine, facts: ExamFacts) -> list[Result]:
    command = [FLASK, "exams", "import-results", str(path)]
    before = _counts(engine)
    first = checked(run_child(command, env, str(PROJECT)), "the results import")
    after = _counts(engine)
    grew = after["exam_result"] - before["exam_result"]
    if grew != len(rows):
        raise BenchError(f"the import added {grew} exam results, not {len(rows)}: {first.output.strip()}")
    summary = _summary(first.output)
    if summary != [len(rows), len(rows), 0, 0, 0]:
        raise BenchError(f"the import's summary is not {len(rows)} new rows: {first.output.strip()}")
    _check_qualifications(rows, engine, facts)

    second = checked(run_child(command, env, str(PROJECT)), "the results re-import")
    again = _summary(second.output)
    changes = again[1] + again[2] + again[4]
    if again[0] != len(rows) or _counts(engine) != after:
        raise BenchError(f"the re-import changed the database or misread the file: {second.output.strip()}")
    facts.exam_results = {"before": before["exam_result"], "after": after["exam_result"], "added": grew}
    facts.qualifications = {"before": before["qualifications"], "after": after["qualifications"]}
    label = f"{len(rows):,} new rows, {facts.file['workers']:,} workers"
    return [
        Result(f"results import, {label}: wall time", first.seconds, "s", 60, first.output.strip().splitlines()[-1]),
        Result("results import: peak RSS", first.peak_rss_mib, "MiB"),
        Result(f"results re-import, same {len(rows):,} rows: wall time", second.seconds, "s", 60),
        Result("results re-import: peak RSS", second.peak_rss_mib, "MiB"),
        Result("results re-import: changes reported", changes, "", 1, second.output.strip().splitlines()[-1], "0"),
    ]


def _check_qualifications(rows: list[Row], engine, facts: ExamFacts) -> None:
    """Everyone whose new passes alone complete a level holds it; nobody holds what the rules forbid."""
    expected = completions(rows, _pass_marks(engine))
    with engine.connect() as conn:
        held: dict[str, set[int]] = {}
        for r in conn.execute(sa.text("SELECT worker_id, level FROM qualification")):
            held.setdefault(r.level, set()).add(r.worker_id)
        # computed without the passes a level needs: A1+A2 in one year, I1..I3 within two years
        wrong_assistant = conn.execute(
            sa.text(
                "SELECT count(*) FROM qualification q WHERE q.level = 'assistant' AND q.source = 'computed'"
                " AND NOT EXISTS (SELECT 1 FROM exam_result a JOIN exam_result b"
                "   ON b.worker_id = a.worker_id AND b.exam_year_id = a.exam_year_id"
                "   WHERE a.worker_id = q.worker_id AND a.subject = 'A1' AND b.subject = 'A2'"
                "   AND a.passed AND b.passed)"
            )
        ).scalar()
    missing = {level: len(ids - held.get(level, set())) for level, ids in expected.items()}
    if any(missing.values()) or wrong_assistant:
        raise BenchError(
            f"qualifications after the import are not plausible: missing {missing}, "
            f"{wrong_assistant} computed assistants without A1+A2 passed in one year"
        )
    facts.notes.append(
        f"checked: the {len(expected['assistant']):,} workers whose new A1+A2 pass in one year and the "
        f"{len(expected['intermediate']):,} whose new I1+I2+I3 pass in 2024/2025 hold that level; "
        "every computed assistant has A1+A2 passed in one year"
    )


def _summary(output: str) -> list[int]:
    """The five counts of the import's last line: rows read, new, changing, up to date, to the
    review queue (labels are translated)."""
    lines = output.strip().splitlines()
    numbers = [int(n) for n in re.findall(r"[:：]\s*(\d+)", lines[-1])] if lines else []
    if len(numbers) != 5:
        raise BenchError(f"cannot read the import's summary line: {lines[-1] if lines else '(no output)'}")
    return numbers


# ---- recompute_qualifications alone, in-process ----


def recompute(worker_ids: list[int], facts: ExamFacts) -> list[Result]:
    """Twice, each rolled back: with nothing to change (after the import every computed
    qualification is current), and from scratch (the workers' computed qualifications deleted first)."""
    db.session.rollback()
    start = time.perf_counter()
    steady = services.recompute_qualifications(worker_ids)
    steady_s = time.perf_counter() - start
    db.session.rollback()

    removed = db.session.execute(
        sa.text("DELETE FROM qualification WHERE source = 'computed' AND worker_id = ANY(:ids)"), {"ids": worker_ids}
    ).rowcount
    start = time.perf_counter()
    scratch = services.recompute_qualifications(worker_ids)
    scratch_s = time.perf_counter() - start
    db.session.rollback()
    if scratch["created"] != removed:
        facts.notes.append(f"recompute from scratch created {scratch['created']:,} of the {removed:,} deleted")
    n = f"{len(worker_ids):,} workers"
    return [
        Result(f"recompute_qualifications, {n}, nothing to change", steady_s, "s"),
        Result(
            "recompute_qualifications: changes found",
            sum(steady.values()),
            "",
            1,
            "after the import every computed qualification is current: "
            + ", ".join(f"{k}={v}" for k, v in steady.items()),
            "0",
        ),
        Result(
            f"recompute_qualifications, {n}, from scratch",
            scratch_s,
            "s",
            note=f"{removed:,} computed qualifications deleted first (not timed); created={scratch['created']:,}; "
            "rolled back",
        ),
    ]
