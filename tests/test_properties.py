"""Property-based tests (hypothesis) of the language pipeline and the clinical engine.

Where tests/test_nlu_pipeline.py and tests/test_engine.py check chosen examples, these
check rules that must hold for *any* input:

- the spaCy pipeline + FindingExtractor's conversion (``entities_from_doc``) never
  raises on arbitrary text (control characters, emoji, other scripts, lookalike letters,
  20k-character messages, lexicon words mixed with negations and noise), as typed and
  lower-cased as Rasa's SpacyNLP passes it on; every entity names a finding of the fixed
  vocabulary with a value the engine accepts, at offsets inside the text; a stated
  duration is a finite number of days; and any message, through the action's answer
  extraction, gives findings ``assess`` takes;
- ``assess`` never raises on arbitrary finding combinations, always gives a valid level
  and valid likely causes (contract: empty only at emergency), and ``next_question``
  asks only something unanswered, and nothing once the level is urgent or emergency;
- monotonic safety: a red flag, a more worrying answer ("no" -> "unsure" -> "yes"), an
  extra answer or an extra detail never lowers the level, and ``merge_answers`` keeps a
  reported red flag reported through any later answers;
- the card built from any assessment never raises and never words a diagnosis.

Hypothesis writes no example database here (``database=None``): a failure prints the
falsifying example and a ``@reproduce_failure`` blob instead.
"""

import math
import re
import string

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from actions.extract_findings import answers_in_message
from triage.card import LEVEL_MARKS as LEVEL_MARK, NOT_A_DIAGNOSIS, build_card, card_as_text
from triage.engine import (
    assess,
    duration_answer,
    load_knowledge,
    merge_answers,
    most_cautious,
    next_question,
)
from triage.vocabulary import CAUSES, CONTRACT_FINDINGS, LEVELS
from twitch_nlp.finding_extractor import entities_from_doc
from twitch_nlp.duration import NUMBER_WORDS, duration_in_days
from twitch_nlp.lexicon import GAP, load_lexicon
from twitch_nlp.pipeline import build_pipeline

KB = load_knowledge()
LEXICON = load_lexicon()

# ---- the fixed vocabularies, from the contract (triage/vocabulary.py) ---------------

RANK = {level: len(LEVELS) - i for i, level in enumerate(LEVELS)}
# Findings the engine knows but never asks: filled only from what the person says.
FINDINGS = set(KB.findings)
ASKED = set(KB.asked_findings())
ANSWERS = {"yes", "no", "unsure"}
DURATION_ANSWERS = {"short", "long", "unsure"}
# Red flags: findings whose answer alone calls for same-day help or more (knowledge.yml).
RED_FLAGS = sorted(
    name
    for name, spec in KB.findings.items()
    if any(RANK[level] >= RANK["urgent"] for level in spec.get("level", {}).values())
)
# How much care an answer calls for: a more worrying answer never lowers the level.
CONCERN = {"no": 0, "short": 0, "unsure": 1, "yes": 2, "long": 2}


def test_vocabularies_are_what_the_properties_assume():
    """The properties below rely on these; if knowledge.yml changes, revisit them."""
    assert list(KB.levels) == list(LEVELS)
    assert set(KB.causes) == set(CAUSES)
    assert set(CONTRACT_FINDINGS) <= ASKED <= FINDINGS
    assert FINDINGS - set(CONTRACT_FINDINGS) == {"benign_pattern"}
    assert set(RED_FLAGS) == {"emergency_signs", "weakness", "speech_swallowing"}
    assert set(RED_FLAGS) == set(KB.red_flags())
    for name in FINDINGS:
        assert set(KB.answers(name)) == (DURATION_ANSWERS if name == "duration" else ANSWERS)
    # Every label the lexicon can give is a finding the engine knows, every detail too.
    labels = set(LEXICON["findings"]) | {s["finding"] for s in LEXICON["details"].values() if s["finding"]}
    assert labels <= FINDINGS
    assert set(LEXICON["details"]) <= set(KB.details)


