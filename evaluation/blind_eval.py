"""Scores the bot on the blind set (evaluation/blind/), written from the article alone by
people who never saw the language pipeline or its data. See evaluation/blind/README.md.

    python -m evaluation.blind_eval                 # starts the servers itself
    python -m evaluation.blind_eval --url URL --token TOKEN

Prints the figures and writes results/eval/blind.md and results/eval/blind_failures.md.
"""

import argparse
import sys
import tempfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from tools.bot_client import BotClient
from tools.vignette_player import LEVEL_RANK, first_mention, play

ROOT = Path(__file__).resolve().parents[1]
BLIND = ROOT / "evaluation" / "blind"
OUT = ROOT / "results" / "eval"
SEEDS = (0, 1, 2)
IN_PASSING_OPENING = "my calves and thighs keep twitching, mostly at night, it started last week"
# A probe told by a caregiver is played in a caregiver's conversation.
IN_PASSING_OPENING_OTHER = (
    "I'm asking for a relative: the calves and thighs keep twitching, mostly at night, it started last week"
)
WORKERS = 4


def load_blind(folder: Path = BLIND) -> dict:
    vignettes: List[dict] = []
    for path in sorted(folder.glob("vignettes*.yml")):
        vignettes += yaml.safe_load(path.read_text(encoding="utf-8"))["vignettes"]
    probes = yaml.safe_load((folder / "probes.yml").read_text(encoding="utf-8"))
    pools = yaml.safe_load((folder / "replies.yml").read_text(encoding="utf-8"))
    return {"vignettes": vignettes, "probes": probes, "pools": {k: [str(v) for v in vs] for k, vs in pools.items()}}


def share(hits: int, total: int) -> str:
    return f"{hits}/{total} ({100 * hits / total:.0f} %)" if total else "-"


def score_vignettes(client: BotClient, blind: dict, failures: List[str]) -> Dict[str, object]:
    jobs = [(v, seed) for seed in SEEDS for v in blind["vignettes"]]

    def run(job):
        vignette, seed = job
        # the third seed meets the first red-flag question with a question back
        return vignette, seed, play(client, vignette, blind["pools"], seed=seed, ask_why_first=seed == 2)

    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(run, jobs))
    figures: Dict[str, object] = {}
    correct = under = over = stuck = 0
    cause_hits = cause_total = 0
    self_care_total = self_care_kept = 0
    questions_by_level: Dict[str, List[int]] = defaultdict(list)
    for vignette, seed, outcome in results:
        expected = vignette["expected"]
        got = outcome.level
        questions_by_level[expected["level"]].append(outcome.questions)
        ok = got == expected["level"]
        correct += ok
        if outcome.stuck:
            stuck += 1
        elif LEVEL_RANK[got] < LEVEL_RANK[expected["level"]]:
            under += 1
        elif LEVEL_RANK[got] > LEVEL_RANK[expected["level"]]:
            over += 1
        if expected["level"] == "self_care":
            self_care_total += 1
            self_care_kept += got == "self_care"
        cause_ok = True
        if expected.get("top_cause") and expected["level"] != "emergency":
            cause_total += 1
            cause_ok = bool(outcome.causes) and outcome.causes[0] == expected["top_cause"]
            cause_hits += cause_ok
        if not ok or not cause_ok:
            failures.append(
                f"### {vignette['id']} (seed {seed}): expected {expected}, got "
                f"{got} {outcome.causes}\n\n```\n{outcome.readable()}\n```\n"
            )
    n = len(results)
    all_questions = [q for qs in questions_by_level.values() for q in qs]
    figures["conversations"] = f"{len(blind['vignettes'])} vignettes x {len(SEEDS)} seeds = {n}"
    figures["level accuracy"] = share(correct, n)
    figures["under-triage"] = under
    figures["over-triage"] = over
    figures["stuck"] = stuck
    figures["top cause (non-emergency)"] = share(cause_hits, cause_total)
    figures["self-care cases concluded self-care"] = share(self_care_kept, self_care_total)
    figures["mean questions, all"] = f"{sum(all_questions) / max(1, len(all_questions)):.2f}"
    for level in LEVEL_RANK:
        qs = questions_by_level.get(level) or []
        if qs:
            figures[f"mean questions, {level}"] = f"{sum(qs) / len(qs):.2f}"
    return figures


