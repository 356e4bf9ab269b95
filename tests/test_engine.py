"""Unit tests of triage/engine.py + triage/knowledge.yml, rule by rule against the article.

Source: shared/seed/000_743dc8f45a0e020d.txt, "Muscle Twitching All Over: Benign
Fasciculations vs Electrolyte Issues vs Nerve Disorders" (Team PainAssist).
Every test names the article sentence it checks in its docstring or a comment.

Answers are "yes" / "no" / "unsure"; duration is "short" / "long" / "unsure".
"""

import itertools
import random
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from triage.engine import (  # noqa: E402
    next_questions,
    assess,
    load_knowledge,
    merge_answers,
    most_cautious,
    next_question,
    red_flag_level,
)

from triage.vocabulary import CAUSES, CONTRACT_FINDINGS, LEVELS  # noqa: E402

KB = load_knowledge()
RANK = {level: len(LEVELS) - i for i, level in enumerate(LEVELS)}
RED_FLAGS = ["emergency_signs", "weakness", "speech_swallowing"]
# Asked first with them, though alone it is "soon" (clinical review F6).
SCREENED_FIRST = RED_FLAGS + ["muscle_wasting"]
COMPANIONS = [
    "cramps",
    "palpitations",
    "thyroid_signs",
    "tingling",
    "fluid_losses",
    "recent_med_change",
    "medical_history",
]
ASKED = [name for name, spec in KB.findings.items() if spec.get("ask", True)]


def all_clear(**overrides):
    """A complete picture with nothing worrying: every finding denied, twitching recent."""
    picture = {name: "no" for name in ASKED}
    picture["duration"] = "short"
    picture.update(overrides)
    return picture


def level_of(findings, details=()):
    return assess(findings, details).level


# --------------------------------------------------------------------------------------
# Contract: vocabulary, levels and causes exist in knowledge.yml
# --------------------------------------------------------------------------------------

# The contract lives beside the clone (../shared); docs/ keeps a copy so a clone on its own
# is checked too, and the copy must not drift from the original where both exist.
SHARED_CONTRACT = ROOT.parent / "shared" / "triage-contract.md"
CONTRACT_COPY = ROOT / "docs" / "triage-contract.md"
CONTRACT_FILE = SHARED_CONTRACT if SHARED_CONTRACT.exists() else CONTRACT_COPY


def test_the_contract_copy_in_docs_is_the_contract():
    assert CONTRACT_COPY.read_text(encoding="utf-8") == CONTRACT_FILE.read_text(encoding="utf-8")


@pytest.mark.parametrize("finding", CONTRACT_FINDINGS)
def test_contract_finding_exists_and_is_asked(finding):
    """Contract §3: the bot's follow-up questions name one of these findings."""
    assert finding in KB.findings
    assert finding in ASKED


def test_contract_vocabulary_matches_contract_file():
    """Contract §3 table: triage/vocabulary.py holds the contract's table."""
    text = CONTRACT_FILE.read_text(encoding="utf-8")
    section = text.split("## 3.", 1)[1].split("## 4.", 1)[0]
    names = re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)
    assert names == list(CONTRACT_FINDINGS)


def test_every_asked_finding_is_in_contract_vocabulary():
    """Contract §2: requested_slot only ever names a finding from the contract table."""
    assert set(ASKED) <= set(CONTRACT_FINDINGS)


def test_contract_levels_exist_most_urgent_first():
    """Contract §2: emergency, urgent, soon, self_care, most urgent first."""
    assert tuple(KB.levels) == LEVELS


def test_contract_cause_ids_exist():
    """Contract §2: cause ids benign, electrolyte, thyroid, neuromuscular."""
    assert set(KB.causes) == set(CAUSES)


def test_knowledge_is_internally_consistent():
    """Every level, cause and answer the file refers to is one the engine knows."""
    for name, spec in KB.findings.items():
        answers = KB.answers(name)
        for answer, level in spec.get("level", {}).items():
            assert answer in answers and level in KB.levels, (name, answer)
        for answer, clues in spec.get("clues", {}).items():
            assert answer in answers and set(clues) <= set(KB.causes), (name, answer)
        for detail, clues in spec.get("detail_clues", {}).items():
            assert detail in KB.details and set(clues) <= set(KB.causes), (name, detail)
    for combination in KB.combinations:
        assert combination["level"] in KB.levels
        for name, answers in combination["when"].items():
            assert set(answers) <= set(KB.answers(name))
    for hint in KB.electrolyte_hints.values():
        assert set(hint["points"]) <= set(KB.findings) | set(KB.details)
    for level in LEVELS:
        assert KB.advice[level]


def test_yes_and_no_are_strings_not_yaml_booleans():
    """YAML 1.1 would read yes/no as booleans; answers in the file must stay words."""
    assert KB.findings["weakness"]["level"] == {"yes": "urgent", "unsure": "soon"}


# --------------------------------------------------------------------------------------
# Level: emergency
# --------------------------------------------------------------------------------------


