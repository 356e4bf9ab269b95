"""`make eval`: an honest evaluation of the twitch-triage assistant.

    python -m evaluation.evaluate          (from the repository root, PYTHONPATH=.)
    python -m evaluation.evaluate --parts heldout,triage   (only some parts, for a quick look)

1. NLU cross-validation (`rasa test nlu --cross-validation --folds 5`) on data/nlu.yml.
2. Held-out messages (evaluation/heldout_messages.yml, never trained on): intent and
   finding precision / recall / F1, parsed by the real served model (`/model/parse`).
3. Triage: the 66 clinical vignettes of tests/vignettes.yml played over REST against the
   real action + Rasa servers: level accuracy, under/over-triage, top cause, questions.

Writes results/eval/report.md, levels_confusion.png and causes_confusion.png, and prints
a short summary. It reports; it does not judge: the exit code is 0 whether or not the
goals are met, and non-zero only when a part of the evaluation itself crashed.
"""

import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results" / "eval"
CV_OUT = OUT / "cv"
HELDOUT_FILE = ROOT / "evaluation" / "heldout_messages.yml"
NLU_FILE = ROOT / "data" / "nlu.yml"
VIGNETTES_FILE = ROOT / "tests" / "vignettes.yml"
RASA = str(Path(sys.executable).with_name("rasa"))

CV_TIMEOUT = 60 * 60          # seconds for the whole cross-validation
PARSE_TIMEOUT = 30            # seconds per /model/parse request
TRIAGE_BUDGET = 40 * 60       # seconds for all vignettes together
NEAR_DUPLICATE = 0.85         # difflib ratio on normalised text

LEVELS = ["emergency", "urgent", "soon", "self_care"]   # most urgent first
URGENCY = {level: len(LEVELS) - i for i, level in enumerate(LEVELS)}  # emergency=4 .. self_care=1
CAUSES = ["benign", "electrolyte", "thyroid", "neuromuscular"]
FINDINGS = [
    "emergency_signs", "weakness", "muscle_wasting", "speech_swallowing", "cramps", "tingling",
    "palpitations", "thyroid_signs", "fluid_losses", "recent_med_change", "medical_history",
    "triggers", "benign_pattern",
]
VALUES = ("yes", "no", "unsure")
DURATION_TOLERANCE = 0.25     # a duration counts as right within 25 % of the expected days

GOALS = {
    "level_accuracy": (">=", 0.95, "triage level accuracy >= 95 %"),
    "serious_under_triage": ("==", 0, "zero emergency/urgent under-triage"),
    "top1_cause": (">=", 0.90, "top-1 cause accuracy >= 90 %"),
    "heldout_intent_f1": (">=", 0.95, "held-out intent macro F1 >= 0.95"),
    "heldout_entity_f1": (">=", 0.90, "held-out finding F1 >= 0.90"),
    "mean_questions": ("<=", 5.0, "mean follow-up questions <= 5"),
}


# --------------------------------------------------------------------------- helpers

def log(message: str) -> None:
    print(f"[eval {time.strftime('%H:%M:%S')}] {message}", flush=True)