# ======================================================================================
# 1. The language pipeline on arbitrary text
# ======================================================================================


@pytest.fixture(scope="module")
def nlp():
    """The project's spaCy pipeline, built from the current code and lexicon, once."""
    return build_pipeline()


def _phrases():
    phrases = [p for ps in LEXICON["findings"].values() for p in ps or []]
    phrases += [p for spec in LEXICON["details"].values() for p in spec["phrases"]]
    return sorted({str(p) for p in phrases})


PHRASES = _phrases()
CUES = sorted({str(c) for by_dir in LEXICON["context_cues"].values() for cs in by_dir.values() for c in cs})
OPENERS = sorted({str(o) for os_ in LEXICON["answer_openers"].values() for o in os_})
DURATION_WORDS = [
    "3 weeks",
    "ten days",
    "a couple of months",
    "since last month",
    "2 yrs",
    "since yesterday",
    "for ages",
    "weeks",
    "0 days",
    "1.5 weeks",
    "9" * 400 + " days",
    "99999 years",
    "٣ weeks",
    "۲ months",  # Arabic-Indic digits are digits too
    "ſeven days",
    "fıve weeks",
    "3 dayſ",
    "two weeKs",
    "İ day",  # letters that casefold oddly
]
NOISE = [
    "",
    " ",
    "  ",
    "\n",
    "\r\n",
    "\t",
    "\x00",
    "\x1b[31m",
    "\u200b",
    "\u200d",
    "\u202e",
    "\ufeff",
    "...",
    "?",
    "!!",
    ",",
    ";",
    "/",
    "&",
    "|",
    "—",
    "’",
    "'",
    '"',
    "-",
    "(",
    ")",
    ":)",
    "😀",
    "🫠",
    "👨‍👩‍👧",
    "🇬🇧",
    "💪🏽",  # emoji, a ZWJ sequence, a flag, a skin tone
    "肌肉抽搐",
    "мышца дёргается",
    "عضلة",
    "मांसपेशी",
    "ꙮ",
    "𝔴𝔢𝔞𝔨",  # other scripts
    "ＷＥＡＫ",
    "ﬁne",
    "İ",
    "ı",
    "ſ",
    "K",
    "ß",
    "Σ",
    "\U0010ffff",
    "\ud7ff",
]
LOOKALIKES = str.maketrans({"s": "ſ", "i": "ı", "k": "K", "o": "о", "a": "а"})


def _fill_gap(phrase: str, filler: str) -> str:
    return phrase.replace(GAP, filler)


lexicon_word = st.one_of(
    st.builds(_fill_gap, st.sampled_from(PHRASES), st.sampled_from(["", "my", "keeps", "really really", "a b c d"])),
    st.sampled_from(CUES),
    st.sampled_from(OPENERS),
    st.sampled_from(DURATION_WORDS),
    st.sampled_from(NOISE),
    st.text(max_size=8),
)
spelling = st.sampled_from(
    [
        str,
        str.upper,
        str.lower,
        str.title,
        str.swapcase,
        lambda s: s.translate(LOOKALIKES),
        lambda s: s[:-1] if len(s) > 4 else s,  # a typo: last letter missing
        lambda s: s + s[-1:],  # a typo: last letter doubled
    ]
)
separator = st.sampled_from([" ", " ", " ", ", ", ". ", " and ", " but ", "\n", "", "?? "])


@st.composite
def lexicon_text(draw, max_words=30):
    """Lexicon phrases, negations, uncertainty, openers and durations mixed with noise."""
    words = draw(st.lists(st.tuples(lexicon_word, spelling, separator), max_size=max_words))
    return "".join(spell(word) + sep for word, spell, sep in words)


