"""The Rasa actions as thin adapters: tracker in, engine applied, slots and messages out."""

import pytest
from rasa_sdk.events import ActiveLoop, Restarted, SlotSet

from actions.delete_my_data import ActionDeleteMyData
from actions.extract_findings import ActionExtractFindings
from actions.give_assessment import ActionGiveAssessment
from actions.triage_form import ValidateTriageForm

ALL_CLEAR = {
    "emergency_signs": "no",
    "weakness": "no",
    "speech_swallowing": "no",
    "muscle_wasting": "no",
    "cramps": "no",
    "palpitations": "no",
    "thyroid_signs": "no",
    "tingling": "no",
    "fluid_losses": "no",
    "recent_med_change": "no",
    "medical_history": "no",
    "duration": "short",
}


def entity(name, value):
    return {"entity": name, "value": value}


def slot_events(events):
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


async def extract(tracker, dispatcher, domain):
    return slot_events(await ActionExtractFindings().run(dispatcher, tracker, domain))


async def test_entities_fill_their_findings(make_tracker, dispatcher, domain):
    tracker = make_tracker(entities=[entity("cramps", "yes"), entity("weakness", "no"), entity("detail", "caffeine")])
    slots = await extract(tracker, dispatcher, domain)
    assert slots == {"cramps": "yes", "weakness": "no", "finding_details": ["caffeine"]}


@pytest.mark.parametrize("intent, expected", [("affirm", "yes"), ("deny", "no"), ("unsure", "unsure")])
async def test_yes_no_not_sure_answers_the_open_question(make_tracker, dispatcher, domain, intent, expected):
    tracker = make_tracker(intent=intent, requested_slot="tingling")
    assert await extract(tracker, dispatcher, domain) == {"tingling": expected}


async def test_yes_without_an_open_question_fills_nothing(make_tracker, dispatcher, domain):
    assert await extract(make_tracker(intent="affirm"), dispatcher, domain) == {}


def twitching_for(days):
    return {"entity": "duration", "value": days, "of_twitching": True}


async def test_a_stated_duration_becomes_short_or_long(make_tracker, dispatcher, domain):
    short = await extract(make_tracker(entities=[twitching_for("10")]), dispatcher, domain)
    long = await extract(make_tracker(entities=[twitching_for("60")]), dispatcher, domain)
    assert (short, long) == ({"duration": "short"}, {"duration": "long"})


async def test_a_time_said_of_something_else_is_not_the_twitchings(make_tracker, dispatcher, domain):
    """ "same pill for years" in the answer to the medicines question."""
    tracker = make_tracker(requested_slot="recent_med_change", intent="deny", entities=[entity("duration", "365")])
    assert await extract(tracker, dispatcher, domain) == {"recent_med_change": "no"}


async def test_yes_to_how_long_is_taken_as_not_sure(make_tracker, dispatcher, domain):
    tracker = make_tracker(intent="affirm", requested_slot="duration")
    assert await extract(tracker, dispatcher, domain) == {"duration": "unsure"}


async def test_no_to_the_question_but_a_red_flag_in_the_same_message(make_tracker, dispatcher, domain):
    """ "No, but I fainted" answers the weakness question and reports an emergency sign."""
    tracker = make_tracker(intent="deny", requested_slot="weakness", entities=[entity("emergency_signs", "yes")])
    slots = await extract(tracker, dispatcher, domain)
    assert slots["weakness"] == "no"
    assert slots["emergency_signs"] == "yes"
    assert slots["triage_level"] == "emergency"


async def test_contradicting_answers_in_one_message_keep_the_cautious_one(make_tracker, dispatcher, domain):
    tracker = make_tracker(intent="deny", requested_slot="weakness", entities=[entity("weakness", "yes")])
    slots = await extract(tracker, dispatcher, domain)
    assert slots["weakness"] == "yes"
    assert slots["triage_level"] == "urgent"


async def test_a_red_flag_once_reported_is_not_cleared_by_a_later_no(make_tracker, dispatcher, domain):
    tracker = make_tracker(
        slots={"speech_swallowing": "yes", "triage_level": "urgent"}, intent="deny", requested_slot="speech_swallowing"
    )
    assert await extract(tracker, dispatcher, domain) == {}


async def test_red_flag_sets_the_outcome_at_once(make_tracker, dispatcher, domain):
    tracker = make_tracker(entities=[entity("speech_swallowing", "yes")], requested_slot="cramps")
    slots = await extract(tracker, dispatcher, domain)
    assert slots["triage_level"] == "urgent"
    assert slots["likely_causes"][0] == "neuromuscular"


