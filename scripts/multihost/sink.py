"""`python -m scripts.multihost.sink ADDRESS PORT FILE`: an SMTP server (aiosmtpd) that takes
every message and appends its Message-ID to FILE, one a line, written at once (the drill counts
them while the workers send)."""

import re
import sys
import threading
import time

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class Sink:
    def __init__(self, path: str):
        self.out = open(path, "a", encoding="utf-8")  # noqa: SIM115 (open for the server's life)
        self.lock = threading.Lock()

    async def handle_DATA(self, _server, _session, envelope):
        found = MESSAGE_ID.search(envelope.content.split(b"\r\n\r\n", 1)[0])
        with self.lock:
            self.out.write((found.group(1).decode() if found else "-") + "\n")
            self.out.flush()
        return "250 OK"


def main(address: str, port: str, path: str) -> None:
    controller = Controller(Sink(path), hostname=address, port=int(port))
    controller.start()
    print(f"sink listening on {address}:{port}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(*sys.argv[1:4])