any_text = st.one_of(
    st.text(max_size=300),  # all of unicode but surrogates, control characters included
    st.text(alphabet=st.characters(codec="utf-8"), max_size=100),
    st.text(alphabet=string.printable, max_size=300),
    st.text(alphabet=st.characters(categories=["Nd", "Zs", "L"]), max_size=50).map(lambda t: t + " days"),
    lexicon_text(),
)
# Long messages, up to 20k characters: a chunk repeated (drawing 20k fresh characters is
# slow, and a failure then reads as chunk + times rather than 20k characters).
long_chunk = st.one_of(st.text(min_size=1, max_size=400), lexicon_text(max_words=12).filter(bool))
LONG_TEXT_MAX = 20_000


def check_entities(text: str, entities) -> None:
    """Every entity is one FindingExtractor may give, with a value the actions accept."""
    assert isinstance(entities, list)
    counts = {"answer": 0, "duration_days": 0}
    for entity in entities:
        extra = {"alone"} if entity.get("entity") == "answer" else set()  # "nuh uh" and nothing more
        if "experiencer" in entity:
            extra = {
                "experiencer",
                "now",
            }  # "now": an emergency sign happening now   # whose it is: self, other:<relation>, pronoun or unsaid
            assert entity["experiencer"] in (None, "self", "pronoun") or entity["experiencer"].startswith("other:")
        if entity.get("entity") == "duration":
            extra = {"of_twitching"}
        assert set(entity) - extra == {"entity", "value", "start", "end"}, entity
        assert isinstance(entity.get("alone", False), bool), entity
        name, value, start, end = entity["entity"], entity["value"], entity["start"], entity["end"]
        assert isinstance(start, int) and isinstance(end, int)
        assert 0 <= start <= end <= len(text), entity
        assert isinstance(value, str), entity
        if name == "subject":
            assert value in ("self", "pronoun") or value.startswith("other:"), entity
        elif name == "age":
            assert value.isdigit(), entity
        elif name in ("asks_back", "names_all"):
            assert value == "yes", entity
        elif name == "detail":
            assert value in KB.details, entity
            assert start < end, entity
        elif name == "answer":
            assert value in ANSWERS, entity
            counts["answer"] += 1
        elif name == "duration" and value not in DURATION_ANSWERS:
            # a stated length in days: a finite number the engine can turn into an answer
            days = float(value)
            assert math.isfinite(days) and days >= 0, entity
            assert duration_answer(days) in DURATION_ANSWERS
            counts["duration_days"] += 1
        else:
            assert name in FINDINGS, entity
            assert value in ANSWERS and value in KB.answers(name), entity
            assert start < end, entity
    assert counts["answer"] <= 1 and counts["duration_days"] <= 1, entities


NLU_SETTINGS = dict(
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


UNITS = [
    "day",
    "days",
    "night",
    "week",
    "weeks",
    "wk",
    "wks",
    "month",
    "months",
    "mo",
    "mos",
    "year",
    "years",
    "yr",
    "yrs",
]
stated_duration = st.builds(
    lambda count, gap, unit, spell: spell(f"{count}{gap}{unit}"),
    st.one_of(
        st.integers(min_value=0, max_value=10**400).map(str),  # beyond a float's range too
        st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda x: f"{x:.2f}"),
        st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=4),  # any script's digits
        st.sampled_from(sorted(NUMBER_WORDS)),
    ),
    st.sampled_from(["", " ", "  ", " of ", " or so ", " more ", "\n"]),
    st.sampled_from(UNITS),
    spelling,
)


@settings(max_examples=300, **NLU_SETTINGS)
@given(text=st.one_of(stated_duration, st.lists(stated_duration | lexicon_word, max_size=6).map(" ".join), any_text))
@example(text="ſeven days")  # IGNORECASE lets "ſ" match "s"; "ſeven" is no number word
@example(text="3 dayſ")
@example(text="9" * 400 + " days")
def test_a_stated_duration_is_none_or_a_finite_number_of_days(text):
    days = duration_in_days(text)
    assert days is None or (math.isfinite(days) and days >= 0), days
    assert days is None or duration_answer(days) in DURATION_ANSWERS


