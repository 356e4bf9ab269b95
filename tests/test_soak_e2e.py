"""Sustained load: 200 full conversations, 20 users at once, over loopback REST.

Runs benchmarks/soak.py (its own servers and a fresh SQLite db; report in results/soak/)
and checks what must hold however busy the machine is: no 5xx, no lost or duplicated
event, every conversation at its expected level, and memory that levels off. Nothing
here depends on timing (latency and throughput are only reported).

Memory criterion: the RSS of both servers together at the end of the load may be at most
MEMORY_GROWTH_MB above its level once a quarter of the conversations had finished (each a
median of 5 samples, 2 s apart, so one transient spike does not count). On the 2-core
machine (2026-11-26, runs of 200 and 600 conversations) both servers stayed within about
1 MB of that level after a transient peak in the first seconds. 50 MB is far above that
noise, yet fails a leak of about 0.33 MB per conversation (about 50 kB per message) over
the last three quarters of this run.
"""

import pytest

from benchmarks.soak import DEFAULT_OUT, run_soak
from benchmarks.soak_report import figure_rows
from tools.stats import table

CONVERSATIONS = 200
USERS = 20
MEMORY_GROWTH_MB = 50


@pytest.mark.e2e
def test_soak_200_conversations_20_users():
    result = run_soak(conversations=CONVERSATIONS, users=USERS, out=DEFAULT_OUT)
    figures = table(["figure", "value"], figure_rows(result))
    problems = "\n".join(result.problem_conversations[:20])
    where = f"\n{figures}\n{problems}\n(report: {DEFAULT_OUT / 'report.md'})"

    assert result.http_5xx == 0, f"HTTP 5xx: {result.http_statuses} {result.error_samples}{where}"
    assert result.connection_errors == 0, f"{result.connection_error_kinds} {result.error_samples}{where}"
    assert result.lost == 0, f"lost user events{where}"
    assert result.duplicated == 0, f"duplicated user events{where}"
    assert result.out_of_order == 0 and result.bot_mismatch == 0 and result.unreadable == 0, where
    assert result.expected_level == CONVERSATIONS, f"not every conversation at its expected level{where}"

    growth = result.memory["total"].growth_after_first_quarter_mb
    assert growth <= MEMORY_GROWTH_MB, (
        f"RSS grew {growth:.0f} MB over the last three quarters of the conversations (limit {MEMORY_GROWTH_MB}){where}"
    )
    assert result.log_tracebacks == 0, "\n".join(result.log_traceback_samples)[-4000:]
