"""The benchmark's table and Markdown report: one column per target, the others' figures
also as ratios to the first (the baseline, measured in the same run), and the goals
checked on the targets held to them."""

from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Tuple

from benchmarks.targets import Target
from tools.stats import table

if TYPE_CHECKING:
    from benchmarks.benchmark import Settings

# Goals from the brief, for the targets held to them.
GOAL_THROUGHPUT_RATIO_20 = 2.0  # at 20 users, against the baseline
GOAL_P95_20_MS = 500
GOAL_P50_1_MS = 40
GOAL_GROWTH_30 = 1.2
GOAL_STARTUP_S = 20

Value = Optional[object]


def _fmt(value: Value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ratio(value: Value, baseline: Value) -> Optional[float]:
    if isinstance(value, (int, float)) and isinstance(baseline, (int, float)) and baseline:
        return round(value / baseline, 2)
    return None


def figure(target: Target, *keys: str) -> Value:
    """target.results[key1][key2]...; None where it was not measured."""
    value: Value = target.results
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def memory_mb(target: Target, prefix: str = "") -> Optional[float]:
    """Resident MB after the load, summed over the target's processes named `prefix`..."""
    memory = figure(target, "memory")
    if not isinstance(memory, dict):
        return None
    sizes = [m["rss_mb"] for name, m in memory.items() if name.startswith(prefix)]
    return sum(sizes) if sizes else None


def user_counts(targets: Sequence[Target], settings: "Settings") -> List[int]:
    return sorted({users for t in targets for users in (t.users or settings.users)})


def throughput_ratio_met(baseline: Target, load: str) -> Callable[[Target], bool]:
    def met(t: Target) -> bool:
        ratio = _ratio(figure(t, load, "throughput"), figure(baseline, load, "throughput"))
        return (ratio or 0) >= GOAL_THROUGHPUT_RATIO_20

    return met


def build_rows(targets: Sequence[Target], settings: "Settings") -> Tuple[List[str], List[List[str]]]:
    """The header and rows of the summary table."""
    baseline, others = targets[0], targets[1:]
    header = ["metric", *[t.label for t in targets], *[f"{t.name}/{baseline.name}" for t in others], "goal", "met"]
    rows: List[List[str]] = []

    def row(
        metric: str,
        value: Callable[[Target], Value],
        goal: str = "",
        met: Optional[Callable[[Target], bool]] = None,
        ratio: bool = True,
    ) -> None:
        values = [value(t) for t in targets]
        ratios = [_fmt(_ratio(v, values[0]), 2) if ratio else "-" for v in values[1:]]
        marks = ""
        if met is not None:
            checked = [t for t in targets if t.held_to_goals]
            verdicts = ["-" if value(t) is None else "yes" if met(t) else "NO" for t in checked]
            marks = verdicts[0] if len(checked) == 1 else ", ".join(f"{t.name} {v}" for t, v in zip(checked, verdicts))
        rows.append([metric, *[_fmt(v) for v in values], *ratios, goal, marks])

    def at(*keys: str) -> Callable[[Target], Value]:
        return lambda t: figure(t, *keys)

    def at_most(limit: float, *keys: str) -> Callable[[Target], bool]:
        def met(t: Target) -> bool:
            value = figure(t, *keys)
            return isinstance(value, (int, float)) and value <= limit

        return met

    def messages_and_errors(load: str) -> Callable[[Target], Value]:
        def both(t: Target) -> Value:
            if figure(t, load) is None:
                return None
            return f"{figure(t, load, 'messages')} / {figure(t, load, 'errors')}"

        return both

    row("training time (s)", lambda t: t.train_s)
    row(
        "start-up until /status (s)",
        lambda t: round(t.startup_s, 1),
        f"<= {GOAL_STARTUP_S} s",
        lambda t: t.startup_s <= GOAL_STARTUP_S,
    )
    row("first message after start (ms)", at("first_message_ms"))
    for users in user_counts(targets, settings):
        load = f"load_{users}"
        throughput_goal, throughput_met = "", None  # type: str, Optional[Callable[[Target], bool]]
        if users == 20:
            throughput_goal = f">= {GOAL_THROUGHPUT_RATIO_20:g}x {baseline.name}"
            throughput_met = throughput_ratio_met(baseline, load)

        row(f"{users} user(s): throughput (msg/s)", at(load, "throughput"), throughput_goal, throughput_met)
        row(
            f"{users} user(s): p50 (ms)",
            at(load, "p50"),
            f"<= {GOAL_P50_1_MS} ms" if users == 1 else "",
            at_most(GOAL_P50_1_MS, load, "p50") if users == 1 else None,
        )
        row(
            f"{users} user(s): p95 (ms)",
            at(load, "p95"),
            f"<= {GOAL_P95_20_MS} ms" if users == 20 else "",
            at_most(GOAL_P95_20_MS, load, "p95") if users == 20 else None,
        )
        row(f"{users} user(s): p99 (ms)", at(load, "p99"))
        row(f"{users} user(s): messages / errors", messages_and_errors(load), ratio=False)
    turns = settings.long_turns
    row("long conversation: turn 1 (ms)", at("long", "turn1"))
    row(f"long conversation: turn {turns} (ms)", at("long", "turn_last"))
    row(f"turn {turns} / turn 1", at("long", "ratio"), f"<= {GOAL_GROWTH_30}", at_most(GOAL_GROWTH_30, "long", "ratio"))
    row(
        f"turns {turns - 4}-{turns} / turns 2-6 (medians)",
        at("long", "ratio_smoothed"),
        f"<= {GOAL_GROWTH_30}",
        at_most(GOAL_GROWTH_30, "long", "ratio_smoothed"),
    )
    row("NLU only, /model/parse p50 (ms)", at("parse", "p50"))
    row("RSS Rasa server(s) after load (MB)", lambda t: memory_mb(t, "rasa"))
    row("RSS action server(s) after load (MB)", lambda t: memory_mb(t, "actions"), ratio=False)
    row("RSS total (MB)", memory_mb)
    return header, rows


def where_time_goes(targets: Sequence[Target]) -> List[str]:
    def cells(value: Callable[[Target], Value]) -> str:
        return " | ".join(_fmt(value(t)) for t in targets)

    def minus(a: Value, b: Value) -> Optional[float]:
        return round(a - b, 1) if isinstance(a, (int, float)) and isinstance(b, (int, float)) else None

    lines = [
        "## Where the time goes",
        "",
        "Over HTTP, single user, idle otherwise (medians):",
        "",
        "| | " + " | ".join(t.name for t in targets) + " |",
        "|---|" + "---|" * len(targets),
        f"| full turn, POST /webhooks/rest/webhook (ms) | {cells(lambda t: figure(t, 'webhook_single', 'p50'))} |",
        f"| NLU only, POST /model/parse (ms) | {cells(lambda t: figure(t, 'parse', 'p50'))} |",
        "| everything but NLU (ms) | "
        + cells(lambda t: minus(figure(t, "webhook_single", "p50"), figure(t, "parse", "p50")))
        + " |",
        f"| GET tracker after 4 turns (ms) | {cells(lambda t: figure(t, 'tracker_get', 'p50'))} |",
        "",
    ]
    for target in targets:
        art = figure(target, "action_rt")
        if isinstance(art, dict):
            short, long = art["short"], art["long"]
            lines += [
                f"{target.name}'s action server alone, POST /webhook with action_extract_findings in "
                "unpatched Rasa's format (every event and the domain; rasa_patches/lean_action_calls.py "
                f"sends far less): {short['p50']} ms with a {short['user_turns']}-turn tracker "
                f"({short['payload_kb']} KB payload, of which domain {short['domain_kb']} KB); {long['p50']} ms "
                f"with a {long['user_turns']}-turn tracker ({long['payload_kb']} KB, {long['events']} events).",
                "",
            ]
        prof = figure(target, "profile")
        if isinstance(prof, dict):
            lines += profile_table(target.name, prof)
    return lines


def profile_table(name: str, prof: dict) -> List[str]:
    st, first, last = prof["short_turns"], prof["long_first_turns"], prof["long_last_turns"]
    lines = [
        f"Inside {name}'s Rasa process (benchmarks/profile_turn.py: the model loaded in-process, the "
        "real action server over HTTP, a SQLite tracker store; exclusive times, median per "
        f"user message; {prof['short_turn_count']} turns of the vignette conversations, and "
        f"the first / last 3 turns of the {prof['long_turns']}-turn conversation):",
        "",
        "| stage (ms) | vignette turns | long conv. turns 1-3 | long conv. last 3 |",
        "|---|---|---|---|",
    ]
    for key, label in [
        ("total", "whole handle_message"),
        ("nlu", "NLU (parse_message)"),
        ("policies", "policies (graph predict, all steps)"),
        ("action_server_http", "action server HTTP (all calls)"),
        ("action_server_calls", "  number of action server calls"),
        ("action_response_validation", "validating the action server's responses (jsonschema)"),
        ("tracker_copy", "tracker.copy() (replays every event)"),
        ("tracker_copies", "  number of tracker copies"),
        ("tracker_load", "tracker store load"),
        ("tracker_save", "tracker store save"),
        ("other", "other (events, NLG, bookkeeping)"),
    ]:
        lines.append(f"| {label} | {st.get(key)} | {first.get(key)} | {last.get(key)} |")
    return lines + ["", f"In-process model load: {prof['model_load_seconds']} s.", ""]


# What is left to try for each stage of a turn, once the figures say it matters.
NEXT_STEPS = {
    "nlu": "the spaCy pipeline with medspaCy ConText, then DIET; profile `twitch_nlp` with the "
    "cProfile listing below before changing either",
    "action_server_http": "two calls per form turn (the custom slot mapping and the form's "
    "validation) on a kept-alive connection, each carrying the slots and this turn's events "
    "(rasa_patches/); this figure includes the action server's own time",
    "policies": "RulePolicy and Memoization turn the whole history into states at every "
    "prediction; this grows with the conversation",
    "tracker_load": "Rasa rebuilds the tracker from every event of the session; "
    "`session_expiration_time` bounds a session",
    "tracker_save": "one SQLite commit per turn (WAL mode, pooled connections)",
    "action_response_validation": "checked with a validator built once (rasa_patches/reply_validation.py)",
    "tracker_copy": "copies replay every event",
}


def proposals(prof: dict) -> List[str]:
    """Where to look next, stages ranked by the time measured in this run."""
    short, last = prof.get("short_turns") or {}, prof.get("long_last_turns") or {}
    total = short.get("total") or 0
    items = []
    for stage in sorted(NEXT_STEPS, key=lambda key: -(short.get(key) or 0)):
        if total:
            ms, late = short.get(stage) or 0, last.get(stage)
            growth = f", {late} ms at the end of the long conversation" if late is not None else ""
            items.append(
                f"* **{stage}**: {ms} ms of a {total} ms turn "
                f"({round(100 * ms / total)}%{growth}): {NEXT_STEPS[stage]}."
            )
    items.append(
        "* **Concurrency**: one Rasa process's NLU and policy work is CPU-bound, so with many "
        "users its requests queue behind each other; the cluster (`make serve-cluster`: several "
        "processes behind HAProxy on PostgreSQL and Redis) uses more cores, up to one process per core."
    )
    return items


def load_details(targets: Sequence[Target], settings: "Settings") -> List[str]:
    lines = []
    for users in user_counts(targets, settings):
        for target in targets:
            r = figure(target, f"load_{users}")
            if not isinstance(r, dict):
                continue
            extra = f", concluded {r['concluded']}" if "concluded" in r else ""
            lines.append(
                f"* {target.name}, {users} user(s): {r['messages']} messages in {r['seconds']} s, "
                f"{r['conversations']} conversations started, {r['complete']} complete{extra}, "
                f"{r['empty']} empty replies, {r['errors']} errors {r['error_samples'] or ''}; "
                f"mean {r['mean']} ms"
            )
    return lines + [""]


def write_report(targets: Sequence[Target], settings: "Settings", meta: Dict[str, object]) -> str:
    """The report's Markdown text."""
    header, rows = build_rows(targets, settings)
    names = ", ".join(t.name for t in targets)
    lines = [
        f"# Benchmark: {names}",
        "",
        f"Run {meta['when']} ({'quick' if settings.quick else 'full'}), {meta['machine']}. "
        f"Rasa {meta['rasa']}. Every target served the same way: `rasa run` with the REST "
        "channel, token API and a SQLite tracker store; ours with its action server.",
        "",
        f"Machine load before: {meta['load_before']}; after: {meta['load_after']}. "
        "Absolute figures move with other work on the machine; the ratios to "
        f"{targets[0].name}, measured side by side in the same run, are the robust comparison.",
        "",
        table(header, rows),
        "",
        "## How it was measured",
        "",
        "* Training: stock = `rasa init --no-prompt` (creates and trains the moodbot); ours = "
        "`rasa train --domain domain --force` (spaCy pipeline prebuilt, cold Rasa cache); "
        "a target without a training time served an existing model.",
        "* Start-up: process start until `GET /status` answers (ours: action server and Rasa "
        "server started together, until both answer).",
        f"* Load: virtual users (asyncio + aiohttp) each play whole conversations one after "
        f"another over `POST /webhooks/rest/webhook`, bounded by {settings.messages} messages "
        f"(or {settings.messages_per_user} per user, if more) or "
        f"{settings.seconds:g} s per run. Ours replays vignette conversations (recorded once, "
        "untimed, with tools/vignettes.py; replay needs no tracker reads); stock plays fixed "
        "moodbot conversations. Latency is per message, client side. Before the first timed "
        f"run every target gets an untimed warm-up of {settings.warmup_messages} messages at "
        f"{max(settings.users)} users at once.",
        f"* Long conversation: one user, {settings.long_turns} turns of small talk/FAQ (stock: "
        f"greet/mood turns); turn {settings.long_turns} has the same text as turn 1; median of "
        f"{settings.long_repeats} conversation(s) per turn. Turn 1 also runs the session start, "
        "so the smoothed ratio (last 5 turns vs turns 2-6) is given too.",
        "* Memory: VmRSS (and peak VmHWM) from /proc/<pid>/status after the load runs.",
        "",
        "## Details",
        "",
    ]
    lines += load_details(targets, settings)
    for target in targets:
        recorded = figure(target, "scripts")
        if isinstance(recorded, list) and recorded and isinstance(recorded[0], dict):  # recorded here
            lines += [
                f"{target.name}'s recorded conversations (user turns; level reached): "
                + ", ".join(f"{c['id']} ({len(c['turns'])}; {c['level']})" for c in recorded),
                "",
            ]
    for target in targets:
        per_turn = figure(target, "long", "per_turn_ms")
        if isinstance(per_turn, list):
            lines.append(f"Per-turn latency, long conversation, {target.name} (ms): " + " ".join(map(str, per_turn)))
    lines += ["", "Memory: " + "; ".join(f"{t.name} {figure(t, 'memory')}" for t in targets), ""]
    lines += where_time_goes(targets)
    for target in targets:
        prof = figure(target, "profile")
        if isinstance(prof, dict):
            lines += ["## Proposals (not applied: the bot is unchanged)", ""] + proposals(prof)
            lines += [
                "",
                f"## cProfile of {target.name}'s handle_message (vignettes + the long conversation)",
                "",
                "Sorted by cumulative time:",
                "",
                "```",
                prof["cprofile_cumulative"].strip(),
                "```",
                "",
                "Sorted by own time:",
                "",
                "```",
                prof["cprofile_self"].strip(),
                "```",
            ]
    return "\n".join(lines) + "\n"
