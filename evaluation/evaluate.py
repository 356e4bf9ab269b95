"""`make eval`: an honest evaluation of the twitch-triage assistant.

    python -m evaluation.evaluate          (from the repository root, PYTHONPATH=.)
    python -m evaluation.evaluate --parts heldout,triage   (only some parts, for a quick look)

1. NLU cross-validation (`rasa test nlu --cross-validation --folds 5`) on data/nlu.yml.
2. Held-out messages (evaluation/heldout_messages.yml, never trained on): intent and
   finding precision / recall / F1, parsed by the real served model (`/model/parse`).
3. Triage: the clinical vignettes of tests/vignettes.yml played over REST against the
   real action + Rasa servers: level accuracy, under/over-triage, top cause, questions.

Writes results/eval/report.md (evaluation/report.py), levels_confusion.png and causes_confusion.png, and prints
a short summary. It reports; it does not judge: the exit code is 0 whether or not the
goals are met, and non-zero only when a part of the evaluation itself crashed.
"""

import argparse
import difflib
import json
import re
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import requests
import yaml

from evaluation.report import confusion_png, summary, write_report
from tools.bot_client import BotClient
from tools.cli import progress_log
from tools.servers import RASA, ROOT, rasa_env, start_servers, stop_servers
from tools.vignettes import load_vignettes, play_vignette
from triage.engine import load_knowledge

OUT = ROOT / "results" / "eval"
CV_OUT = OUT / "cv"
HELDOUT_FILE = ROOT / "evaluation" / "heldout_messages.yml"
NLU_FILE = ROOT / "data" / "nlu.yml"

CV_TIMEOUT = 60 * 60  # seconds for the whole cross-validation
PARSE_TIMEOUT = 30  # seconds per /model/parse request
TRIAGE_BUDGET = 40 * 60  # seconds for all vignettes together
NEAR_DUPLICATE = 0.85  # difflib ratio on normalised text

LEVELS = ["emergency", "urgent", "soon", "self_care"]  # most urgent first
URGENCY = {level: len(LEVELS) - i for i, level in enumerate(LEVELS)}  # emergency=4 .. self_care=1
CAUSES = ["benign", "electrolyte", "thyroid", "neuromuscular"]
# The findings answered yes / no / unsure: every one the bot records except duration,
# which is scored in days (DURATION_TOLERANCE).
FINDINGS = [name for name in load_knowledge().findings if name != "duration"]
VALUES = ("yes", "no", "unsure")
DURATION_TOLERANCE = 0.25  # a duration counts as right within 25 % of the expected days


log = progress_log("eval")


# --------------------------------------------------------------------------- helpers


def prf(tp: int, fp: int, fn: int) -> Tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def training_examples() -> List[Tuple[str, str]]:
    data = yaml.safe_load(NLU_FILE.read_text()) or {}
    examples = []
    for block in data.get("nlu", []):
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append((block["intent"], line[2:].strip()))
    return examples


def load_heldout() -> List[dict]:
    messages = yaml.safe_load(HELDOUT_FILE.read_text())["messages"]
    for message in messages:
        findings = message.get("findings") or {}
        message["findings"] = {str(k): str(v) for k, v in findings.items()}
        for finding, value in message["findings"].items():
            if finding not in FINDINGS or value not in VALUES:
                raise ValueError(f"bad expectation {finding}: {value} in {message['text']!r}")
    return messages


def overlap_with_training(messages: List[dict]) -> List[Tuple[str, str, float]]:
    """Held-out messages that are exact or near duplicates of a training example."""
    train = [(text, normalise(text)) for _, text in training_examples()]
    hits = []
    for message in messages:
        mine = normalise(message["text"])
        for text, theirs in train:
            ratio = 1.0 if mine == theirs else difflib.SequenceMatcher(None, mine, theirs).ratio()
            if ratio >= NEAR_DUPLICATE:
                hits.append((message["text"], text, ratio))
    return hits


# --------------------------------------------------------------------------- 1. cross-validation