def score_red_flags(client: BotClient, blind: dict, failures: List[str]) -> Dict[str, object]:
    probes = blind["probes"]["red_flag_probes"]
    jobs = [(p, mode) for p in probes for mode in ("opening", "in passing")]

    def run(job):
        probe, mode = job
        opening = (
            None
            if mode == "opening"
            else (IN_PASSING_OPENING_OTHER if probe.get("about") == "other" else IN_PASSING_OPENING)
        )
        level, outcome = first_mention(client, probe["text"], opening=opening, pools=blind["pools"])
        return probe, mode, level, outcome

    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(run, jobs))
    by_class: Dict[str, Counter] = defaultdict(Counter)
    for probe, mode, level, outcome in results:
        hit = level is not None and LEVEL_RANK[level] >= LEVEL_RANK[probe["level"]]
        by_class[probe["class"]]["total"] += 1
        by_class[probe["class"]]["hit"] += hit
        if not hit:
            failures.append(
                f"### red flag {probe['id']} ({probe['class']}, {mode}): expected "
                f"{probe['level']}, got {level}\n\n```\n{outcome.readable()}\n```\n"
            )
    figures: Dict[str, object] = {
        f"red flag: {cls}": share(c["hit"], c["total"]) for cls, c in sorted(by_class.items())
    }
    hits = sum(c["hit"] for c in by_class.values())
    figures["red flags recognised on first mention, all"] = share(hits, len(results))
    return figures


def score_not_own(client: BotClient, blind: dict, failures: List[str]) -> Dict[str, object]:
    probes = blind["probes"]["not_own_probes"]

    def run(probe):
        vignette = {"id": probe["id"], "opening": probe["text"], "expected": {"level": probe["expected_level"]}}
        return probe, play(client, vignette, blind["pools"], seed=0)

    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(run, probes))
    raised = 0
    for probe, outcome in results:
        if outcome.level is None or LEVEL_RANK[outcome.level] > LEVEL_RANK[probe["expected_level"]]:
            raised += 1
            failures.append(
                f"### not own {probe['id']} ({probe['kind']}): expected "
                f"{probe['expected_level']}, got {outcome.level}\n\n```\n{outcome.readable()}\n```\n"
            )
    return {"mentions not the person's own that raised the level": f"{raised} of {len(results)}"}


def evaluate(client: BotClient, label: str = "", folder: Path = BLIND) -> Dict[str, object]:
    blind = load_blind(folder)
    failures: List[str] = []
    figures: Dict[str, object] = {}
    figures.update(score_vignettes(client, blind, failures))
    figures.update(score_red_flags(client, blind, failures))
    figures.update(score_not_own(client, blind, failures))
    OUT.mkdir(parents=True, exist_ok=True)
    table = "\n".join(f"| {key} | {value} |" for key, value in figures.items())
    name = folder.name
    (OUT / f"{name}.md").write_text(f"# Blind set {name} {label}\n\n| measure | value |\n|---|---|\n{table}\n")
    (OUT / f"{name}_failures.md").write_text(f"# Failures on {name}\n\n" + "\n".join(failures))
    return figures


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--token")
    parser.add_argument("--label", default="")
    parser.add_argument("--set", default=str(BLIND), help="a folder like evaluation/blind")
    args = parser.parse_args(argv)
    if args.url:
        figures = evaluate(BotClient(args.url, args.token), args.label, Path(args.set))
    else:
        from tools.servers import start_servers, stop_servers

        with tempfile.TemporaryDirectory() as workdir:
            server = start_servers(Path(workdir), Path(workdir) / "blind.db")
            try:
                figures = evaluate(BotClient(server.url, server.token), args.label, Path(args.set))
            finally:
                stop_servers(server)
    for key, value in figures.items():
        print(f"{key:55} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