def test_emergency_signs_give_emergency():
    """'Seek urgent evaluation if you have: fainting, chest pain, or severe shortness of
    breath' (and seizures in severe low calcium): the contract maps these to emergency."""
    result = assess({"emergency_signs": "yes"})
    assert result.level == "emergency"
    assert result.concluded


def test_emergency_hides_benign_but_keeps_other_causes():
    """Contract: likely causes may be empty only at emergency; 'harmless' is not offered then."""
    assert assess({"emergency_signs": "yes"}).causes == []
    result = assess({"emergency_signs": "yes", "weakness": "yes"})
    assert result.level == "emergency"
    assert "benign" not in result.causes
    assert result.causes[0] == "neuromuscular"


@pytest.mark.parametrize(
    "other", [all_clear(), {"cramps": "yes", "palpitations": "yes"}, {"weakness": "unsure", "triggers": "yes"}]
)
def test_emergency_wins_over_everything(other):
    """Emergency signs are the most urgent level whatever else is reported."""
    assert level_of({**other, "emergency_signs": "yes"}) == "emergency"


# --------------------------------------------------------------------------------------
# Level: urgent
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "finding, article",
    [
        ("weakness", "sudden or progressive weakness affecting function (foot drop, dropping objects, repeated falls)"),
        ("speech_swallowing", "difficulty speaking or swallowing that is new or worsening"),
    ],
)
def test_neuromuscular_red_flags_give_urgent(finding, article):
    """'When to seek urgent care' / 'What makes twitching more concerning' (see `article`)."""
    result = assess(all_clear(**{finding: "yes"}))
    assert result.level == "urgent", article
    assert result.causes[0] == "neuromuscular"
    assert result.concluded


@pytest.mark.parametrize("cramps, palpitations", [("yes", "yes"), ("yes", "unsure"), ("unsure", "yes")])
def test_cramps_with_heart_rhythm_symptoms_give_urgent(cramps, palpitations):
    """'Severe cramps with confusion, severe weakness, or heart rhythm symptoms' -> urgent
    (art. 258); one of the two may be unsure (clinical review F7)."""
    result = assess(all_clear(cramps=cramps, palpitations=palpitations))
    assert result.level == "urgent"
    assert any("heart" in reason for reason in result.reasons)


def test_cramps_and_heart_rhythm_both_unsure_give_soon():
    """F7: two 'not sure' answers are not the article's severe cramps with rhythm symptoms."""
    assert level_of(all_clear(cramps="unsure", palpitations="unsure")) == "soon"


def test_muscle_wasting_alone_gives_soon():
    """art. 68/156 'visible muscle wasting that progresses' is concerning, but not in the
    urgent list (art. 256-259): a doctor soon (F6); the neuromuscular family leads."""
    result = assess(all_clear(muscle_wasting="yes"))
    assert result.level == "soon"
    assert result.causes[0] == "neuromuscular"


def test_muscle_wasting_with_weakness_or_shrinking_fast_gives_urgent():
    """F6: with weakness (art. 256) or when it is shrinking quickly it stays urgent."""
    assert level_of(all_clear(muscle_wasting="yes", weakness="yes")) == "urgent"
    assert level_of(all_clear(muscle_wasting="yes", weakness="unsure")) == "urgent"
    assert level_of(all_clear(muscle_wasting="yes"), ["rapid_progression"]) == "urgent"
    assert level_of(all_clear(muscle_wasting="no"), ["rapid_progression"]) == "self_care"


@pytest.mark.parametrize("palpitations, fluid_losses", [("yes", "yes"), ("yes", "unsure"), ("unsure", "yes")])
def test_palpitations_with_fluid_losses_give_urgent(palpitations, fluid_losses):
    """F2: art. 113 'palpitations or abnormal heart rhythm symptoms (requires prompt
    evaluation)' with art. 117's vomiting, diarrhoea, sweating or diuretics (low potassium)."""
    result = assess(all_clear(palpitations=palpitations, fluid_losses=fluid_losses), ["diuretic"])
    assert result.level == "urgent"
    assert result.causes[0] == "electrolyte"
    assert "potassium" in " ".join(result.reasons)


def test_hand_foot_spasm_with_tingling_gives_urgent():
    """F3: art. 97/103 'episodes of hand/foot tightening (more severe cases)' with tingling
    around the mouth (art. 101): severe low calcium, urgent."""
    result = assess(all_clear(cramps="yes", tingling="yes"), ["hand_foot_spasm", "mouth_tingling"])
    assert result.level == "urgent"
    assert "low calcium" in [KB.electrolyte_hints[h]["name"] for h in result.electrolyte_hints]
    assert level_of(all_clear(cramps="yes", tingling="no"), ["hand_foot_spasm"]) == "soon"