def prf(tp: int, fp: int, fn: int) -> Tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def pct(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def num(value: Optional[float], digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


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
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    command = [RASA, "test", "nlu", "--nlu", "data/nlu.yml", "--config", "config.yml",
               "--cross-validation", "--folds", "5", "--out", str(CV_OUT.relative_to(ROOT))]
    log("cross-validation: rasa " + " ".join(command[1:]))
    started = time.monotonic()
    with (CV_OUT / "rasa-test.log").open("w") as out:
        completed = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   timeout=CV_TIMEOUT)
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        tail = (CV_OUT / "rasa-test.log").read_text(errors="replace")[-1500:]
        raise RuntimeError(f"rasa test nlu exited with {completed.returncode}; "
                           f"see {CV_OUT / 'rasa-test.log'}; it ends:\n{tail}")
    report = json.loads((CV_OUT / "intent_report.json").read_text())
    per_intent = {name: row for name, row in report.items()
                  if isinstance(row, dict) and "f1-score" in row and name not in ("macro avg", "weighted avg", "micro avg")}
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
    response = requests.post(f"{url}/model/parse", params={"token": token}, json={"text": text},
                             timeout=PARSE_TIMEOUT)
    response.raise_for_status()
    return response.json()


def evaluate_heldout(url: str, token: str, messages: List[dict]) -> dict:
    rows = []
    for message in messages:
        result = parse(url, token, message["text"])
        intent = (result.get("intent") or {}).get("name")
        ranking = [r for r in result.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
        diet_intent = ranking[0]["name"] if ranking else intent
        entities = result.get("entities") or []
        predicted = sorted({(e["entity"], str(e["value"])) for e in entities if e.get("entity") in FINDINGS})
        durations = [float(e["value"]) for e in entities if e.get("entity") == "duration"]
        rows.append({
            "text": message["text"],
            "expected_intent": message["intent"],
            "intent": intent,
            "confidence": (result.get("intent") or {}).get("confidence"),
            "diet_intent": diet_intent,
            "expected": sorted(message["findings"].items()),
            "predicted": predicted,
            "expected_duration": message.get("duration"),
            "duration": durations[0] if durations else None,
        })

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
    per_finding = defaultdict(lambda: [0, 0, 0])
    entity_errors = []
    for r in rows:
        expected, predicted = set(r["expected"]), set(r["predicted"])
        for pair in expected & predicted:
            per_finding[pair[0]][0] += 1
        for pair in predicted - expected:
            per_finding[pair[0]][1] += 1
        for pair in expected - predicted:
            per_finding[pair[0]][2] += 1
        tp += len(expected & predicted)
        fp += len(predicted - expected)
        fn += len(expected - predicted)
        if expected != predicted:
            entity_errors.append(r)
    precision, recall, f1 = prf(tp, fp, fn)

    with_duration = [r for r in rows if r["expected_duration"] is not None]
    def duration_ok(r):
        return r["duration"] is not None and abs(r["duration"] - r["expected_duration"]) <= DURATION_TOLERANCE * r["expected_duration"]
    duration_errors = [r for r in with_duration if not duration_ok(r)]
    spurious_durations = [r for r in rows if r["expected_duration"] is None and r["duration"] is not None]

    return {
        "rows": rows,
        "n": len(rows),
        "intent_counts": Counter(r["expected_intent"] for r in rows),
        "served": served,
        "diet": diet,
        "intent_errors": [r for r in rows if r["intent"] != r["expected_intent"]],
        "entity": {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1,
                   "per_finding": {k: prf(*v) + tuple(v) for k, v in sorted(per_finding.items())}},
        "entity_errors": entity_errors,
        "messages_with_findings": sum(bool(r["expected"]) for r in rows),
        "duration": {"n": len(with_duration), "correct": len(with_duration) - len(duration_errors),
                     "errors": duration_errors, "spurious": spurious_durations},
    }


# --------------------------------------------------------------------------- 3. triage

def evaluate_triage(url: str, token: str) -> dict:
    from tests.vignette_driver import run_vignette

    vignettes = yaml.safe_load(VIGNETTES_FILE.read_text())["vignettes"]
    deadline = time.monotonic() + TRIAGE_BUDGET
    results = []
    for index, vignette in enumerate(vignettes, 1):
        expected = vignette["expected"]
        row = {"id": vignette["id"], "expected_level": expected["level"],
               "expected_cause": expected["top_cause"], "level": None, "causes": [],
               "questions": None, "asked": [], "error": None}
        if time.monotonic() > deadline:
            row["error"] = "not run: triage time budget used up"
        else:
            try:
                result = run_vignette(url, token, vignette)
                row.update(level=result["level"], causes=result["causes"], questions=result["questions"],
                           asked=result["asked"])
                if result.get("stuck"):
                    row["error"] = "stuck: " + str(result.get("error"))
            except Exception as exc:  # one broken vignette must not end the evaluation
                row["error"] = f"{type(exc).__name__}: {exc}"
        results.append(row)
        if index % 10 == 0:
            log(f"triage: {index}/{len(vignettes)} vignettes")

    n = len(results)
    exact = sum(r["level"] == r["expected_level"] for r in results)
    under, over, serious_under = [], [], []
    for r in results:
        got = URGENCY.get(r["level"], 0)   # no level at all counts as under-triage
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
        "questions_by_level": {lvl: (sum(v) / len(v), max(v), len(v)) for lvl, v in by_level.items()},
        "level_errors": [r for r in results if r["level"] != r["expected_level"]],
        "failed": [r for r in results if r["error"]],
    }


def confusion_png(path: Path, title: str, labels: List[str], pairs: List[Tuple[str, str]],
                  xlabel: str, ylabel: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    predicted_labels = labels + sorted({p for _, p in pairs if p not in labels})
    matrix = [[sum(1 for e, p in pairs if e == row and p == col) for col in predicted_labels] for row in labels]
    fig, ax = plt.subplots(figsize=(1.6 * len(predicted_labels) + 2.5, 1.3 * len(labels) + 2))
    image = ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(predicted_labels)), predicted_labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    peak = max((max(row) for row in matrix), default=0) or 1
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center", fontsize=12,
                    color="white" if value > peak / 2 else "black",
                    fontweight="bold" if i == j else "normal")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --------------------------------------------------------------------------- report