def run_cross_validation() -> dict:
    CV_OUT.mkdir(parents=True, exist_ok=True)
    command = [
        RASA,
        "test",
        "nlu",
        "--nlu",
        "data/nlu.yml",
        "--config",
        "config.yml",
        "--cross-validation",
        "--folds",
        "5",
        "--out",
        str(CV_OUT.relative_to(ROOT)),
    ]
    log("cross-validation: rasa " + " ".join(command[1:]))
    started = time.monotonic()
    with (CV_OUT / "rasa-test.log").open("w") as out:
        completed = subprocess.run(
            command, cwd=ROOT, env=rasa_env(), stdout=out, stderr=subprocess.STDOUT, timeout=CV_TIMEOUT
        )
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        tail = (CV_OUT / "rasa-test.log").read_text(errors="replace")[-1500:]
        raise RuntimeError(
            f"rasa test nlu exited with {completed.returncode}; see {CV_OUT / 'rasa-test.log'}; it ends:\n{tail}"
        )
    report = json.loads((CV_OUT / "intent_report.json").read_text())
    per_intent = {
        name: row
        for name, row in report.items()
        if isinstance(row, dict) and "f1-score" in row and name not in ("macro avg", "weighted avg", "micro avg")
    }
    errors_file = CV_OUT / "intent_errors.json"
    errors = json.loads(errors_file.read_text()) if errors_file.exists() else []
    return {
        "seconds": seconds,
        "accuracy": report.get("accuracy"),
        "macro_f1": report["macro avg"]["f1-score"],
        "weighted_f1": report["weighted avg"]["f1-score"],
        "per_intent": per_intent,
        "errors": errors,
    }


# --------------------------------------------------------------------------- 2. held-out NLU


def parse(url: str, token: str, text: str) -> dict:
    response = requests.post(f"{url}/model/parse", params={"token": token}, json={"text": text}, timeout=PARSE_TIMEOUT)
    response.raise_for_status()
    return response.json()