@pytest.mark.parametrize("finding", ["weakness", "speech_swallowing"])
def test_sudden_weakness_or_slurred_speech_is_an_emergency(finding):
    """F1, beyond the article (NHS 'Stroke - Symptoms'): sudden weakness or slurred speech
    may be a stroke; the same finding coming on slowly stays urgent (art. 256-257)."""
    assert level_of(all_clear(**{finding: "yes"}), ["sudden_onset"]) == "emergency"
    assert level_of(all_clear(**{finding: "yes"})) == "urgent"


def test_face_drooping_is_an_emergency():
    """F1, beyond the article (NHS 'Stroke - Symptoms', FAST): a face drooping on one side."""
    assert level_of({}, ["face_droop"]) == "emergency"
    assert red_flag_level({}, details=["face_droop"]) == "emergency"


@pytest.mark.parametrize("group", ["child", "pregnant"])
def test_children_and_pregnancy_see_a_doctor_at_least_soon(group):
    """B3/B4, beyond the article: the article is written for adults who are not pregnant."""
    result = assess(all_clear(triggers="yes"), [group, "caffeine"])
    assert result.level == "soon"
    assert level_of(all_clear(emergency_signs="yes"), [group]) == "emergency"


def test_illness_with_poor_intake_gives_soon():
    """F10: art. 249 'recent illness that could trigger electrolyte changes' with art. 117
    'poor intake during illness'; an illness that is over, eating normally, stays a trigger."""
    assert level_of(all_clear(triggers="yes"), ["recent_illness", "poor_intake"]) == "soon"
    assert level_of(all_clear(triggers="yes"), ["recent_illness"]) == "self_care"


def test_urgent_never_leads_with_the_harmless_cause():
    """F5: no urgent card headlines 'benign (harmless) fasciculations' (checked exhaustively
    over the red flags and the combinations, with every harmless clue present)."""
    benign_clues = {"triggers": "yes", "duration": "short", "benign_pattern": "yes", "recent_med_change": "yes"}
    names = RED_FLAGS + ["cramps", "palpitations", "fluid_losses", "muscle_wasting"]
    for combo in itertools.product((None, "yes", "no", "unsure"), repeat=len(names)):
        findings = {**benign_clues, **{n: a for n, a in zip(names, combo) if a is not None}}
        result = assess(findings, ["caffeine"])
        if result.level == "urgent":
            assert result.causes and result.causes[0] != "benign", findings


def test_a_red_flag_outweighs_every_harmless_clue():
    """F17: 'those findings shift the concern toward neuromuscular disease evaluation'
    (art. 72) with every harmless clue at once: a margin, not a tie."""
    findings = {
        "triggers": "yes",
        "duration": "short",
        "benign_pattern": "yes",
        "recent_med_change": "yes",
        "muscle_wasting": "yes",
    }
    scores = __import__("triage.engine", fromlist=["_cause_scores"])._cause_scores(findings, [], KB)
    assert scores["neuromuscular"] > scores["benign"]


def test_cramps_with_severe_weakness_give_urgent():
    """'Severe cramps with ... severe weakness' -> urgent."""
    assert level_of(all_clear(cramps="yes", weakness="yes")) == "urgent"


def test_cramps_with_confusion_at_least_urgent():
    """'Severe cramps with confusion' -> urgent; sudden confusion is an emergency sign here."""
    assert RANK[level_of(all_clear(cramps="yes", emergency_signs="yes"))] >= RANK["urgent"]


@pytest.mark.parametrize("finding", ["cramps", "palpitations"])
def test_either_half_of_the_combination_alone_is_only_soon(finding):
    """Cramps alone or palpitations alone are in 'When to see a doctor soon', not urgent."""
    assert level_of(all_clear(**{finding: "yes"})) == "soon"


# --------------------------------------------------------------------------------------
# Level: soon
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "finding, answer, article",
    [
        ("duration", "long", "twitching persists beyond a few weeks despite lifestyle adjustments"),
        ("cramps", "yes", "twitching is accompanied by frequent cramps"),
        ("tingling", "yes", "twitching is accompanied by ... tingling"),
        ("palpitations", "yes", "palpitations"),
        ("thyroid_signs", "yes", "heat intolerance, sweating, tremor, or weight loss"),
        ("recent_med_change", "yes", "you have new medications"),
        ("fluid_losses", "yes", "recent illness that could trigger electrolyte changes"),
        ("medical_history", "yes", "a personal history of kidney disease, thyroid disease, or chronic diarrhea"),
    ],
)
def test_see_a_doctor_soon_list(finding, answer, article):
    """'When to see a doctor soon (not necessarily emergency)' (see `article`)."""
    result = assess(all_clear(**{finding: answer}))
    assert result.level == "soon", article
    assert result.causes  # never empty below emergency


def test_fatigue_alone_gives_soon():
    """'Arrange an appointment if twitching is accompanied by ... fatigue.'"""
    assert level_of(all_clear(), details=["fatigue"]) == "soon"


# --------------------------------------------------------------------------------------
# Level: self_care
# --------------------------------------------------------------------------------------