async def test_non_red_flag_findings_leave_the_level_open(make_tracker, dispatcher, domain):
    slots = await extract(make_tracker(entities=[entity("cramps", "yes")]), dispatcher, domain)
    assert "triage_level" not in slots


async def test_form_asks_red_flags_first(make_tracker, dispatcher, domain):
    required = await ValidateTriageForm().required_slots([], dispatcher, make_tracker(), domain)
    assert required == ["emergency_signs"]


async def test_form_needs_nothing_more_once_the_picture_is_complete(make_tracker, dispatcher, domain):
    tracker = make_tracker(slots=ALL_CLEAR)
    assert await ValidateTriageForm().required_slots([], dispatcher, tracker, domain) == []


async def test_form_stops_asking_after_a_red_flag(make_tracker, dispatcher, domain):
    tracker = make_tracker(slots={"weakness": "yes"})
    assert await ValidateTriageForm().required_slots([], dispatcher, tracker, domain) == []


async def test_assessment_sets_the_contract_slots_and_sends_the_card(make_tracker, dispatcher, domain):
    tracker = make_tracker(slots={**ALL_CLEAR, "cramps": "yes", "finding_details": ["caffeine"]})
    events = await ActionGiveAssessment().run(dispatcher, tracker, domain)
    slots = slot_events(events)
    assert slots["triage_level"] == "soon"
    assert slots["likely_causes"][0] == "electrolyte"
    texts = " ".join(message["text"] or "" for message in dispatcher.messages)
    assert "Book a doctor's appointment" in texts
    assert "not a diagnosis" in texts
    cards = [message["custom"] for message in dispatcher.messages if message.get("custom")]
    assert cards and cards[0]["level"] == "soon" and cards[0]["safety_net"]
    # The card names the texts that repeat it, so a widget that draws it can leave them out.
    sent_texts = [message["text"] for message in dispatcher.messages if message.get("text")]
    assert cards[0]["repeated_as_text"] and set(cards[0]["repeated_as_text"]) <= set(sent_texts)


async def test_assessment_mid_form_closes_the_form(make_tracker, dispatcher, domain):
    tracker = make_tracker(slots={"weakness": "yes"}, requested_slot="cramps")
    events = await ActionGiveAssessment().run(dispatcher, tracker, domain)
    assert ActiveLoop(None) in events and SlotSet("requested_slot", None) in events


async def test_shell_gets_text_only(make_tracker, dispatcher, domain):
    tracker = make_tracker(slots=ALL_CLEAR, channel="cmdline")
    await ActionGiveAssessment().run(dispatcher, tracker, domain)
    assert not any(message.get("custom") for message in dispatcher.messages)


async def test_delete_my_data_says_so_in_the_domain_wording_and_tells_the_widget(make_tracker, dispatcher, domain):
    events = await ActionDeleteMyData().run(dispatcher, make_tracker(), domain)
    assert events == [Restarted()]
    assert [message["response"] for message in dispatcher.messages if message.get("response")] == ["utter_data_deleted"]
    assert {"conversation_deleted": True} in [message.get("custom") for message in dispatcher.messages]


async def test_assessment_never_says_what_someone_has(make_tracker, dispatcher, domain):
    tracker = make_tracker(slots={"weakness": "yes", "muscle_wasting": "yes"})
    await ActionGiveAssessment().run(dispatcher, tracker, domain)
    texts = " ".join(message["text"] or "" for message in dispatcher.messages).lower()
    assert "you have" not in texts and "diagnosed" not in texts


async def test_a_reply_opening_with_no_answers_the_open_question(make_tracker, dispatcher, domain):
    """ "nope, legs are strong" may be read as a description; its opening still answers."""
    tracker = make_tracker(requested_slot="weakness", entities=[entity("answer", "no")])
    assert await extract(tracker, dispatcher, domain) == {"weakness": "no"}


async def test_a_question_not_understood_three_times_is_recorded_as_not_sure(make_tracker, dispatcher, domain):
    first = await extract(make_tracker(requested_slot="cramps", text="hmm my calf"), dispatcher, domain)
    assert first == {"unanswered_replies": 1, "question_style": "again"}  # "I still need an answer"
    third = await extract(
        make_tracker(slots={"unanswered_replies": 2}, requested_slot="cramps", text="my calf again"),
        dispatcher,
        domain,
    )
    assert third == {"cramps": "unsure", "unanswered_replies": 0}


