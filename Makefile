# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test test-clock screenshots lint format bench translations extract-messages install install-dev lock clean-db migrate-check

# Dependencies are locked: requirements.txt (runtime) and requirements-dev.txt (runtime + dev tools)
# pin every package with its hashes, compiled by `make lock` from requirements.in and
# requirements-dev.in. pip installs them in hash-checking mode: a file whose hash is not in the
# lock is refused.
# The lines of one package in a lock file (its pin and its hashes): $(call locked,NAME,FILE)
locked = awk '/^$(1)==/ {p=1} p {print} p && !/\\$$/ {exit}' $(2)

# pip itself comes from the lock too (pip-tools needs it, so requirements-dev.txt pins it).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r <($(call locked,pip,requirements-dev.txt))

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements.txt
	touch $@

# honcho alone of the dev tools: `make run` needs it, production does not. Its pin and hashes
# come from requirements-dev.txt (honcho has no dependencies of its own).
$(VENV)/.honcho: requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r <($(call locked,honcho,requirements-dev.txt))
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements-dev.txt
	touch $@ $(VENV)/.runtime $(VENV)/.honcho

install: $(VENV)/.runtime translations
install-dev: $(VENV)/.dev translations

# Updating a dependency: change its line in requirements.in (runtime) or requirements-dev.in (dev
# tools), run `make lock`, then `make test`; commit the .in and the .txt files together. A package
# that is not pinned in a .in file (a dependency of a dependency) keeps its locked version until
# asked: `make lock LOCK_ARGS="--upgrade-package NAME"` (or LOCK_ARGS=--upgrade for all of them).
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes \
	--strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: $(VENV)/.dev
	$(PIP_COMPILE) requirements.in
	$(PIP_COMPILE) requirements-dev.in

# Compiled catalogs (.mo) are built from the .po files that are kept in git.
translations: $(VENV)/.runtime
	@$(BIN)/pybabel -q compile -d app/translations

extract-messages: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _lp:1c,2 -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

# PORT=8000 make run serves elsewhere; a port already taken is skipped for the next free one.
PORT ?= 5000
run: install $(VENV)/.honcho
	@mkdir -p instance
	@$(BIN)/flask db upgrade
	@$(BIN)/flask seed-demo
	@port=$$($(BIN)/python scripts/free_port.py $(PORT)); \
	echo ""; \
	echo "  The site:  http://127.0.0.1:$$port   (Ctrl-C stops the site, the worker and beat)"; \
	echo ""; \
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho start -f Procfile -p $$port

# Two processes by default (pytest-xdist): each has its own databases, Celery queues and live server.
# The allowance oracle (tests/allowance/test_sql_oracle.py: SQL vs rules.py on random histories)
# runs 1,500 examples here (it writes their count and time to the log: about 170 ms each, one test
# process's 4 minutes; with the suite run three times, `.ci/run` is near its 20 minutes at 2,000);
# `make test ALLOWANCE_ORACLE_EXAMPLES=10000` runs more. A plain `pytest` runs 100, and so does
# test-clock (the oracle's months are fixed dates: the clock changes nothing there).
TEST_WORKERS ?= 2
ALLOWANCE_ORACLE_EXAMPLES ?= 1500
test: install-dev
	ALLOWANCE_ORACLE_EXAMPLES=$(ALLOWANCE_ORACLE_EXAMPLES) $(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The suite again on other days (browser tests and the several-hosts drill aside: its hosts live
# on the real clock): the last minutes of a February and a leap day. TEST_CLOCK moves the clock
# of the tests and of the workers they start (tests/clock.py).
CLOCK_DAYS ?= 2031-02-28T23:50 2032-02-29
test-clock: install-dev
	@for day in $(CLOCK_DAYS); do \
	  echo "== the suite on $$day"; \
	  TEST_CLOCK=$$day $(BIN)/pytest -q -n $(TEST_WORKERS) --ignore=tests/browser --ignore=tests/multihost $(PYTEST_ARGS) || exit 1; \
	done

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The documentation's pictures: the main pages, then every browser journey at 1366 and 390 px.
screenshots: install-dev
	$(BIN)/python scripts/screenshots.py --out docs/screenshots
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest -q -p no:logging tests/browser

bench: install-dev
	$(BIN)/python -m bench $(BENCH_ARGS)

clean-db:
	rm -f instance/socialwork.sqlite instance/celery-*.sqlite instance/celerybeat-schedule*
