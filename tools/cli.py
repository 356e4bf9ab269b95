"""What every command-line harness does: timestamped progress lines, and a clean stop
(its `finally` blocks run and stop the servers) when it gets SIGTERM."""

import signal
import time
from types import FrameType
from typing import Callable, Optional


def progress_log(name: str) -> Callable[[str], None]:
    """A function printing `[name HH:MM:SS] message` at once (output may be piped)."""

    def log(message: str) -> None:
        print(f"[{name} {time.strftime('%H:%M:%S')}] {message}", flush=True)

    return log


def _interrupt(signum: int, frame: Optional[FrameType]) -> None:
    raise KeyboardInterrupt


def stop_on_sigterm() -> None:
    """`kill` then stops the run like Ctrl-C does."""
    signal.signal(signal.SIGTERM, _interrupt)