def extract(nlp, text: str):
    return entities_from_doc(nlp(text))


@settings(max_examples=400, **NLU_SETTINGS)
@given(text=any_text)
@example(text="")
@example(text="ſeven days of twitching")  # IGNORECASE lets "ſ" match "s"; "ſeven" is no number word
@example(text="9" * 400 + " days")  # too big for a float: infinite days
@example(text="not sure if I fainted, no weakness, my dad has cramps, what if I choke, 3 weeks")
def test_pipeline_never_raises_and_gives_valid_entities(nlp, text):
    # SpacyNLP (case_sensitive: false, Rasa's default) lower-cases before the pipeline.
    for variant in (text, text.lower()):
        check_entities(variant, extract(nlp, variant))


# No shrinking: each try of a long message takes up to half a second, and shrinking
# one took minutes; the falsifying chunk and count are short enough to read as they are.
@settings(max_examples=12, phases=[Phase.explicit, Phase.reuse, Phase.generate], **NLU_SETTINGS)
@given(chunk=long_chunk, times=st.integers(min_value=10, max_value=2000))
def test_pipeline_handles_very_long_messages(nlp, chunk, times):
    text = (chunk * times)[:LONG_TEXT_MAX]
    check_entities(text, extract(nlp, text))


@settings(max_examples=200, **NLU_SETTINGS)
@given(text=any_text, requested=st.one_of(st.none(), st.sampled_from(sorted(ASKED))))
def test_any_message_gives_findings_the_engine_takes(nlp, text, requested):
    """Text -> entities -> the action's answers per finding -> most cautious -> assessment."""
    message = {"text": text, "intent": {"name": "describe_symptoms"}, "entities": extract(nlp, text.lower())}
    findings = {}
    for name, answers in answers_in_message(message, requested, None).items():
        assert name in FINDINGS
        answer = most_cautious(name, answers)
        assert answer in KB.answers(name), (name, answers)
        findings[name] = merge_answers(findings.get(name), answer, name)
    result = assess(findings, [e["value"] for e in message["entities"] if e["entity"] == "detail"])
    assert result.level in LEVELS


# ======================================================================================
# 2. The engine on arbitrary finding combinations
# ======================================================================================


def valid_answer(name):
    return st.sampled_from(sorted(KB.answers(name)))


def reassuring(name):
    return "short" if name == "duration" else "no"


# A picture: each finding missing or answered with one of its valid answers. Random
# pictures are mostly at "soon" already, so two more kinds: mostly reassuring answers
# with a few others (where one answer more can change the level), and pictures nearly
# complete (where the last questions are decided).
random_picture = st.fixed_dictionaries({}, optional={name: valid_answer(name) for name in sorted(FINDINGS)})
a_few_answers = st.lists(
    st.sampled_from(sorted(FINDINGS)).flatmap(lambda name: st.tuples(st.just(name), valid_answer(name))),
    max_size=3,
).map(dict)
reassuring_picture = st.builds(
    lambda calm, few: {**calm, **few},
    st.fixed_dictionaries({}, optional={name: st.just(reassuring(name)) for name in sorted(FINDINGS)}),
    a_few_answers,
)
nearly_complete_picture = st.builds(
    lambda full, left_out: {name: answer for name, answer in full.items() if name not in left_out},
    st.fixed_dictionaries({name: valid_answer(name) for name in sorted(FINDINGS)}),
    st.sets(st.sampled_from(sorted(FINDINGS)), max_size=4),
)
valid_findings = st.one_of(random_picture, reassuring_picture, nearly_complete_picture)
# What may reach the engine from slots or elsewhere: invalid answers and unknown names too.
garbage_answer = st.one_of(
    st.none(),
    st.sampled_from(["", "YES", "No", "maybe", "true", "long", "short", "yes "]),
    st.booleans(),
    st.integers(),
    st.text(max_size=5),
)
messy_findings = st.one_of(
    st.none(),
    st.builds(
        lambda known, unknown: {**unknown, **known},
        st.fixed_dictionaries(
            {}, optional={name: st.one_of(valid_answer(name), garbage_answer) for name in sorted(FINDINGS)}
        ),
        st.dictionaries(st.text(max_size=12), garbage_answer, max_size=3),
    ),
)
valid_details = st.lists(st.sampled_from(sorted(KB.details)), max_size=5)
messy_details = st.one_of(
    st.none(),
    st.lists(
        st.one_of(st.sampled_from(sorted(KB.details)), st.text(max_size=10), st.none(), st.integers()), max_size=6
    ),
)

