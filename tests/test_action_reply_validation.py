"""The project's patches of Rasa internals (rasa_patches/): same verdicts, one explicit
apply(), a loud failure on a Rasa they were not written for."""

import aiohttp
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.shared.exceptions import RasaException

import rasa_patches
from rasa_patches import outage_answer, reply_validation

rasa_patches.apply()


def validate(reply):
    return RemoteAction("action_extract_findings", None)._validate_action_result(reply)


def test_a_valid_reply_passes():
    assert validate({"events": [{"event": "slot", "name": "cramps", "value": "yes"}], "responses": []})


def test_an_invalid_reply_is_refused_with_rasas_explanation():
    with pytest.raises(ValidationError) as error:
        validate({"events": [{"no_event_key": 1}], "responses": "not a list"})
    assert "Failed to validate Action server response" in error.value.message


def test_the_patches_are_in_force_and_apply_is_idempotent():
    run_action = MessageProcessor._run_action
    rasa_patches.apply()
    assert RemoteAction._validate_action_result is reply_validation.validate_action_result
    assert MessageProcessor._run_action is run_action  # not wrapped twice


def test_another_rasa_version_fails_loudly():
    with pytest.raises(rasa_patches.IncompatibleRasa):
        rasa_patches.check_compatibility(version="3.7.0")


def test_a_changed_signature_fails_loudly():
    async def _run_action(self, action, tracker, output_channel, nlg):  # "prediction" gone
        return True

    with pytest.raises(rasa_patches.IncompatibleRasa):
        rasa_patches.check_compatibility(targets={"MessageProcessor._run_action": _run_action})


def test_the_installed_rasa_matches_what_the_patches_expect():
    rasa_patches.check_compatibility()


def test_an_outage_is_recognised_by_its_exception_not_its_words():
    def raised_while_handling(cause):
        try:
            try:
                raise cause
            except Exception:
                raise RasaException("any wording at all")
        except RasaException as error:
            return error

    assert outage_answer.is_unreachable(raised_while_handling(aiohttp.ClientConnectionError("refused")))
    assert not outage_answer.is_unreachable(raised_while_handling(ValueError("a bug")))
    assert not outage_answer.is_unreachable(RasaException("Couldn't connect to the server"))


# ---- lean action calls and resent messages -------------------------------------------------


def conversation_of(*events):
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker("someone", slots=[])
    for event in events:
        tracker.update(event)
    return tracker


def test_an_action_call_carries_this_turns_events_and_the_full_state():
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    tracker = conversation_of(
        UserUttered("my calf twitches"),
        ActionExecuted("triage_form"),
        BotUttered("Any chest pain?"),
        ActionExecuted("action_listen"),
        UserUttered("no"),
        SlotSet("emergency_signs", "no"),
    )
    call = RemoteAction("action_extract_findings", None)._action_call_format(tracker, Domain.empty())
    assert [event["event"] for event in call["tracker"]["events"]] == ["user", "slot"]
    assert call["tracker"]["latest_message"]["text"] == "no"
    summary = RemoteAction("action_doctor_summary", None)._action_call_format(tracker, Domain.empty())
    assert len(summary["tracker"]["events"]) == len(tracker.events)  # it quotes the whole conversation


def test_a_resent_message_is_answered_from_the_stored_replies():
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    from rasa_patches.resend_once import replies_to

    tracker = conversation_of(
        UserUttered("my calf twitches", message_id="m1"),
        BotUttered("Any chest pain?", {"buttons": [{"title": "No"}]}),
        ActionExecuted("action_listen"),
        UserUttered("no", message_id="m2"),
        BotUttered("Any weakness?"),
    )
    assert replies_to(tracker, "m1") == [{"text": "Any chest pain?", "buttons": [{"title": "No"}]}]
    assert replies_to(tracker, "m2") == [{"text": "Any weakness?"}]
    assert replies_to(tracker, "m3") is None


# ---- the speed-ups: same results as Rasa's own code ------------------------------------------


def every_kind_of_event():
    """One reply event of each kind Rasa knows, as an action server would send it."""
    from rasa.shared.core import events as rasa_events

    samples = [
        rasa_events.UserUttered("hi", {"name": "greet", "confidence": 0.9}, []),
        rasa_events.ActionExecuted("action_listen"),
        rasa_events.SlotSet("cramps", "yes"),
        rasa_events.EntitiesAdded([{"entity": "body_part", "value": "calf", "start": 0, "end": 4}]),
        rasa_events.BotUttered("Any chest pain?", {"buttons": []}),
        rasa_events.ActiveLoop("triage_form"),
        rasa_events.LoopInterrupted(True),
        rasa_events.FollowupAction("action_listen"),
        rasa_events.AllSlotsReset(),
        rasa_events.Restarted(),
        rasa_events.SessionStarted(),
        rasa_events.ConversationPaused(),
        rasa_events.ConversationResumed(),
        rasa_events.UserUtteranceReverted(),
        rasa_events.ActionReverted(),
        rasa_events.ActionExecutionRejected("triage_form"),
        rasa_events.StoryExported(),
        rasa_events.ReminderCancelled(name="r"),
    ]
    return [event.as_dict() for event in samples]