def test_all_clear_is_self_care_and_concluded():
    """'If twitching is mild, you feel otherwise well, and there is no progressive
    weakness, these steps often help within 2-4 weeks.'"""
    result = assess(all_clear())
    assert result.level == "self_care"
    assert result.causes == ["benign"]
    assert result.concluded
    assert result.electrolyte_hints == []


def test_triggers_and_benign_pattern_keep_self_care():
    """Benign triggers (stress, sleep loss, caffeine, exercise) and a fluctuating,
    moving pattern are 'more reassuring': self-care, benign first."""
    result = assess(all_clear(triggers="yes", benign_pattern="yes"), details=["caffeine", "poor_sleep"])
    assert result.level == "self_care"
    assert result.causes == ["benign"]
    assert any("caffeine" in reason for reason in result.reasons)


def test_reassurances_name_what_argues_against_worry():
    """'Twitching is more reassuring when strength is normal and stable over time.'"""
    result = assess(all_clear())
    assert "no weakness was noticed" in result.reassurances
    assert result.reasons == [] or all("strength" not in r for r in result.reasons)


def test_self_care_advice_matches_home_steps():
    """'What you can try first at home': cut caffeine, sleep, deload exercise, no megadoses."""
    steps = " ".join(KB.advice["self_care_steps"]).lower()
    for word in ["coffee", "sleep", "exercise", "potassium"]:
        assert word in steps
    assert "2 to 4 weeks" in KB.advice["self_care"]


# --------------------------------------------------------------------------------------
# Causes ranking
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "findings, details, top, article",
    [
        ({}, (), "benign", "widespread muscle twitching is most often caused by benign triggers"),
        ({"triggers": "yes"}, ("stress",), "benign", "stress, lack of sleep, caffeine ... are linked with BFS"),
        ({"cramps": "yes"}, (), "electrolyte", "electrolyte imbalance can cause cramps, spasms, weakness"),
        ({"tingling": "yes"}, (), "electrolyte", "numbness/tingling suggests electrolyte/nerve irritation"),
        ({"fluid_losses": "yes"}, (), "electrolyte", "especially likely with vomiting, diarrhea, sweating, diuretics"),
        ({"thyroid_signs": "yes"}, (), "thyroid", "weight loss, heat intolerance, sweating suggest thyroid"),
        (
            {"thyroid_signs": "yes", "palpitations": "yes"},
            ("tremor",),
            "thyroid",
            "suspect thyroid: twitching plus tremor and palpitations",
        ),
        ({"palpitations": "yes"}, (), "thyroid", "palpitations suggest electrolyte or thyroid"),
        ({"medical_history": "yes"}, ("thyroid_disease",), "thyroid", "history of thyroid disease"),
        ({"medical_history": "yes"}, ("kidney_disease",), "electrolyte", "history of kidney disease"),
        ({"medical_history": "yes"}, ("chronic_diarrhoea",), "electrolyte", "history of chronic diarrhea"),
        ({"weakness": "yes"}, (), "neuromuscular", "progressive weakness shifts concern to neuromuscular"),
        ({"muscle_wasting": "yes"}, (), "neuromuscular", "visible muscle wasting that progresses"),
        ({"speech_swallowing": "yes"}, (), "neuromuscular", "bulbar symptoms such as dysarthria and dysphagia"),
    ],
)
def test_most_likely_cause(findings, details, top, article):
    """Each row quotes the article line that points to the cause (see `article`)."""
    assert assess(all_clear(**findings), details).causes[0] == top, article


def test_palpitations_also_list_electrolytes():
    """'Palpitations (suggest electrolyte or thyroid)': both appear, thyroid first."""
    causes = assess(all_clear(palpitations="yes")).causes
    assert causes.index("thyroid") < causes.index("electrolyte")


def test_weakness_also_lists_electrolytes():
    """Low potassium: 'muscle weakness more than twitching' keeps electrolytes on the list."""
    causes = assess({"weakness": "yes"}).causes
    assert causes[0] == "neuromuscular"
    assert causes.index("electrolyte") < causes.index("benign")


def test_medication_change_points_to_stimulants_and_salts():
    """'Twitching can spike with stimulant medications' and medicines can drain salts."""
    causes = assess(all_clear(recent_med_change="yes")).causes
    assert causes[0] == "benign" and "electrolyte" in causes


def test_tie_goes_to_the_more_serious_cause():
    """'Usually benign is not the same as always benign': a tie leans to caution."""
    causes = assess({"cramps": "yes", "triggers": "yes"}).causes  # 2 points each
    assert causes.index("electrolyte") < causes.index("benign")


def test_benign_stays_listed_below_emergency():
    """'Most widespread twitching is benign': benign is offered at urgent/soon/self_care."""
    for findings in [all_clear(weakness="yes"), all_clear(cramps="yes"), all_clear()]:
        assert "benign" in assess(findings).causes


def test_only_details_with_a_level_of_their_own_set_the_level():
    """Knowledge: details refine the causes; only those in detail_levels (fatigue) set a level."""
    plain_details = [d for d in KB.details if d not in KB.detail_levels]
    assert level_of(all_clear(), details=plain_details) == "self_care"