ENGINE_SETTINGS = dict(deadline=None, database=None, print_blob=True)


def answered(findings):
    """The findings the engine counts as answered: known names with valid answers."""
    return {n: a for n, a in (findings or {}).items() if n in FINDINGS and a in KB.answers(n)}


def check_assessment(result, findings) -> None:
    assert result.level in LEVELS
    assert set(result.causes) <= set(CAUSES)
    assert len(result.causes) == len(set(result.causes)), result.causes
    if result.level != "emergency":
        assert result.causes, result  # contract: empty only at emergency
    assert set(result.electrolyte_hints) <= set(KB.electrolyte_hints)
    assert len(result.electrolyte_hints) == len(set(result.electrolyte_hints))
    if result.electrolyte_hints:
        assert "electrolyte" in result.causes
    assert all(isinstance(line, str) and line for line in result.reasons + result.reassurances)
    question = result.next_question
    if question is not None:
        assert question in ASKED, question
        assert question not in answered(findings), question
    if RANK[result.level] >= RANK["urgent"]:
        assert question is None, result  # a red flag ends the questions
    assert result.concluded == (question is None)


@settings(max_examples=400, **ENGINE_SETTINGS)
@given(findings=messy_findings, details=messy_details)
def test_assess_never_raises_and_gives_a_valid_assessment(findings, details):
    result = assess(findings, details)
    check_assessment(result, findings)
    assert result.next_question == next_question(findings, details)
    # Only what the engine understands counts: invalid answers are as good as missing.
    assert result == assess(answered(findings), [d for d in details or () if d in KB.details])


def outcome(findings, details):
    result = assess(findings, details)
    return result.level, (result.causes or [None])[0]


def could_change_the_advice(question, findings, details) -> bool:
    """Some answer changes the level or top cause, alone or together with the answer to one
    other open question (cramps + palpitations only matter together)."""

    def changes(known) -> bool:
        before = outcome(known, details)
        return any(outcome({**known, question: a}, details) != before for a in KB.answers(question))

    if changes(findings):
        return True
    others = [name for name in ASKED if name not in findings and name != question]
    return any(changes({**findings, other: b}) for other in others for b in KB.answers(other))


@settings(max_examples=150, **ENGINE_SETTINGS)
@given(start=st.one_of(st.just({}), valid_findings), details=valid_details, data=st.data())
def test_questions_end_and_each_could_change_the_advice(start, details, data):
    """Walk a conversation: each question asked is new and has an answer that changes the
    level or the most likely cause; the questions end."""
    findings = dict(start)
    for _ in range(len(ASKED) + 1):
        question = next_question(findings, details)
        if question is None:
            break
        assert question in ASKED and question not in findings, (question, findings)
        assert could_change_the_advice(question, findings, details), (question, findings)
        findings[question] = data.draw(valid_answer(question), label=question)
    else:
        pytest.fail(f"questions never end: {findings}")
    assert assess(findings, details).concluded


# ======================================================================================
# 3. Monotonic safety
# ======================================================================================


