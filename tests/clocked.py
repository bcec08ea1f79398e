"""`python -m tests.clocked MODULE ARGS…` runs a module (e.g. celery) on the suite's clock.

Test worker processes start this way, so that with TEST_CLOCK they live on the same
shifted day as the tests that send them work (tests/clock.py).
"""

import runpy
import sys

from tests.clock import start_shifted_clock

if __name__ == "__main__":
    start_shifted_clock()
    sys.argv = sys.argv[1:]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
