"""One controllable clock for the whole suite.

The application reads time only through app/core/timeutil.py (utcnow, local_today), which
read Python's clock; tests move that clock with time-machine, never by patching our code.

- A test that needs a fixed instant uses the `clock` fixture: `clock.move_to(datetime)`.
- `TEST_CLOCK=2032-02-29` (or an ISO instant) runs the whole suite as if today were that day:
  every test process and every Celery worker process the tests start travel by the same
  offset from the real clock, and the clock keeps ticking. CI runs the suite a second time
  this way (see .ci/run); `make test-clock` does it locally.
"""

import os
from datetime import UTC, datetime, time

import time_machine

from app.core.timeutil import LOCAL_TZ

OFFSET_VAR = "TEST_CLOCK_OFFSET"  # seconds, handed to child processes


def _parse(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if len(value) == 10:  # a date alone: 09:00 Beijing time that day
        moment = datetime.combine(moment.date(), time(9, 0))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment


def start_shifted_clock() -> time_machine.travel | None:
    """Shift this process's clock when TEST_CLOCK (or an inherited offset) asks for it."""
    offset = os.environ.get(OFFSET_VAR)
    if offset is None and os.environ.get("TEST_CLOCK"):
        target = _parse(os.environ["TEST_CLOCK"])
        offset = str((target - datetime.now(UTC)).total_seconds())
        os.environ[OFFSET_VAR] = offset  # workers started later shift by the same amount
    if offset is None:
        return None
    destination = datetime.now(UTC).timestamp() + float(offset)
    traveller = time_machine.travel(destination, tick=True)
    traveller.start()
    return traveller


class Clock:
    """Moves this process's clock for one test; the fixture puts it back afterwards."""

    def __init__(self):
        self._travels: list[time_machine.travel] = []

    def move_to(self, moment: datetime, tick: bool = False) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=LOCAL_TZ)
        traveller = time_machine.travel(moment, tick=tick)
        traveller.start()
        self._travels.append(traveller)
        return moment

    def stop(self) -> None:
        while self._travels:
            self._travels.pop().stop()
