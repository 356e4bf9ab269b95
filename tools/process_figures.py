"""What /proc says about the servers under test and about the machine around them."""

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Collection, List


@dataclass(frozen=True)
class Memory:
    rss_mb: float  # resident now (VmRSS)
    peak_mb: float  # resident at the peak (VmHWM)
    processes: int  # the process and its children, each counted

    def rounded(self) -> dict:
        return {"rss_mb": round(self.rss_mb), "peak_mb": round(self.peak_mb), "processes": self.processes}


def process_memory(pid: int) -> Memory:
    """VmRSS and VmHWM in MB of a process and all its children (0 when it is gone)."""
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        for children in glob.glob(f"/proc/{current}/task/*/children"):
            try:
                queue += [int(child) for child in Path(children).read_text().split()]
            except OSError:
                pass
    rss = peak = 0.0
    for current in pids:
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    peak += int(line.split()[1]) / 1024
        except OSError:
            pass
    return Memory(rss, peak, len(pids))


@dataclass(frozen=True)
class MachineLoad:
    loadavg_1m: float
    loadavg_5m: float
    cpus: int
    other_running: List[str] = field(default_factory=list)  # command lines, at most five

    def __str__(self) -> str:
        text = f"load average {self.loadavg_1m:.2f} (1 min), {self.loadavg_5m:.2f} (5 min) on {self.cpus} CPUs"
        if self.other_running:
            text += "; also running: " + "; ".join(f"`{command}`" for command in self.other_running)
        return text


def machine_load(ours: Collection[int] = ()) -> MachineLoad:
    """The load average and the other processes on the CPU right now (not `ours`, not this
    one): other work on the machine moves latency and throughput figures."""
    load1, load5, _ = os.getloadavg()
    mine = set(ours) | {os.getpid()}
    busy = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            pid = int(stat.split("/")[2])
            state = Path(stat).read_text().rsplit(")", 1)[1].split()[0]
            if state == "R" and pid not in mine:
                busy.append(Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").strip()[:90])
        except (OSError, ValueError, IndexError):
            pass
    return MachineLoad(round(load1, 2), round(load5, 2), os.cpu_count() or 1, busy[:5])