def level(findings, details=()):
    return RANK[assess(findings, details).level]


@settings(max_examples=300, **ENGINE_SETTINGS)
@given(findings=valid_findings, details=valid_details, flag=st.sampled_from(RED_FLAGS))
def test_a_red_flag_never_lowers_the_level(findings, details, flag):
    after = assess({**findings, flag: "yes"}, details)
    assert RANK[after.level] >= level(findings, details)
    assert RANK[after.level] >= RANK["urgent"]  # and it always calls for same-day help
    assert after.next_question is None


@settings(max_examples=300, **ENGINE_SETTINGS)
@given(findings=valid_findings, details=valid_details, data=st.data())
def test_a_more_worrying_answer_never_lowers_the_level(findings, details, data):
    """ "no" -> "unsure" -> "yes" (duration: "short" -> "unsure" -> "long"): not knowing is
    never safer than "no", and having a symptom never safer than not knowing."""
    name = data.draw(st.sampled_from(sorted(FINDINGS)), label="finding")
    lower, higher = sorted(
        data.draw(st.lists(valid_answer(name), min_size=2, max_size=2), label="answers"), key=CONCERN.__getitem__
    )
    assert level({**findings, name: higher}, details) >= level({**findings, name: lower}, details)


@settings(max_examples=300, **ENGINE_SETTINGS)
@given(findings=valid_findings, details=valid_details, data=st.data())
def test_every_no_turned_unsure_never_lowers_the_level(findings, details, data):
    denied = sorted(name for name, answer in findings.items() if answer == "no")
    doubted = data.draw(st.lists(st.sampled_from(denied), unique=True) if denied else st.just([]), label="doubted")
    assert level({**findings, **{name: "unsure" for name in doubted}}, details) >= level(findings, details)


@settings(max_examples=300, **ENGINE_SETTINGS)
@given(findings=valid_findings, details=valid_details, data=st.data())
def test_saying_more_never_lowers_the_level(findings, details, data):
    """An answer to a question not yet answered, or an extra detail, only adds to the picture."""
    more_findings = data.draw(valid_findings, label="more_findings")
    more_details = data.draw(valid_details, label="more_details")
    fuller = {**more_findings, **findings}  # earlier answers kept, new ones added
    assert level(fuller, details) >= level(findings, details)
    assert level(findings, details + more_details) >= level(findings, details)


@settings(max_examples=300, **ENGINE_SETTINGS)
@given(
    finding=st.sampled_from(sorted(FINDINGS)),
    answers=st.lists(st.one_of(st.sampled_from(["yes", "no", "unsure", "short", "long"]), garbage_answer), max_size=6),
)
def test_most_cautious_is_as_worrying_as_any_answer_given(finding, answers):
    chosen = most_cautious(finding, answers)
    valid = [a for a in answers if a in KB.answers(finding)]
    if not valid:
        assert chosen is None
        return
    assert chosen in valid
    for answer in valid:
        assert level({finding: chosen}) >= level({finding: answer})


answer_turns = st.lists(
    st.tuples(st.sampled_from(sorted(FINDINGS)), st.sampled_from(["yes", "no", "unsure", "short", "long"])),
    min_size=1,
    max_size=12,
)


@settings(max_examples=300, **ENGINE_SETTINGS)
@given(
    finding=st.sampled_from(sorted(FINDINGS)),
    answers=st.lists(st.sampled_from(sorted(ANSWERS | DURATION_ANSWERS)), min_size=1, max_size=6),
)
def test_merge_keeps_a_red_flag_once_reported(finding, answers):
    merged = None
    for answer in answers:
        merged = merge_answers(merged, answer, finding)
    if finding in RED_FLAGS and "yes" in answers:
        assert merged == "yes"  # a later "no" or "unsure" never clears a danger sign
    else:
        assert merged == answers[-1]  # otherwise the newest answer wins