# --------------------------------------------------------------------------------------
# Electrolyte hints: magnesium / calcium / potassium
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "findings, details, expected, article",
    [
        (
            {"cramps": "yes"},
            ("tremor",),
            {"magnesium"},
            "low magnesium clues: twitching plus muscle cramps; tremor or shakiness",
        ),
        ({"cramps": "yes"}, ("diarrhoea",), {"magnesium"}, "magnesium: gastrointestinal losses (diarrhea)"),
        ({"cramps": "yes"}, ("fatigue",), {"magnesium"}, "magnesium: fatigue and weakness"),
        (
            {"tingling": "yes"},
            ("mouth_tingling",),
            {"calcium"},
            "low calcium clues: tingling around the mouth or in fingers/toes",
        ),
        (
            {"cramps": "yes"},
            ("hand_foot_spasm",),
            {"calcium"},
            "calcium: episodes of hand/foot tightening (more severe cases)",
        ),
        (
            {"palpitations": "yes"},
            ("fatigue",),
            {"potassium"},
            "potassium clues: fatigue; palpitations or abnormal heart rhythm symptoms",
        ),
        ({"fluid_losses": "yes"}, ("diuretic", "vomiting"), {"potassium"}, "potassium: diuretic use, vomiting"),
        (
            {"weakness": "yes", "palpitations": "yes"},
            (),
            {"potassium"},
            "potassium: muscle weakness more than twitching; palpitations",
        ),
        (
            {"cramps": "yes", "tingling": "yes"},
            (),
            {"magnesium", "calcium"},
            "both magnesium (cramps, tingling) and calcium (tingling, cramps)",
        ),
    ],
)
def test_electrolyte_hints(findings, details, expected, article):
    """Which salt the article's 'clues that point toward low ...' lists suggest (see `article`)."""
    result = assess(all_clear(**findings), details)
    assert "electrolyte" in result.causes
    assert set(result.electrolyte_hints) == expected, article


def test_magnesium_clues_include_weakness():
    """Low magnesium clues include 'fatigue and weakness'."""
    result = assess(all_clear(cramps="yes", weakness="yes"))
    assert "magnesium" in result.electrolyte_hints


def test_single_clue_gives_no_hint():
    """One clue is not enough to name a salt: a blood test comes first ('testing and
    targeted replacement rather than guessing')."""
    assert assess(all_clear(cramps="yes")).electrolyte_hints == []


def test_no_hints_without_electrolyte_cause():
    """Hints show only when the picture points to electrolytes at all."""
    result = assess(all_clear(), details=["tremor", "diarrhoea"])
    assert "electrolyte" not in result.causes
    assert result.electrolyte_hints == []


# --------------------------------------------------------------------------------------
# Questioning: ask only what can change the advice
# --------------------------------------------------------------------------------------


def test_red_flags_are_asked_first_in_order():
    """'Companion symptoms (the most important part)': the red flags lead the questions."""
    asked, findings = [], {}
    while (question := next_question(findings)) in RED_FLAGS:
        asked.append(question)
        findings[question] = "no"
    assert asked == [f for f in ASKED if f in RED_FLAGS]
    assert asked[0] == "emergency_signs"
    assert set(asked) == set(RED_FLAGS)


def test_first_question_is_emergency_signs():
    """The most dangerous signs ('fainting, chest pain, severe shortness of breath') first."""
    assert next_question({}) == "emergency_signs"
    assert assess({}).next_question == "emergency_signs"


@pytest.mark.parametrize(
    "finding, answer",
    [
        ("emergency_signs", "yes"),
        ("emergency_signs", "unsure"),
        ("weakness", "yes"),
        ("speech_swallowing", "yes"),
    ],
)
def test_questions_stop_at_emergency_or_urgent(finding, answer):
    """Contract: an emergency or urgent finding concludes at once, no further questions."""
    assert next_question({finding: answer}) is None
    assert assess({finding: answer}).concluded
    assert red_flag_level({finding: answer}) in ("emergency", "urgent")


def test_questions_stop_at_urgent_combination():
    """'Severe cramps with heart rhythm symptoms' concludes as urgent immediately."""
    assert next_question({"cramps": "yes", "palpitations": "yes"}) is None


def test_complete_all_no_picture_asks_nothing_more():
    """A full picture without red flags needs no more questions."""
    assert next_question(all_clear()) is None


@pytest.mark.parametrize("missing", COMPANIONS + ["duration"])
def test_self_care_needs_companions_answered(missing):
    """'Companion symptoms (the most important part)': self-care is not concluded while
    a companion that could make it 'soon' is still unknown."""
    findings = all_clear()
    del findings[missing]
    result = assess(findings)
    assert result.level == "self_care"
    assert not result.concluded
    assert result.next_question == missing