def rasas_verdict(reply) -> bool:
    from jsonschema import validate as full_validate

    try:
        full_validate(reply, RemoteAction.action_response_format_spec())
        return True
    except ValidationError:
        return False


def our_verdict(reply) -> bool:
    try:
        return validate(reply)
    except ValidationError:
        return False


def test_every_kind_of_event_gets_rasas_verdict_valid_or_not():
    replies = [{"events": [event], "responses": []} for event in every_kind_of_event()]
    broken = [{"events": [{**event, "timestamp": "yesterday"}]} for event in every_kind_of_event()] + [
        {"events": [{"event": "slot", "name": 3, "value": 1}]},
        {"events": [{"event": "no_such_event"}]},
        {"events": [{"event": ["slot"]}]},
        {"events": ["slot"]},
        {"events": {"event": "slot"}},
        {"responses": [{"text": "hi"}, "bare text"]},
        {"responses": None},
        [],
    ]
    for reply in replies + broken:
        assert our_verdict(reply) == rasas_verdict(reply), reply
    assert all(our_verdict(reply) for reply in replies)
    assert not any(our_verdict(reply) for reply in broken)


def test_event_classes_are_found_by_name_as_rasa_finds_them():
    import inspect

    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    original = Event.resolve_by_type.__wrapped_original__
    for cls in all_subclasses(Event):
        if not inspect.isabstract(cls):
            assert Event.resolve_by_type(cls.type_name) is original(cls.type_name)
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")


def test_a_form_validation_call_carries_the_forms_not_the_whole_domain():
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import EndpointConfig

    domain = Domain.from_directory("domain")
    tracker = conversation_of()
    selective = EndpointConfig("http://127.0.0.1:1/webhook", enable_selective_domain=True)
    call = RemoteAction("validate_triage_form", selective)._action_call_format(tracker, domain)
    assert call["domain"] == {"forms": domain.as_dict()["forms"]}
    assert "triage_form" in call["domain"]["forms"]
    assert "domain" not in RemoteAction("action_extract_findings", selective)._action_call_format(tracker, domain)
    everything = EndpointConfig("http://127.0.0.1:1/webhook")
    full = RemoteAction("validate_triage_form", everything)._action_call_format(tracker, domain)
    assert full["domain"]["responses"] == domain.as_dict()["responses"]


async def test_calls_to_an_endpoint_share_one_connection_and_survive_a_restart():
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    from rasa_patches.kept_alive_sessions import close_kept_sessions
    from tools.servers import free_port

    peers = []

    async def answer(request):
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "responses": []})

    async def serve(port):
        app = web.Application()
        app.router.add_post("/webhook", answer)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner

    port = free_port()
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    runner = await serve(port)
    try:
        for _ in range(3):
            assert await endpoint.request(json={}) == {"events": [], "responses": []}
        assert len(set(peers)) == 1  # one kept connection, not one per call
        await runner.cleanup()  # the server goes away and comes back: the kept connection is dead
        runner = await serve(port)
        assert await endpoint.request(json={}) == {"events": [], "responses": []}
    finally:
        await close_kept_sessions()
        await runner.cleanup()


def test_a_graph_runs_to_the_same_results_as_with_dask():
    import dask

    from rasa_patches.plain_graph_runs import evaluate

    calls = []

    def node(name):
        def run(*inputs):
            calls.append(name)
            return (name, [item if isinstance(item, str) else item[1] for item in inputs])

        return run

    graph = {
        "tokens": (node("tokens"), "__message__"),
        "features": (node("features"), "tokens", "__message__"),
        "intent": (node("intent"), "features", "tokens"),
        "unused": (node("unused"), "tokens"),
        "needs_a_missing_node": (node("needs_a_missing_node"), "no_such_node"),
        "__message__": ("__message__", "my calf twitches"),
    }
    targets = ["intent", "needs_a_missing_node"]
    expected = dask.get(dict(graph), targets)
    calls.clear()
    assert evaluate(dict(graph), targets) == list(expected)
    assert sorted(calls) == ["features", "intent", "needs_a_missing_node", "tokens"]  # each once, only what is needed


def test_an_action_call_in_a_form_carries_the_state_rasa_would_send():
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
    from rasa.shared.core.trackers import EventVerbosity

    from rasa_patches.lean_action_calls import current_state

    tracker = conversation_of(
        UserUttered("my calf twitches", {"name": "describe_symptoms", "confidence": 0.9}, [], message_id="m1"),
        ActionExecuted("triage_form"),
        ActiveLoop("triage_form"),
        SlotSet("requested_slot", "duration"),
        ActionExecuted("action_listen"),
        UserUttered("two weeks", {"name": "inform", "confidence": 0.8}),
    )
    assert tracker.active_loop is not None
    expected = tracker.current_state(EventVerbosity.NONE)
    ours = current_state(tracker)
    assert [event["event"] for event in ours.pop("events")] == ["user"]
    expected.pop("events")
    assert ours == expected
    call = RemoteAction("validate_triage_form", None)._action_call_format(tracker, Domain.empty())
    assert call["tracker"]["active_loop"]["name"] == "triage_form"
