"""Reading the servers' logs: the records that hold a traceback (the servers must never
fail), and the lines written since a moment in a test."""

import re
from pathlib import Path
from typing import Dict, Iterable, List

# A log record starts with a timestamp; LogWindow.text starts each file with "--- name".
RECORD_START = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}|--- )", re.MULTILINE)


def records_with_traceback(text: str) -> List[str]:
    """Log records (a timestamped line and what follows it) that hold a Traceback."""
    starts = [m.start() for m in RECORD_START.finditer(text)] + [len(text)]
    records = [text[a:b] for a, b in zip(starts, starts[1:])]
    if starts[0] > 0:
        records.insert(0, text[: starts[0]])
    return [record for record in records if "Traceback" in record]


def tracebacks_in(paths: Iterable[Path]) -> Dict[Path, List[str]]:
    """The records with a traceback in each log file that has any."""
    found = {}
    for path in paths:
        records = records_with_traceback(path.read_text(errors="replace"))
        if records:
            found[path] = records
    return found


class LogWindow:
    """The log lines written since it was made, in files given as {process: [paths]}
    (a restarted process logs to a new file, appended to its list)."""

    def __init__(self, logs: Dict[str, List[Path]]):
        self.logs = logs
        self.sizes = {path: path.stat().st_size for paths in logs.values() for path in paths}

    def text(self) -> str:
        parts = []
        for paths in self.logs.values():
            for path in paths:
                with path.open("rb") as handle:
                    handle.seek(self.sizes.get(path, 0))
                    parts.append(f"--- {path.name}\n" + handle.read().decode(errors="replace"))
        return "\n".join(parts)
