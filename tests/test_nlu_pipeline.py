"""The spaCy pipeline: findings in everyday wording, typos, negation and uncertainty."""

import pytest

from twitch_nlp.finding_extractor import entities_from_doc
from twitch_nlp.pipeline import build_pipeline, duration_in_days


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline()


def findings(nlp, text):
    """{finding: answer} and the set of details, as the Rasa component reports them."""
    entities = entities_from_doc(nlp(text))
    answers = {e["entity"]: e["value"] for e in entities if e["entity"] not in ("detail", "duration", "answer")}
    details = {e["value"] for e in entities if e["entity"] == "detail"}
    return answers, details


@pytest.mark.parametrize(
    "text, expected",
    [
        # red flags, in many wordings
        ("I passed out at work yesterday", {"emergency_signs": "yes"}),
        ("had a seizure last night", {"emergency_signs": "yes"}),
        ("my chest hurts and I can't catch my breath", {"emergency_signs": "yes"}),
        ("my legs are getting weaker and I keep tripping", {"weakness": "yes"}),
        ("I keep dropping my coffee cup", {"weakness": "yes"}),
        ("my speech sounds slurred", {"speech_swallowing": "yes"}),
        ("food keeps going down the wrong way", {"speech_swallowing": "yes"}),
        ("the muscle in my hand looks thinner", {"muscle_wasting": "yes"}),
        # companions
        ("awful cramps in my calves", {"cramps": "yes"}),
        ("pins and needles in my fingers", {"tingling": "yes"}),
        ("my heart keeps racing", {"palpitations": "yes"}),
        ("I have kidney disease", {"medical_history": "yes"}),
        ("I started taking a new medication last month", {"recent_med_change": "yes"}),
        # typos
        ("twiching and crampss in my legs", {"cramps": "yes"}),
        ("palpatations and diarhea", {"palpitations": "yes", "fluid_losses": "yes"}),
        ("trouble swalowing", {"speech_swallowing": "yes"}),
        ("tinglng in my toes", {"tingling": "yes"}),
    ],
)
def test_findings_in_everyday_words(nlp, text, expected):
    answers, _ = findings(nlp, text)
    assert {k: answers.get(k) for k in expected} == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("no weakness, swallowing fine", {"weakness": "no", "speech_swallowing": "no"}),
        ("I don't have any cramps", {"cramps": "no"}),
        ("never fainted", {"emergency_signs": "no"}),
        ("no chest pain or fainting", {"emergency_signs": "no"}),
        ("I have cramps but no tingling", {"cramps": "yes", "tingling": "no"}),
        ("no cramps, but tingling around my mouth", {"cramps": "no", "tingling": "yes"}),
        ("I'm not sleeping and my legs are getting weak", {"weakness": "yes"}),
        ("not sure if I fainted", {"emergency_signs": "unsure"}),
        ("maybe a bit of tingling", {"tingling": "unsure"}),
        ("my legs feel weak otherwise fine", {"weakness": "yes"}),
    ],
)
def test_negation_and_uncertainty(nlp, text, expected):
    answers, _ = findings(nlp, text)
    assert {k: answers.get(k) for k in expected} == expected


def test_someone_elses_symptoms_are_not_the_persons(nlp):
    answers, _ = findings(nlp, "my dad had weakness")
    assert "weakness" not in answers


def test_after_and_a_symptom_counts_as_the_persons_to_be_safe(nlp):
    """ "and" ends the reach of "my dad": the person may be speaking of themselves again."""
    answers, _ = findings(nlp, "my dad had ALS and my legs are getting weak")
    assert answers["weakness"] == "yes"


def test_details_name_triggers_and_point_to_their_finding(nlp):
    answers, details = findings(nlp, "calves jumping at night, I've been living on energy drinks and no sleep")
    assert {"caffeine", "poor_sleep"} <= details
    assert answers["triggers"] == "yes"
    assert answers["benign_pattern"] == "yes"


def test_chronic_diarrhoea_is_history_not_a_recent_loss(nlp):
    answers, details = findings(nlp, "I have chronic diarrhoea")
    assert answers == {"medical_history": "yes"} and "chronic_diarrhoea" in details


@pytest.mark.parametrize(
    "text, days",
    [
        ("for 3 weeks", 21), ("about ten days", 10), ("a couple of months", 60),
        ("since last month", 30), ("2 yrs", 730), ("since yesterday", 1), ("no idea", None),
    ],
)
def test_durations_in_days(text, days):
    assert duration_in_days(text) == days


def test_the_saved_pipeline_loads_and_works(tmp_path, nlp):
    import spacy

    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert findings(loaded, "no weakness but cramps") == findings(nlp, "no weakness but cramps")


@pytest.mark.parametrize(
    "text, answer",
    [
        ("nope legs are strong", "no"), ("No, strength is normal", "no"), ("yeah my calf looks smaller", "yes"),
        ("not sure, maybe", "unsure"), ("no idea", "unsure"), ("um, yes", "yes"), ("never", "no"),
        ("my calves twitch", None), ("nothing like that", "no"), ("I don't think so", "unsure"),
    ],
)
def test_how_a_reply_opens(nlp, text, answer):
    assert nlp(text)._.answer == answer


def test_every_lexicon_phrase_is_text():
    """YAML reads a bare yes / no as a boolean; in the lexicon they must stay words."""
    from twitch_nlp.pipeline import load_lexicon

    def leaves(node):
        if isinstance(node, dict):
            for value in node.values():
                yield from leaves(value)
        elif isinstance(node, list):
            for value in node:
                yield from leaves(value)
        else:
            yield node

    assert all(isinstance(leaf, str) or leaf is None for leaf in leaves(load_lexicon()))


@pytest.mark.parametrize("text", ["cramps that wake me at night", "so sorry this is long, my calf twitches"])
def test_everyday_words_are_not_corrected_into_findings(nlp, text):
    """ "wake" is not a typo of "weak", nor "sorry" of "worry"."""
    answers, details = findings(nlp, text)
    assert "weakness" not in answers and "anxiety" not in details


def test_a_listed_finding_shares_its_negation(nlp):
    answers, _ = findings(nlp, "swallowing and speech fine")
    assert answers == {"speech_swallowing": "no"}
