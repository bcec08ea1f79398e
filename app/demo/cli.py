import random
import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from app import demo
from app.demo import reports as demo_reports
from app.demo import training as demo_training
from app.extensions import db
from app.workers.models import Worker


@click.command("seed-demo")
@click.option("--workers", "count", default=300, show_default=True, help="How many workers to create.")
@with_appcontext
def seed_demo_command(count):
    """Load demo places, workers and one account per role into an empty registry."""
    if db.session.scalar(sa.select(sa.func.count(Worker.id))):
        click.echo("The registry already has workers; no demo workers added.")
    else:
        rng = random.Random(2026)
        demo.seed_places(rng)
        if sys.stdout.isatty():
            with click.progressbar(length=count, label="workers") as bar:
                demo.seed_workers(rng, count, progress=bar.update)
        else:  # a bar that cannot redraw leaves a stray line in logs and in `make run`
            demo.seed_workers(rng, count)
        demo.seed_exams(rng)
        demo_training.seed_training(rng)
        demo_reports.seed_reports(rng)
        demo_reports.seed_pay_floor(rng)
        click.echo(f"Demo data loaded: {count} workers.")
    accounts = demo.seed_accounts()
    db.session.commit()
    click.echo(f"Demo accounts (password {demo.DEMO_PASSWORD}):")
    for username, role, label in accounts:
        click.echo(f"  {username:<11} {role:<12} {label}")
