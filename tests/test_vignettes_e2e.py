"""End-to-end clinical vignettes (tests/vignettes.yml) against a running Rasa server.

The e2e tests need the `rasa_server` fixture from tests/conftest.py (an object with
`url` and `token`). `test_vignette_file_is_valid` needs no server.
"""

import uuid
from collections import Counter

import pytest

from tools.bot_client import BotClient
from tools.vignettes import load_vignettes, play_vignette
from triage.vocabulary import CAUSES, CONTRACT_FINDINGS, LEVELS

URGENCY = {level: len(LEVELS) - i for i, level in enumerate(LEVELS)}


VIGNETTES = load_vignettes()


def test_vignette_file_is_valid():
    assert isinstance(VIGNETTES, list) and len(VIGNETTES) >= 64
    ids = [v.get("id") for v in VIGNETTES]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates, f"duplicate vignette ids: {duplicates}"
    problems = []
    for v in VIGNETTES:
        vid = v.get("id")
        if not isinstance(vid, str) or not vid:
            problems.append(f"{v!r}: missing id")
            continue
        if not isinstance(v.get("opening"), str) or not v["opening"].strip():
            problems.append(f"{vid}: opening must be a non-empty string")
        answers = v.get("answers") or {}
        if not isinstance(answers, dict):
            problems.append(f"{vid}: answers must be a mapping")
            answers = {}
        for key, reply in answers.items():
            if key not in CONTRACT_FINDINGS:
                problems.append(f"{vid}: answers key {key!r} is not a contract finding")
            if not isinstance(reply, str) or not reply.strip():
                # bare yes/no in YAML become booleans: quote them
                problems.append(f"{vid}: reply for {key!r} must be a quoted, non-empty string, got {reply!r}")
        expected = v.get("expected") or {}
        if expected.get("level") not in LEVELS:
            problems.append(f"{vid}: expected.level {expected.get('level')!r} not in {LEVELS}")
        if expected.get("top_cause") not in CAUSES:
            problems.append(f"{vid}: expected.top_cause {expected.get('top_cause')!r} not in {sorted(CAUSES)}")
        if expected.get("level") == "self_care" and expected.get("top_cause") != "benign":
            problems.append(f"{vid}: self_care only fits a benign picture")
    assert not problems, "\n".join(problems)


def test_vignette_spread():
    levels = Counter(v["expected"]["level"] for v in VIGNETTES)
    causes = Counter(v["expected"]["top_cause"] for v in VIGNETTES)
    for level, minimum in {"emergency": 8, "urgent": 16, "soon": 24, "self_care": 16}.items():
        assert levels[level] >= minimum, f"only {levels[level]} {level} vignettes: {dict(levels)}"
    for cause in CAUSES:
        assert causes[cause] >= 10, f"only {causes[cause]} vignettes with top cause {cause}: {dict(causes)}"


@pytest.mark.e2e
@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_vignette(rasa_server, vignette):
    outcome = play_vignette(BotClient(rasa_server.url, rasa_server.token), vignette)
    transcript = outcome.readable()
    expected_level = vignette["expected"]["level"]
    expected_cause = vignette["expected"]["top_cause"]

    assert not outcome.stuck, f"STUCK: {outcome.error}\n{transcript}"

    level = outcome.level
    assert level in URGENCY, f"unknown triage_level {level!r}\n{transcript}"
    if expected_level in ("emergency", "urgent") and URGENCY[level] < URGENCY[expected_level]:
        pytest.fail(f"UNDER-TRIAGE: expected {expected_level}, got {level}\n{transcript}")
    assert level == expected_level, f"level: expected {expected_level}, got {level}\n{transcript}"

    causes = outcome.causes
    if expected_level == "emergency" and not causes:
        return  # the contract allows no causes with an emergency
    assert causes, f"likely_causes is empty at level {level}\n{transcript}"
    assert causes[0] == expected_cause, (
        f"top cause: expected {expected_cause}, got {causes[0]} (all: {causes})\n{transcript}"
    )


@pytest.mark.e2e
def test_a_group_asked_again_offers_buttons_for_what_it_still_lists_only(rasa_server):
    from triage.engine import load_knowledge

    kb = load_knowledge()
    bot = BotClient(rasa_server.url, rasa_server.token)
    sender = f"regroup-{uuid.uuid4().hex[:8]}"
    bot.send(sender, "my calves keep jumping at night, I've been living on energy drinks")
    bot.send(sender, "no")
    body_signs = bot.send(sender, "none of these")[-1]
    assert [b["title"] for b in body_signs["buttons"]][:4] == [
        "Cramps",
        "Racing heart",
        "Hot, sweaty or shaky",
        "Tingling",
    ]
    again = bot.send(sender, kb.findings["palpitations"]["button"]["says"])[-1]  # the "Racing heart" button
    still_asked = bot.tracker(sender)["slots"]["asked_findings"]
    assert still_asked and "palpitations" not in still_asked
    titles = [button["title"] for button in again["buttons"]]
    expected = [
        kb.findings[f]["button"]["title"] for f in kb.question_groups["body_signs"]["findings"] if f in still_asked
    ]
    assert titles == expected + ["None of these", "Not sure"]
