"""Several hosts, proved on one machine (issue #13): Linux network namespaces joined by a bridge,
each a "host" with its own address — db (PostgreSQL, Redis, an SMTP sink), web (gunicorn, beat),
w1 and w2 (Celery workers) — and drills that kill or cut off a worker host mid-run.

`sudo .venv/bin/python -m scripts.multihost.drill --workers 20000` (README, "Running on several
machines")."""