@settings(max_examples=300, **ENGINE_SETTINGS)
@given(turns=answer_turns, details=valid_details)
def test_a_conversation_never_drops_below_a_reported_red_flag(turns, details):
    """Answers arrive turn by turn and are merged as the actions merge them: after a red
    flag's "yes", no later answer brings the level below what that "yes" called for."""
    findings, floor = {}, RANK["self_care"]
    for name, answer in turns:
        answer = most_cautious(name, [answer])
        if answer is None:
            continue  # "yes" to "how long?" is not a duration answer
        findings[name] = merge_answers(findings.get(name), answer, name)
        if name in RED_FLAGS and answer == "yes":
            floor = max(floor, RANK[KB.findings[name]["level"]["yes"]])
        assert level(findings, details) >= floor, findings


# ======================================================================================
# 4. The card
# ======================================================================================

# Wording that would tell the person what they have, rather than what the picture fits.
DIAGNOSING = re.compile(
    r"\byou(?: definitely| probably| clearly| likely| must)?"
    r"(?: have|['’]ve got| have got| suffer from| are suffering from)\b"
    r"|\byou(?:['’]re| are) (?:diagnosed|suffering)\b"
    r"|\b(?:diagnosed with|the diagnosis is|your diagnosis|you are sick with)\b"
    r"|\b(?:it|this)(?: is|['’]s) (?:definitely |certainly |clearly )?"
    r"(?:als|mnd|motor neurone|a nerve|a muscle|an? electrolyte|an overactive|benign|harmless|nothing)\b",
    re.IGNORECASE,
)


@settings(max_examples=300, **ENGINE_SETTINGS)
@given(findings=st.one_of(valid_findings, messy_findings), details=st.one_of(valid_details, messy_details))
def test_the_card_never_raises_and_never_diagnoses(findings, details):
    result = assess(findings, details)
    card = build_card(result)
    messages = card_as_text(card)
    assert card["level"] == result.level
    assert [cause["id"] for cause in card["likely_causes"]] == result.causes
    assert messages and all(isinstance(m, str) and m.strip() for m in messages)
    text = "\n".join(messages)
    assert not DIAGNOSING.search(text), DIAGNOSING.search(text).group(0)
    assert NOT_A_DIAGNOSIS in text
    assert "Call your local emergency number if" in text  # the emergency safety net, always
    if RANK[result.level] >= RANK["urgent"]:
        # same-day help or more: no self-care or "book an appointment" instead
        assert not card["next_steps"] and not card["self_care_steps"]
        assert "What you can do now" not in text and "Until then" not in text


@given(findings=valid_findings, details=valid_details)
def test_a_card_about_someone_else_tells_the_writer_what_to_do_for_them(findings, details):
    result = assess(findings, details)
    card = build_card(result, about="your dad")
    advice = card["advice"]
    assert card_as_text(card)[0].startswith(f"{LEVEL_MARK[result.level]} About your dad.")
    assert not re.search(r"\byou(rself)?\b", advice, re.IGNORECASE), advice  # said to the writer about them
    if result.level == "emergency":
        assert "emergency number for them" in advice and "shouldn't drive themselves" in advice
    own = build_card(result)["advice"]
    assert (advice == own) == (result.level == "self_care")  # self-care reads the same for both


def test_the_diagnosis_check_can_see_diagnosing_wording():
    """The pattern above is not vacuous."""
    for wording in [
        "You have ALS.",
        "you've got an electrolyte problem",
        "This is benign twitching",
        "It's definitely a nerve disorder",
        "you are diagnosed with thyroid disease",
    ]:
        assert DIAGNOSING.search(wording), wording
    for wording in [
        NOT_A_DIAGNOSIS,
        "What this fits best: benign (harmless) fasciculations.",
        "Have you noticed weakness?",
        "You weren't sure about your heartbeat.",
    ]:
        assert not DIAGNOSING.search(wording), wording
