"""Waits until something listens on a local TCP port (used by make chat / make serve)."""

import socket
import sys
import time

port, deadline = int(sys.argv[1]), time.monotonic() + float(sys.argv[2] if len(sys.argv) > 2 else 60)
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(f"nothing listens on port {port}")