def test_triggers_not_asked_when_they_cannot_change_advice():
    """Triggers only add to 'benign', already the top cause at self-care: not asked."""
    findings = all_clear()
    del findings["triggers"]
    assert next_question(findings) is None


def test_red_flags_still_asked_at_soon():
    """At 'soon' a red flag could still make it 'urgent', so it is asked."""
    assert next_question({"cramps": "yes"}) == "emergency_signs"


@pytest.mark.parametrize(
    "known",
    [
        {"thyroid_signs": "yes"},
        {"thyroid_signs": "yes", "medical_history": "yes"},
        {"tingling": "yes"},
    ],
)
def test_both_halves_of_a_combination_are_asked_even_when_neither_alone_changes_the_advice(known):
    """Cramps with palpitations call for 'urgent'. Once another finding already gives
    'soon' and a strong cause, neither half alone changes the advice, but together they
    do: both must still be asked, or a same-day picture would end as 'soon'."""
    findings = {flag: "no" for flag in ("emergency_signs", "weakness", "speech_swallowing", "muscle_wasting")}
    findings.update(known)
    asked = []
    while (question := next_question(findings)) is not None:
        asked.append(question)
        findings[question] = "yes" if question in ("cramps", "palpitations") else "no"
    assert {"cramps", "palpitations"} <= set(asked)
    assert assess(findings).level == "urgent"


def test_half_of_a_combination_is_not_asked_when_the_other_half_alone_decides():
    """With fluid losses, palpitations alone are urgent (F2): cramps cannot change that, so
    they are not asked once palpitations are denied (found by tests/test_properties.py)."""
    findings = {
        name: "no"
        for name in (
            "emergency_signs",
            "weakness",
            "speech_swallowing",
            "muscle_wasting",
            "palpitations",
            "thyroid_signs",
            "tingling",
            "recent_med_change",
            "medical_history",
            "triggers",
        )
    }
    findings.update(fluid_losses="yes", duration="short")
    assert next_question(findings) is None
    assert next_question({k: v for k, v in findings.items() if k != "palpitations"}) == "palpitations"


def test_every_question_could_change_the_advice():
    """Walk random conversations: each question asked has an answer that changes the
    level or the most likely cause ('ask only what can change the advice')."""
    rng = random.Random(20260222)
    for _ in range(300):
        findings = {}
        while (question := next_question(findings)) is not None:
            assert question not in findings
            base = assess(findings)
            outcomes = {
                (assess({**findings, question: a}).level, (assess({**findings, question: a}).causes or [None])[0])
                for a in KB.answers(question)
            }
            # ... or, with the other half of a combination still open, the level
            partners = {
                other: answers
                for combination in KB.combinations
                if question in combination["when"]
                for other, answers in combination["when"].items()
                if other != question and other not in findings
            }
            raised = any(
                KB.level_rank[assess({**findings, question: a, other: b}).level]
                > KB.level_rank[assess({**findings, other: b}).level]
                for a in KB.answers(question)
                for other, answers in partners.items()
                for b in answers
            )
            assert raised or outcomes != {(base.level, (base.causes or [None])[0])}
            findings[question] = rng.choice(KB.answers(question))
        assert len(findings) <= len(ASKED)


def test_benign_pattern_is_never_asked():
    """The benign pattern is only taken from what the person describes."""
    rng = random.Random(7)
    for _ in range(100):
        findings = {}
        while (question := next_question(findings)) is not None:
            assert question != "benign_pattern"
            findings[question] = rng.choice(KB.answers(question))


# --------------------------------------------------------------------------------------
# Uncertainty handled cautiously
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("finding", [f for f in KB.findings if "unsure" in KB.answers(f)])
def test_unsure_never_lowers_level_vs_no(finding):
    """'Usually benign is not the same as always benign': not knowing is never safer than 'no'."""
    rng = random.Random(sum(map(ord, finding)))
    for _ in range(200):
        others = _random_findings(rng, exclude=finding)
        assert RANK[level_of({**others, finding: "unsure"})] >= RANK[level_of({**others, finding: "no"})]


@pytest.mark.parametrize("finding", RED_FLAGS)
def test_unsure_red_flag_gives_at_least_soon(finding):
    """A red flag that cannot be ruled out needs a clinician: 'a normal neurologic exam'
    is what makes it benign."""
    assert RANK[level_of(all_clear(**{finding: "unsure"}))] >= RANK["soon"]


def test_unsure_emergency_signs_give_urgent():
    """Unsure about 'fainting, chest pain, or severe shortness of breath' -> seek urgent care."""
    assert level_of(all_clear(emergency_signs="unsure")) == "urgent"


def test_most_cautious_of_conflicting_answers():
    """Of conflicting answers in one message, keep the one needing most care."""
    assert most_cautious("weakness", ["no", "yes"]) == "yes"
    assert most_cautious("weakness", ["no", "unsure"]) == "unsure"
    assert most_cautious("emergency_signs", ["unsure", "no"]) == "unsure"
    assert most_cautious("duration", ["short", "long"]) == "long"
    assert most_cautious("cramps", ["maybe", None]) is None


