"""Print the first port from ARGV[1] upward that nothing on 127.0.0.1 listens on (for `make run`)."""

import socket
import sys


def first_free(start: int) -> int:
    for port in range(start, start + 100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port between {start} and {start + 99}")


if __name__ == "__main__":
    print(first_free(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