async def test_how_a_reply_opens_outweighs_the_guessed_intent(make_tracker, dispatcher, domain):
    """ "no, just sore" read as unsure by the intent model is still a no."""
    tracker = make_tracker(intent="unsure", requested_slot="weakness", entities=[entity("answer", "no")])
    assert await extract(tracker, dispatcher, domain) == {"weakness": "no"}


# ---- answer semantics and whose symptoms (issue: understand real people) ---------------


def who(name, value, experiencer):
    return {"entity": name, "value": value, "experiencer": experiencer}


async def test_a_question_back_is_not_an_answer_the_reason_comes_with_the_question_again(
    make_tracker, dispatcher, domain
):
    tracker = make_tracker(
        intent="nlu_fallback", requested_slot="emergency_signs", entities=[entity("asks_back", "yes")]
    )
    slots = await extract(tracker, dispatcher, domain)
    assert "emergency_signs" not in slots and slots["question_style"] == "why"


async def test_a_first_not_sure_to_a_red_flag_gets_one_clarifying_question(make_tracker, dispatcher, domain):
    first = await extract(make_tracker(intent="unsure", requested_slot="emergency_signs"), dispatcher, domain)
    assert "emergency_signs" not in first and "triage_level" not in first
    assert first["question_style"] == "clarify" and first["clarified"] == "emergency_signs"
    second = await extract(
        make_tracker(slots={"clarified": "emergency_signs"}, intent="unsure", requested_slot="emergency_signs"),
        dispatcher,
        domain,
    )
    assert second["emergency_signs"] == "unsure" and second["triage_level"] == "urgent"


async def test_not_sure_to_a_companion_question_is_kept_at_once(make_tracker, dispatcher, domain):
    slots = await extract(make_tracker(intent="unsure", requested_slot="cramps"), dispatcher, domain)
    assert slots["cramps"] == "unsure"


async def test_someone_elses_symptoms_in_passing_are_not_findings(make_tracker, dispatcher, domain):
    tracker = make_tracker(
        entities=[
            who("subject", "self", None),
            who("emergency_signs", "yes", "other:friend"),
            who("triggers", "yes", "self"),
        ]
    )
    slots = await extract(tracker, dispatcher, domain)
    assert "emergency_signs" not in slots and "triage_level" not in slots and slots["triggers"] == "yes"


async def test_a_caregivers_report_is_about_the_person_they_ask_for(make_tracker, dispatcher, domain):
    tracker = make_tracker(entities=[who("subject", "other:wife", None), who("emergency_signs", "yes", "other:wife")])
    slots = await extract(tracker, dispatcher, domain)
    assert slots["about"] == "other:wife" and slots["about_person"] == "your wife"
    assert slots["triage_level"] == "emergency"


async def test_questions_about_someone_else_are_worded_for_them(make_tracker, dispatcher, domain):
    tracker = make_tracker(slots={"about": "other:dad"}, intent="deny", requested_slot="emergency_signs")
    slots = await extract(tracker, dispatcher, domain)
    assert slots["emergency_signs"] == "no" and slots["question_style"] == "other"


async def test_the_writers_own_symptoms_do_not_count_when_asking_for_someone_else(make_tracker, dispatcher, domain):
    tracker = make_tracker(
        slots={"about": "other:dad"}, entities=[who("cramps", "yes", "self"), who("tingling", "yes", "pronoun")]
    )
    slots = await extract(tracker, dispatcher, domain)
    assert "cramps" not in slots and slots["tingling"] == "yes"


async def test_a_child_is_recorded_from_a_stated_age(make_tracker, dispatcher, domain):
    tracker = make_tracker(entities=[who("subject", "other:son", None), entity("age", "8")])
    slots = await extract(tracker, dispatcher, domain)
    assert "child" in slots["finding_details"]


async def test_a_sudden_one_sided_weakness_is_an_emergency(make_tracker, dispatcher, domain):
    tracker = make_tracker(entities=[who("weakness", "yes", "self"), who("detail", "sudden_onset", "self")])
    assert (await extract(tracker, dispatcher, domain))["triage_level"] == "emergency"


async def test_an_emergency_happening_now_to_someone_else_turns_the_assessment_to_them(
    make_tracker, dispatcher, domain
):
    now = {"entity": "emergency_signs", "value": "yes", "experiencer": "other:husband", "now": True}
    slots = await extract(
        make_tracker(slots={"about": "self"}, requested_slot="cramps", entities=[now]), dispatcher, domain
    )
    assert slots["about"] == "other:husband" and slots["triage_level"] == "emergency"