# --------------------------------------------------------------------------------------
# Monotonic safety
# --------------------------------------------------------------------------------------


def _random_findings(rng, exclude=None):
    findings = {}
    for name in KB.findings:
        if name == exclude:
            continue
        choice = rng.choice((None,) + KB.answers(name))
        if choice is not None:
            findings[name] = choice
    return findings


def test_adding_a_red_flag_yes_never_lowers_the_level():
    """Any red flag reported on top of any picture keeps the level at least as urgent
    (fixed-seed random combinations)."""
    rng = random.Random(743)
    for _ in range(2000):
        findings = _random_findings(rng)
        before = level_of(findings)
        for flag in RED_FLAGS:
            after = level_of({**findings, flag: "yes"})
            assert RANK[after] >= RANK[before], (findings, flag)
            assert RANK[after] >= RANK["urgent"], (findings, flag)


def test_adding_a_red_flag_exhaustively_over_red_flags_and_combination():
    """Exhaustive over every answer to the red flags and the cramps/palpitations pair."""
    names = RED_FLAGS + ["cramps", "palpitations"]
    options = [(None, "yes", "no", "unsure")] * len(names)
    for combo in itertools.product(*options):
        findings = {n: a for n, a in zip(names, combo) if a is not None}
        before = level_of(findings)
        for flag in RED_FLAGS:
            assert RANK[level_of({**findings, flag: "yes"})] >= RANK[before]


def test_any_yes_never_lowers_the_level():
    """More symptoms never mean less care: any answer 'yes' (or duration 'long') keeps
    the level at least as urgent as leaving the finding out or answering 'no'."""
    rng = random.Random(2026)
    for _ in range(1000):
        findings = _random_findings(rng)
        for name in KB.findings:
            worst = "long" if name == "duration" else "yes"
            base = {k: v for k, v in findings.items() if k != name}
            for weaker in (None, "no", "short"):
                if weaker is not None and weaker not in KB.answers(name):
                    continue
                lower = base if weaker is None else {**base, name: weaker}
                assert RANK[level_of({**base, name: worst})] >= RANK[level_of(lower)]


def test_causes_non_empty_below_emergency():
    """Contract: likely_causes is empty only when the level is emergency."""
    rng = random.Random(11)
    for _ in range(2000):
        result = assess(_random_findings(rng), rng.sample(sorted(KB.details), 3))
        if result.level != "emergency":
            assert result.causes, result
        assert set(result.causes) <= set(KB.causes)
        assert len(result.causes) == len(set(result.causes))


# --------------------------------------------------------------------------------------
# merge_answers: a reported red flag stays reported
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", RED_FLAGS)
@pytest.mark.parametrize("new", ["no", "unsure"])
def test_merge_keeps_reported_red_flag(flag, new):
    """A danger sign once reported is never silently cleared by a later answer."""
    assert merge_answers("yes", new, flag) == "yes"


@pytest.mark.parametrize(
    "previous, new, finding, expected",
    [
        ("yes", "no", "cramps", "no"),  # not a red flag: the newest answer wins
        ("no", "yes", "weakness", "yes"),  # newly reported red flag
        ("unsure", "no", "emergency_signs", "no"),  # clarified
        (None, "unsure", "weakness", "unsure"),
        ("short", "long", "duration", "long"),
    ],
)
def test_merge_newest_answer_otherwise(previous, new, finding, expected):
    """Otherwise the newest answer wins."""
    assert merge_answers(previous, new, finding) == expected


def test_red_flags_are_the_same_day_findings():
    """The red flags are the findings whose answer alone calls for same-day help."""
    assert set(KB.red_flags()) == set(RED_FLAGS)


# --------------------------------------------------------------------------------------
# Garbage input is ignored, not crashing
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [
        {"not_a_finding": "yes"},
        {"weakness": "maybe"},
        {"weakness": None},
        {"weakness": True},
        {"duration": "yes"},
        {"cramps": "short"},
        {None: "yes"},
        {42: ["yes"]},
        {"emergency_signs": "YES please"},
    ],
)
def test_garbage_findings_are_ignored(garbage):
    """Unknown names and invalid answers count as 'not asked'."""
    result = assess(garbage)
    assert result.level == "self_care"
    assert result.next_question == "emergency_signs"
    assert red_flag_level(garbage) is None
    assert assess({**all_clear(), **garbage}).level == "self_care"


def test_invalid_answer_leaves_finding_to_ask():
    """An invalid answer to a red flag means it is still asked, not assumed 'no'."""
    assert next_question({"emergency_signs": "perhaps"}) == "emergency_signs"


def test_garbage_details_are_ignored():
    """Unknown details are dropped from the explanation."""
    result = assess(all_clear(), details=["caffeine", "unicorns", None, "caffeine"])
    assert result.level == "self_care"
    assert [r for r in result.reasons if r.startswith("you mentioned")] == ["you mentioned caffeine or energy drinks"]