def evaluate_heldout(url: str, token: str, messages: List[dict]) -> dict:
    rows: List[Dict[str, Any]] = []
    for message in messages:
        result = parse(url, token, message["text"])
        intent = (result.get("intent") or {}).get("name")
        ranking = [r for r in result.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
        diet_intent = ranking[0]["name"] if ranking else intent
        entities = result.get("entities") or []
        predicted = sorted({(e["entity"], str(e["value"])) for e in entities if e.get("entity") in FINDINGS})
        durations = [float(e["value"]) for e in entities if e.get("entity") == "duration"]
        rows.append(
            {
                "text": message["text"],
                "expected_intent": message["intent"],
                "intent": intent,
                "confidence": (result.get("intent") or {}).get("confidence"),
                "diet_intent": diet_intent,
                "expected": sorted(message["findings"].items()),
                "predicted": predicted,
                "expected_duration": message.get("duration"),
                "duration": durations[0] if durations else None,
            }
        )

    intents = sorted({r["expected_intent"] for r in rows})

    def intent_scores(key: str) -> dict:
        per = {}
        for name in intents:
            tp = sum(r[key] == name and r["expected_intent"] == name for r in rows)
            fp = sum(r[key] == name and r["expected_intent"] != name for r in rows)
            fn = sum(r[key] != name and r["expected_intent"] == name for r in rows)
            p, rec, f1 = prf(tp, fp, fn)
            per[name] = {"precision": p, "recall": rec, "f1": f1, "support": tp + fn}
        macro = sum(v["f1"] for v in per.values()) / len(per)
        accuracy = sum(r[key] == r["expected_intent"] for r in rows) / len(rows)
        return {"per_intent": per, "macro_f1": macro, "accuracy": accuracy}

    served = intent_scores("intent")
    diet = intent_scores("diet_intent")

    # Findings: a prediction is right only if the finding AND its value match.
    tp = fp = fn = 0
    per_finding: Dict[str, List[int]] = defaultdict(lambda: [0, 0, 0])
    entity_errors = []
    for r in rows:
        wanted, got = set(r["expected"]), set(r["predicted"])
        for pair in wanted & got:
            per_finding[pair[0]][0] += 1
        for pair in got - wanted:
            per_finding[pair[0]][1] += 1
        for pair in wanted - got:
            per_finding[pair[0]][2] += 1
        tp += len(wanted & got)
        fp += len(got - wanted)
        fn += len(wanted - got)
        if wanted != got:
            entity_errors.append(r)
    precision, recall, f1 = prf(tp, fp, fn)

    with_duration = [r for r in rows if r["expected_duration"] is not None]

    def duration_ok(r):
        return (
            r["duration"] is not None
            and abs(r["duration"] - r["expected_duration"]) <= DURATION_TOLERANCE * r["expected_duration"]
        )

    duration_errors = [r for r in with_duration if not duration_ok(r)]
    spurious_durations = [r for r in rows if r["expected_duration"] is None and r["duration"] is not None]

    return {
        "rows": rows,
        "n": len(rows),
        "intent_counts": Counter(r["expected_intent"] for r in rows),
        "served": served,
        "diet": diet,
        "intent_errors": [r for r in rows if r["intent"] != r["expected_intent"]],
        "entity": {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "per_finding": {k: prf(*v) + tuple(v) for k, v in sorted(per_finding.items())},
        },
        "entity_errors": entity_errors,
        "messages_with_findings": sum(bool(r["expected"]) for r in rows),
        "duration": {
            "n": len(with_duration),
            "correct": len(with_duration) - len(duration_errors),
            "errors": duration_errors,
            "spurious": spurious_durations,
        },
        "near_duplicate": NEAR_DUPLICATE,
        "duration_tolerance": DURATION_TOLERANCE,
    }


# --------------------------------------------------------------------------- 3. triage


def evaluate_triage(url: str, token: str) -> dict:
    vignettes = load_vignettes()
    client = BotClient(url, token)
    deadline = time.monotonic() + TRIAGE_BUDGET
    results = []
    for index, vignette in enumerate(vignettes, 1):
        expected = vignette["expected"]
        row = {
            "id": vignette["id"],
            "expected_level": expected["level"],
            "expected_cause": expected["top_cause"],
            "level": None,
            "causes": [],
            "questions": None,
            "asked": [],
            "error": None,
        }
        if time.monotonic() > deadline:
            row["error"] = "not run: triage time budget used up"
        else:
            try:
                outcome = play_vignette(client, vignette)
                row.update(
                    level=outcome.level,
                    causes=outcome.causes,
                    questions=outcome.questions,
                    asked=["+".join(asked) for asked in outcome.asked],
                )
                if outcome.stuck:
                    row["error"] = f"stuck: {outcome.error}"
            except Exception as exc:  # one broken vignette must not end the evaluation
                row["error"] = f"{type(exc).__name__}: {exc}"
        results.append(row)
        if index % 10 == 0:
            log(f"triage: {index}/{len(vignettes)} vignettes")

    n = len(results)
    exact = sum(r["level"] == r["expected_level"] for r in results)
    under, over, serious_under = [], [], []
    for r in results:
        got = URGENCY.get(r["level"], 0)  # no level at all counts as under-triage
        want = URGENCY[r["expected_level"]]
        if got < want:
            under.append(r)
            if r["expected_level"] in ("emergency", "urgent"):
                serious_under.append(r)
        elif got > want:
            over.append(r)
    # Top-1 cause: an emergency may carry no causes (the contract allows it); such
    # vignettes are left out of the cause accuracy rather than counted either way.
    scored = [r for r in results if not (r["level"] == "emergency" and not r["causes"])]
    cause_right = [r for r in scored if r["causes"] and r["causes"][0] == r["expected_cause"]]
    questions = [r["questions"] for r in results if r["questions"] is not None and r["level"]]
    by_level = defaultdict(list)
    for r in results:
        if r["questions"] is not None and r["level"]:
            by_level[r["expected_level"]].append(r["questions"])
    return {
        "rows": results,
        "n": n,
        "level_accuracy": exact / n if n else None,
        "exact": exact,
        "under": under,
        "over": over,
        "serious_under": serious_under,
        "cause_n": len(scored),
        "cause_right": len(cause_right),
        "cause_excluded": n - len(scored),
        "top1_cause": len(cause_right) / len(scored) if scored else None,
        "cause_errors": [r for r in scored if not (r["causes"] and r["causes"][0] == r["expected_cause"])],
        "mean_questions": sum(questions) / len(questions) if questions else None,
        "max_questions": max(questions) if questions else None,
        "questions_by_level": {
            lvl: (sum(by_level[lvl]) / len(by_level[lvl]), max(by_level[lvl]), len(by_level[lvl]))
            for lvl in LEVELS
            if by_level[lvl]
        },
        "level_errors": [r for r in results if r["level"] != r["expected_level"]],
        "failed": [r for r in results if r["error"]],
    }


# --------------------------------------------------------------------------- main


def run_on_servers(
    parts: Tuple[str, ...], messages: List[dict], sections: Dict[str, dict], failures: Dict[str, str]
) -> None:
    """The held-out and triage parts, against one pair of real servers."""
    server = None
    with tempfile.TemporaryDirectory(prefix="twitch-eval-") as workdir:
        try:
            log("starting the action server and the Rasa server")
            server = start_servers(Path(workdir), Path(workdir) / "eval-tracker.db")
            log(f"servers up at {server.url}")
            if messages:
                try:
                    sections["heldout"] = evaluate_heldout(server.url, server.token, messages)
                    log("held-out messages parsed")
                except Exception:
                    failures["held-out NLU"] = traceback.format_exc()
            if "triage" in parts:
                try:
                    sections["triage"] = evaluate_triage(server.url, server.token)
                    tri = sections["triage"]
                    pairs_level = [(r["expected_level"], r["level"] or "none") for r in tri["rows"]]
                    pairs_cause = [(r["expected_cause"], (r["causes"] or ["none"])[0]) for r in tri["rows"]]
                    confusion_png(
                        OUT / "levels_confusion.png",
                        f"Triage level: expected vs. given ({tri['n']} vignettes)",
                        LEVELS,
                        pairs_level,
                        "level given by the bot",
                        "expected level",
                    )
                    confusion_png(
                        OUT / "causes_confusion.png",
                        "Top cause: expected vs. bot's first cause",
                        CAUSES,
                        pairs_cause,
                        "bot's top cause",
                        "expected top cause",
                    )
                except Exception:
                    failures["triage"] = traceback.format_exc()
        except Exception:
            failures["servers"] = traceback.format_exc()
        finally:
            if server is not None:
                stop_servers(server)
                log("servers stopped")


PARTS = ("cv", "heldout", "triage")


def parse_parts(argv: List[str]) -> Tuple[str, ...]:
    """`--parts heldout,triage` runs only those parts (default: all three)."""
    parser = argparse.ArgumentParser(prog="python -m evaluation.evaluate", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated subset of: " + ", ".join(PARTS))
    parts = tuple(p.strip() for p in parser.parse_args(argv).parts.split(",") if p.strip())
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        parser.error(f"unknown part(s) {unknown}; choose from {', '.join(PARTS)}")
    return parts


def main(argv: Optional[List[str]] = None) -> int:
    parts = parse_parts(sys.argv[1:] if argv is None else argv)
    started = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)
    sections: Dict[str, dict] = {}
    failures: Dict[str, str] = {}
    overlap = []

    messages = []
    if "heldout" in parts:
        try:
            messages = load_heldout()
            overlap = overlap_with_training(messages)
            log(f"held-out set: {len(messages)} messages, {len(overlap)} near-duplicates of training data")
        except Exception:
            failures["held-out set"] = traceback.format_exc()

    # Held-out parsing and triage share one pair of real servers.
    if "heldout" in parts or "triage" in parts:
        run_on_servers(parts, messages, sections, failures)

    if "cv" in parts:
        try:
            sections["cv"] = run_cross_validation()
        except Exception:
            failures["cross-validation"] = traceback.format_exc()

    try:  # the raw figures, so a report can be re-read or re-drawn without re-running
        (OUT / "raw.json").write_text(
            json.dumps({"sections": sections, "failures": failures, "overlap": overlap}, indent=1, default=str)
        )
    except Exception:
        failures["raw.json"] = traceback.format_exc()
    try:
        (OUT / "report.md").write_text(write_report(sections, failures, overlap, (time.monotonic() - started) / 60))
    except Exception:
        failures["report"] = traceback.format_exc()
        print(failures["report"], file=sys.stderr)

    print(summary(sections))
    for part in failures:
        print(f"CRASHED: {part} (details in the report)")
    print(f"report: {(OUT / 'report.md').relative_to(ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