async def test_someone_elses_old_story_does_not_turn_the_assessment(make_tracker, dispatcher, domain):
    story = who("emergency_signs", "yes", "other:friend")
    slots = await extract(make_tracker(slots={"about": "self"}, entities=[story]), dispatcher, domain)
    assert "about" not in slots and "triage_level" not in slots


async def test_someone_unnamed_is_named_by_the_first_relation(make_tracker, dispatcher, domain):
    slots = await extract(
        make_tracker(slots={"about": "other:someone"}, entities=[who("cramps", "yes", "other:aunt")]),
        dispatcher,
        domain,
    )
    assert slots["about"] == "other:aunt" and slots["cramps"] == "yes"


# ---- grouped questions ----------------------------------------------------------------

GROUP = {"asked_findings": ["cramps", "palpitations", "thyroid_signs", "tingling"], "question_group": "body_signs|self"}


async def test_none_of_these_denies_every_finding_of_the_group(make_tracker, dispatcher, domain):
    tracker = make_tracker(
        slots=GROUP, intent="deny", requested_slot="grouped_answer", entities=[entity("answer", "no")]
    )
    slots = await extract(tracker, dispatcher, domain)
    assert {f: slots[f] for f in GROUP["asked_findings"]} == dict.fromkeys(GROUP["asked_findings"], "no")


async def test_naming_just_some_of_the_group_denies_the_rest(make_tracker, dispatcher, domain):
    tracker = make_tracker(
        slots=GROUP, requested_slot="grouped_answer", entities=[entity("cramps", "yes"), entity("names_all", "yes")]
    )
    slots = await extract(tracker, dispatcher, domain)
    assert slots["cramps"] == "yes" and slots["palpitations"] == slots["tingling"] == "no"


async def test_naming_some_of_the_group_leaves_the_rest_to_ask_again(make_tracker, dispatcher, domain):
    """ "yes the cramps, and my calves lock up": words the bot missed never become a no."""
    tracker = make_tracker(slots=GROUP, requested_slot="grouped_answer", entities=[entity("cramps", "yes")])
    slots = await extract(tracker, dispatcher, domain)
    assert slots["cramps"] == "yes" and "palpitations" not in slots and "tingling" not in slots


async def test_yes_to_a_group_asks_which(make_tracker, dispatcher, domain):
    tracker = make_tracker(
        slots=GROUP, intent="affirm", requested_slot="grouped_answer", entities=[entity("answer", "yes")]
    )
    slots = await extract(tracker, dispatcher, domain)
    assert slots == {"question_style": "again", "unanswered_replies": 1}


async def test_not_sure_to_the_nerve_signs_group_is_clarified_once(make_tracker, dispatcher, domain):
    nerve = {
        "asked_findings": ["weakness", "speech_swallowing", "muscle_wasting"],
        "question_group": "nerve_signs|self",
    }
    first = await extract(
        make_tracker(slots=nerve, intent="unsure", requested_slot="grouped_answer"), dispatcher, domain
    )
    assert first["question_style"] == "clarify" and "weakness" not in first
    second = await extract(
        make_tracker(slots={**nerve, "clarified": "nerve_signs"}, intent="unsure", requested_slot="grouped_answer"),
        dispatcher,
        domain,
    )
    assert second["weakness"] == second["speech_swallowing"] == "unsure"


async def test_someone_elses_warning_sign_in_passing_is_named_not_merged(make_tracker, dispatcher, domain):
    """ "and my mum has been dropping cups": not this assessment's finding, never ignored."""
    tracker = make_tracker(
        slots={"about": "self"}, requested_slot="cramps", entities=[who("weakness", "yes", "other:mum")]
    )
    slots = await extract(tracker, dispatcher, domain)
    assert "weakness" not in slots and "triage_level" not in slots
    assert slots["other_person"] == "your mum" and slots["question_style"] == "second_person"


async def test_a_question_with_a_description_starts_the_assessment_after_the_answer(make_tracker, dispatcher, domain):
    from actions.after_an_answer import ActionCheckAfterAnswer

    described = make_tracker(intent="ask_supplements", entities=[who("subject", "self", None)])
    question_only = make_tracker(intent="ask_supplements")
    after = await ActionCheckAfterAnswer().run(dispatcher, described, domain)
    assert after and after[0]["event"] == "followup" and after[0]["name"] == "triage_form"
    assert await ActionCheckAfterAnswer().run(dispatcher, question_only, domain) == []