@pytest.mark.parametrize(
    "call",
    [
        lambda: assess(None),
        lambda: assess({}, None),
        lambda: next_question(None),
        lambda: next_question({}, None),
        lambda: assess({}, [["caffeine"], {"x": 1}, 3]),
        lambda: red_flag_level(None),
        lambda: merge_answers(None, None, "weakness"),
        lambda: merge_answers("yes", "no", "not_a_finding"),
        lambda: most_cautious("not_a_finding", ["yes"]),
        lambda: most_cautious("weakness", None),
    ],
)
def test_none_and_unknowns_do_not_crash(call):
    """None where a mapping, list or answer is expected is treated as nothing said."""
    call()


def test_none_inputs_mean_nothing_said():
    """None means nothing said yet: start with the red flags, nothing concluded."""
    assert assess(None).level == "self_care"
    assert assess(None).next_question == "emergency_signs"
    assert next_question(None) == "emergency_signs"
    assert red_flag_level(None) is None
    assert most_cautious("not_a_finding", ["yes"]) is None


def test_engine_is_free_of_rasa():
    """The engine stays pure Python so a clinician's rules can be tested without Rasa."""
    source = (ROOT / "triage" / "engine.py").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import|from)\s+rasa", source, flags=re.M)


@pytest.mark.parametrize(
    "finding, cause",
    [
        ("cramps", "electrolyte"),
        ("tingling", "electrolyte"),
        ("fluid_losses", "electrolyte"),
        ("thyroid_signs", "thyroid"),
    ],
)
def test_a_doctor_soon_for_a_clue_leads_with_that_family_not_the_harmless_one(finding, cause):
    """art. 246-250 name these clues as the reasons to book; with every harmless clue too,
    the card leads with the family they point to (benign stays listed)."""
    findings = all_clear(**{finding: "yes"}, triggers="yes", benign_pattern="yes")
    result = assess(findings, ["caffeine"])
    assert result.level == "soon" and result.causes[0] == cause and "benign" in result.causes


def test_lasting_harmless_twitching_still_leads_with_the_harmless_family():
    """'twitching persists beyond a few weeks' (art. 246) is a reason to book, not a clue."""
    result = assess(all_clear(duration="long", triggers="yes"), ["stress"])
    assert result.level == "soon" and result.causes[0] == "benign"


def test_lasting_tiredness_points_to_body_salts():
    """art. 111-112: fatigue is a low-potassium clue."""
    assert "electrolyte" in assess(all_clear(), ["fatigue"]).causes


# --------------------------------------------------------------------------------------
# Grouped questions (contract section 4): fewer questions, nothing skipped
# --------------------------------------------------------------------------------------


def test_the_emergency_screen_is_asked_alone_and_first():
    assert next_questions({}) == (None, ["emergency_signs"])


def test_companions_are_asked_as_groups_of_what_could_still_change_the_advice():
    group, asked = next_questions({"emergency_signs": "no"})
    assert group == "nerve_signs" and asked == ["weakness", "speech_swallowing", "muscle_wasting"]
    group, asked = next_questions(
        {"emergency_signs": "no", "weakness": "no", "speech_swallowing": "no", "muscle_wasting": "no", "cramps": "yes"}
    )
    assert group == "body_signs" and "palpitations" in asked and "cramps" not in asked


def test_grouping_never_skips_a_question_the_single_questions_would_ask():
    """Over random pictures, every finding next_question would ask is in the group asked."""
    rng = random.Random(4)
    for _ in range(500):
        findings = _random_findings(rng)
        first = next_question(findings)
        group, asked = next_questions(findings)
        assert (first is None) == (asked == [])
        if first:
            assert first in asked


def test_a_self_care_picture_takes_at_most_six_questions():
    """Emergency screen, three groups, duration and triggers."""
    findings, questions = {}, 0
    while True:
        group, asked = next_questions(findings)
        if not asked:
            break
        questions += 1
        findings.update({name: ("short" if name == "duration" else "no") for name in asked})
    assert assess(findings).level == "self_care" and questions <= 6


def test_sweating_with_thyroid_signs_and_a_racing_heart_is_a_thyroid_picture_not_a_fluid_loss():
    """F2 is about fluid losses draining potassium (art. 113, 117); sweating with heat,
    weight loss or shaky hands is a thyroid sign (art. 126): soon, thyroid first."""
    result = assess(all_clear(palpitations="yes", fluid_losses="yes", thyroid_signs="yes"), ["sweating", "tremor"])
    assert result.level == "soon" and result.causes[0] == "thyroid"
    heavy_work_sweating = assess(all_clear(palpitations="yes", fluid_losses="yes"), ["sweating"])
    assert heavy_work_sweating.level == "urgent"
    vomiting_too = assess(
        all_clear(palpitations="yes", fluid_losses="yes", thyroid_signs="yes"), ["sweating", "vomiting"]
    )
    assert vomiting_too.level == "urgent"
