"""The soak test's figures as rows of a table, and its Markdown report."""

from typing import TYPE_CHECKING, List, Tuple

from tools.stats import table

if TYPE_CHECKING:
    from benchmarks.soak import SoakResult


def figure_rows(r: "SoakResult") -> List[Tuple[str, object]]:
    lat = r.latency_ms
    rows: List[Tuple[str, object]] = [
        ("conversations (users)", f"{r.conversations} ({r.users} concurrent)"),
        ("load duration", f"{r.load_seconds} s ({r.load_seconds / 60:.1f} min)"),
        ("messages sent (POST webhook)", r.messages),
        ("tracker reads during the load", r.tracker_reads),
        ("throughput", f"{r.throughput_msg_s} msg/s, {r.conversations_per_min} conversations/min"),
        ("message latency p50 / p95 / p99 / max", f"{lat['p50']} / {lat['p95']} / {lat['p99']} / {lat['max']} ms"),
        ("tracker read latency p50 / p95", f"{r.tracker_latency_ms['p50']} / {r.tracker_latency_ms['p95']} ms"),
        ("HTTP 5xx", r.http_5xx),
        ("HTTP 4xx", r.http_4xx),
        ("connection errors / timeouts", r.connection_errors),
        ("lost user events", r.lost),
        ("duplicated user events", r.duplicated),
        ("conversations with events out of order", r.out_of_order),
        ("conversations whose stored bot events differ from the replies", r.bot_mismatch),
        ("trackers unreadable after the run", r.unreadable),
        ("concluded at the expected level", f"{r.expected_level} / {r.conversations}"),
        ("wrong level / not concluded (stuck or error)", f"{r.wrong_level} / {r.not_concluded}"),
        ("top cause as expected", f"{r.expected_top_cause} / {r.conversations}"),
    ]
    for name, label in (("rasa", "Rasa server"), ("actions", "action server"), ("total", "both")):
        f = r.memory[name]
        rows.append(
            (
                f"RSS {label}: start / 1st quarter / peak / end (MB)",
                f"{f.start_mb} / {f.after_first_quarter_mb} / {f.peak_mb} / {f.end_mb}",
            )
        )
        rows.append(
            (
                f"RSS {label}: growth from 1st quarter to end (medians of {r.level_samples} samples)",
                f"{f.growth_after_first_quarter_mb} MB ({f.first_quarter_level_mb} -> {f.end_level_mb})",
            )
        )
        rows.append(
            (
                f"RSS {label}: 2nd-half slope",
                f"{f.second_half_mb_per_min} MB/min, {f.second_half_mb_per_100_conversations} MB/100 conv.",
            )
        )
    rows.append(("Tracebacks in server logs", r.log_tracebacks))
    return rows


def write_report(r: "SoakResult") -> str:
    """The report's Markdown text."""
    verdict = (
        "**pass** (no 5xx, no lost or duplicated event)" if not r.failures else f"**FAIL**: {', '.join(r.failures)}"
    )
    lines = [
        "# Soak test",
        "",
        f"Run {r.when}, {r.machine}, Rasa {r.rasa}. Command: `python -m benchmarks.soak "
        f"--conversations {r.conversations} --users {r.users}`. Verdict: {verdict}",
        "",
        f"Machine load before: {r.load_before}; after: {r.load_after} (other jobs share the CPUs, "
        "so latency and throughput move with them; the counts do not).",
        "",
        table(["figure", "value"], figure_rows(r)),
        "",
        "## How it was measured",
        "",
        "* Servers: `tools/servers.py` (`rasa run actions`, `rasa run` with the REST channel, the "
        "token API and a fresh SQLite tracker store), one Sanic worker each, on 127.0.0.1.",
        f"* Load: {r.users} virtual users (asyncio + aiohttp) take conversations from a queue of "
        f"{r.conversations}, tests/vignettes.yml cycled, a new sender id each. A conversation is "
        "played as tools/vignettes.py plays it: the opening, then after every reply a tracker read "
        "gives `requested_slot`, answered from the vignette, until `triage_level` is set. "
        "A message that gets no 2xx ends its conversation (no retry).",
        "* Latency: client side, per POST /webhooks/rest/webhook, including queueing behind the other users' messages.",
        "* Audit after the load: every tracker is read again. Lost = a message acknowledged with a "
        "2xx that is not among the tracker's user events (as often as it was sent); duplicated = a "
        "text stored more often than it was sent. Bot events are compared with the messages the "
        "person received, in order.",
        f"* Memory: VmRSS of each server process (with children) from /proc every {r.sample_seconds} s. "
        "'1st quarter' is the first sample after a quarter of the conversations had finished; the "
        f"growth compares the median of {r.level_samples} samples from there with the median of the last "
        f"{r.level_samples} (a leak raises both medians, a single transient spike neither); the "
        "slope is a least-squares fit over the samples of the second half of the load.",
        "",
    ]
    if r.error_samples:
        lines += ["## Errors seen", ""] + [f"* `{e}`" for e in r.error_samples] + [""]
    if r.problem_conversations:
        lines += ["## Conversations with a problem", ""] + [f"* {b}" for b in r.problem_conversations[:40]] + [""]
    if r.log_traceback_samples:
        lines += ["## Tracebacks in the server logs", "", "```"] + r.log_traceback_samples + ["```", ""]
    lines += [
        "## Memory samples (seconds, conversations done, Rasa MB, actions MB)",
        "",
        " ".join(f"({s[0]}, {s[1]}, {s[2]}, {s[3]})" for s in r.memory_samples),
        "",
    ]
    return "\n".join(lines)