def goal_status(key: str, value) -> str:
    if value is None:
        return "not measured"
    op, target, _ = GOALS[key]
    met = {">=": value >= target, "<=": value <= target, "==": value == target}[op]
    return "met" if met else "not met"


def write_report(sections: dict, failures: Dict[str, str], overlap, started: float) -> str:
    cv, held, tri = sections.get("cv"), sections.get("heldout"), sections.get("triage")
    lines = ["# Evaluation report", "",
             f"Generated by `make eval` (`python -m evaluation.evaluate`) on {time.strftime('%Y-%m-%d %H:%M')}, "
             f"in {(time.monotonic() - started) / 60:.1f} minutes. Model: `models/twitch-triage.tar.gz`.", ""]

    values = {
        "level_accuracy": tri and tri["level_accuracy"],
        "serious_under_triage": tri and len(tri["serious_under"]),
        "top1_cause": tri and tri["top1_cause"],
        "heldout_intent_f1": held and held["served"]["macro_f1"],
        "heldout_entity_f1": held and held["entity"]["f1"],
        "mean_questions": tri and tri["mean_questions"],
    }
    shown = {
        "level_accuracy": tri and f"{pct(tri['level_accuracy'])} ({tri['exact']}/{tri['n']})",
        "serious_under_triage": tri and str(len(tri["serious_under"])),
        "top1_cause": tri and f"{pct(tri['top1_cause'])} ({tri['cause_right']}/{tri['cause_n']})",
        "heldout_intent_f1": held and num(held["served"]["macro_f1"]),
        "heldout_entity_f1": held and num(held["entity"]["f1"]),
        "mean_questions": tri and num(tri["mean_questions"], 2),
    }
    lines += ["## Goals", "", "| goal | measured | status |", "| --- | --- | --- |"]
    for key, (_, _, label) in GOALS.items():
        lines.append(f"| {label} | {shown[key] or 'n/a'} | **{goal_status(key, values[key])}** |")
    lines.append("")
    if failures:
        lines += ["## Parts that crashed", ""]
        for part, error in failures.items():
            lines += [f"### {part}", "", "```text", error.strip()[-3000:], "```", ""]

    # ---- cross-validation
    lines += ["## 1. NLU cross-validation (5 folds on data/nlu.yml)", ""]
    if cv:
        lines += [f"`rasa test nlu --cross-validation --folds 5` ({cv['seconds'] / 60:.1f} min); "
                  f"reports in `results/eval/cv/`.", "",
                  "| metric | value |", "| --- | --- |",
                  f"| accuracy | {num(cv['accuracy'])} |",
                  f"| macro F1 | {num(cv['macro_f1'])} |",
                  f"| weighted F1 | {num(cv['weighted_f1'])} |", "",
                  "| intent | precision | recall | F1 | support |", "| --- | --- | --- | --- | --- |"]
        for name, row in sorted(cv["per_intent"].items()):
            lines.append(f"| {name} | {num(row['precision'])} | {num(row['recall'])} | {num(row['f1-score'])} | {row['support']} |")
        lines += ["", f"Cross-validation misclassifications ({len(cv['errors'])}):", ""]
        if cv["errors"]:
            lines += ["| text | expected | predicted | confidence |", "| --- | --- | --- | --- |"]
            for e in cv["errors"]:
                pred = e.get("intent_prediction") or {}
                lines.append(f"| {md_escape(e.get('text'))} | {e.get('intent')} | {pred.get('name')} | {num(pred.get('confidence'), 2)} |")
        lines.append("")
    else:
        lines += ["Not measured (see above).", ""]

    # ---- held-out
    lines += ["## 2. Held-out messages (evaluation/heldout_messages.yml)", ""]
    if held:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(held["intent_counts"].items()))
        ent = held["entity"]
        dur = held["duration"]
        lines += [f"{held['n']} messages never trained on ({counts}); {held['messages_with_findings']} of them "
                  f"name findings. Parsed by the served model over `/model/parse`.", ""]
        if overlap:
            lines += [f"**Warning:** {len(overlap)} held-out message(s) are exact or near duplicates of training examples:", ""]
            lines += [f"- {md_escape(a)!s} ≈ {md_escape(b)} ({r:.2f})" for a, b, r in overlap] + [""]
        else:
            lines += [f"Overlap check: no held-out message is an exact or near duplicate (difflib ratio ≥ {NEAR_DUPLICATE}) "
                      "of a training example.", ""]
        lines += ["| metric | value |", "| --- | --- |",
                  f"| intent accuracy (as served, `nlu_fallback` counts as wrong) | {pct(held['served']['accuracy'])} |",
                  f"| intent macro F1 (as served) | {num(held['served']['macro_f1'])} |",
                  f"| intent macro F1 (DIET's top intent, ignoring the fallback threshold) | {num(held['diet']['macro_f1'])} |",
                  f"| finding precision (finding and value must match) | {num(ent['precision'])} |",
                  f"| finding recall | {num(ent['recall'])} |",
                  f"| finding F1 | {num(ent['f1'])} (TP {ent['tp']}, FP {ent['fp']}, FN {ent['fn']}) |",
                  f"| duration within ±{int(DURATION_TOLERANCE * 100)} % | {dur['correct']}/{dur['n']} |",
                  f"| duration found where none was stated | {len(dur['spurious'])} |", "",
                  "| intent | precision | recall | F1 | support |", "| --- | --- | --- | --- | --- |"]
        for name, row in sorted(held["served"]["per_intent"].items()):
            lines.append(f"| {name} | {num(row['precision'])} | {num(row['recall'])} | {num(row['f1'])} | {row['support']} |")
        lines += ["", "| finding | precision | recall | F1 | TP | FP | FN |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for name, (p, r, f, tp, fp, fn) in held["entity"]["per_finding"].items():
            lines.append(f"| {name} | {num(p)} | {num(r)} | {num(f)} | {tp} | {fp} | {fn} |")
        lines += ["", f"### Intent errors ({len(held['intent_errors'])})", ""]
        if held["intent_errors"]:
            lines += ["| text | expected | predicted | confidence | DIET top |", "| --- | --- | --- | --- | --- |"]
            for r in held["intent_errors"]:
                lines.append(f"| {md_escape(r['text'])} | {r['expected_intent']} | {r['intent']} | {num(r['confidence'], 2)} | {r['diet_intent']} |")
        lines += ["", f"### Finding errors ({len(held['entity_errors'])} messages)", ""]
        if held["entity_errors"]:
            lines += ["| text | expected | predicted | missed | wrong or extra |", "| --- | --- | --- | --- | --- |"]
            fmt = lambda pairs: ", ".join(f"{f}={v}" for f, v in sorted(pairs)) or "–"
            for r in held["entity_errors"]:
                exp, pred = set(r["expected"]), set(r["predicted"])
                lines.append(f"| {md_escape(r['text'])} | {fmt(exp)} | {fmt(pred)} | {fmt(exp - pred)} | {fmt(pred - exp)} |")
        lines += ["", f"### Duration errors ({len(dur['errors'])} wrong or missing, {len(dur['spurious'])} spurious)", ""]
        for r in dur["errors"]:
            lines.append(f"- {md_escape(r['text'])}: expected {r['expected_duration']} days, got {r['duration']}")
        for r in dur["spurious"]:
            lines.append(f"- {md_escape(r['text'])}: no duration stated, got {r['duration']}")
        lines.append("")
    else:
        lines += ["Not measured (see above).", ""]

    # ---- triage
    lines += ["## 3. Triage on the clinical vignettes (tests/vignettes.yml)", ""]
    if tri:
        under_by = Counter(r["expected_level"] for r in tri["under"])
        lines += [f"{tri['n']} vignettes played over REST against the real action and Rasa servers "
                  "(`tests/vignette_driver.py`; unlisted findings answered \"no\").", "",
                  "| metric | value |", "| --- | --- |",
                  f"| exact level accuracy | {pct(tri['level_accuracy'])} ({tri['exact']}/{tri['n']}) |",
                  f"| under-triage, all levels | {len(tri['under'])} |",
                  f"| under-triage of emergency | {under_by.get('emergency', 0)} |",
                  f"| under-triage of urgent | {under_by.get('urgent', 0)} |",
                  f"| over-triage | {len(tri['over'])} |",
                  f"| top-1 cause accuracy | {pct(tri['top1_cause'])} ({tri['cause_right']}/{tri['cause_n']}; "
                  f"{tri['cause_excluded']} emergency vignette(s) with no causes left out, as the contract allows) |",
                  f"| follow-up questions, mean | {num(tri['mean_questions'], 2)} |",
                  f"| follow-up questions, max | {tri['max_questions']} |",
                  f"| vignettes stuck or failed | {len(tri['failed'])} |", "",
                  "Questions by expected level:", "",
                  "| expected level | vignettes | mean questions | max |", "| --- | --- | --- | --- |"]
        for level in LEVELS:
            if level in tri["questions_by_level"]:
                mean, most, count = tri["questions_by_level"][level]
                lines.append(f"| {level} | {count} | {mean:.2f} | {most} |")
        lines += ["", "![Triage levels](levels_confusion.png)", "", "![Top cause](causes_confusion.png)", "",
                  f"### Level errors ({len(tri['level_errors'])})", ""]
        if tri["level_errors"]:
            lines += ["| vignette | expected | got | kind | questions |", "| --- | --- | --- | --- | --- |"]
            for r in tri["level_errors"]:
                kind = "UNDER-TRIAGE" if URGENCY.get(r["level"], 0) < URGENCY[r["expected_level"]] else "over-triage"
                lines.append(f"| {r['id']} | {r['expected_level']} | {r['level']} | {kind} | {r['questions']} |")
        lines += ["", f"### Top-cause errors ({len(tri['cause_errors'])})", ""]
        if tri["cause_errors"]:
            lines += ["| vignette | expected | got (all causes) | level |", "| --- | --- | --- | --- |"]
            for r in tri["cause_errors"]:
                lines.append(f"| {r['id']} | {r['expected_cause']} | {', '.join(r['causes']) or '–'} | {r['level']} |")
        if tri["failed"]:
            lines += ["", f"### Stuck or failed vignettes ({len(tri['failed'])})", ""]
            lines += [f"- {r['id']}: {md_escape(r['error'])}" for r in tri["failed"]]
        lines.append("")
    else:
        lines += ["Not measured (see above).", ""]

    lines += ["## Method notes", "",
              "- Held-out expectations were written from what each message means, before looking at the "
              "bot's output; a finding counts as correct only when its name and value (yes/no/unsure) both match.",
              "- Intent scores use the intent the bot acts on (after the FallbackClassifier); a message "
              "below the fallback threshold counts as an error.",
              "- A vignette that ends without a level counts as under-triage.",
              "- The goals are reported, not enforced: `make eval` succeeds whether or not they are met.", ""]
    text = "\n".join(lines)
    (OUT / "report.md").write_text(text)
    return text


# --------------------------------------------------------------------------- main

def run_on_servers(parts: Tuple[str, ...], messages: List[dict], sections: Dict[str, dict],
                   failures: Dict[str, str]) -> None:
    """The held-out and triage parts, against one pair of real servers."""
    from tools.servers import start_servers, stop_servers
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
                    confusion_png(OUT / "levels_confusion.png", "Triage level: expected vs. given (66 vignettes)",
                                  LEVELS, pairs_level, "level given by the bot", "expected level")
                    confusion_png(OUT / "causes_confusion.png", "Top cause: expected vs. bot's first cause",
                                  CAUSES, pairs_cause, "bot's top cause", "expected top cause")
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
    import argparse

    parser = argparse.ArgumentParser(prog="python -m evaluation.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--parts", default=",".join(PARTS),
                        help="comma-separated subset of: " + ", ".join(PARTS))
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
        (OUT / "raw.json").write_text(json.dumps({"sections": sections, "failures": failures,
                                                  "overlap": overlap}, indent=1, default=str))
    except Exception:
        failures["raw.json"] = traceback.format_exc()
    try:
        write_report(sections, failures, overlap, started)
    except Exception:
        failures["report"] = traceback.format_exc()
        print(failures["report"], file=sys.stderr)

    cv, held, tri = sections.get("cv"), sections.get("heldout"), sections.get("triage")
    print("\n==== evaluation summary ====")
    if cv:
        print(f"NLU cross-validation: macro F1 {cv['macro_f1']:.3f}, weighted F1 {cv['weighted_f1']:.3f}")
    if held:
        print(f"held-out ({held['n']} msgs): intent macro F1 {held['served']['macro_f1']:.3f} "
              f"[{goal_status('heldout_intent_f1', held['served']['macro_f1'])}], "
              f"finding F1 {held['entity']['f1']:.3f} [{goal_status('heldout_entity_f1', held['entity']['f1'])}], "
              f"{len(held['intent_errors'])} intent errors, {len(held['entity_errors'])} finding errors")
    if tri:
        print(f"triage ({tri['n']} vignettes): level accuracy {pct(tri['level_accuracy'])} "
              f"[{goal_status('level_accuracy', tri['level_accuracy'])}], "
              f"emergency/urgent under-triage {len(tri['serious_under'])} "
              f"[{goal_status('serious_under_triage', len(tri['serious_under']))}], "
              f"over-triage {len(tri['over'])}, top-1 cause {pct(tri['top1_cause'])} "
              f"[{goal_status('top1_cause', tri['top1_cause'])}], questions mean {num(tri['mean_questions'], 2)} "
              f"max {tri['max_questions']} [{goal_status('mean_questions', tri['mean_questions'])}]")
    for part in failures:
        print(f"CRASHED: {part} (details in the report)")
    print(f"report: {(OUT / 'report.md').relative_to(ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
