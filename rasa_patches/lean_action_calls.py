"""An action-server call carries the events of the current turn, not of the whole
conversation (Rasa 3.6).

Rasa puts every event of the conversation into every call to the action server and
encodes it as JSON, so each call costs more as the conversation grows. Our actions read
the slots, the latest message and the events since it (rasa-sdk's form validation looks
for the slots set in this turn); only the actions in NEED_EVERY_EVENT read older events.
Slots, latest message, active loop and the rest of the tracker state go as before.

Rasa also sends the whole domain (90 kB, mostly responses) to every action whose name
starts with `validate_`, even with `enable_selective_domain`, because rasa-sdk's form
validation reads the form's slots from it. Those calls get the domain's forms only, the
part rasa-sdk's FormValidationAction reads (our one is actions/triage_form.py). Installed
by rasa_patches.apply().
"""

import dataclasses
from typing import Any, Dict, List

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

NEED_EVERY_EVENT = {"action_doctor_summary"}  # quotes what the person asked for, from the start
FORM_VALIDATION_PREFIX = "validate_"


def forms_only(domain: Domain) -> Dict[str, Any]:
    """The part of the domain rasa-sdk's form validation reads (as_dict is Rasa's stored dict)."""
    return {"forms": domain.as_dict().get("forms", {})}


def events_of_this_turn(tracker: DialogueStateTracker) -> List[Event]:
    """The events from the latest user message on (all of them before the first one).
    Runs for every action call: it walks back over this turn only."""
    turn: List[Event] = []
    for event in reversed(tracker.events):
        turn.append(event)
        if isinstance(event, UserUttered):
            return turn[::-1]
    return turn[::-1]


def current_state(tracker: DialogueStateTracker) -> Dict[str, Any]:
    """DialogueStateTracker.current_state with this turn's events. The active loop is copied
    one level deep: Rasa's `dataclasses.asdict` deep-copies the message that started the
    form (about 4% of a process's time under load) for a dict that is only encoded as JSON."""
    state = (
        tracker.current_state(EventVerbosity.NONE) if tracker.active_loop is None else _state_without_asdict(tracker)
    )
    state["events"] = [event.as_dict() for event in events_of_this_turn(tracker)]
    return state


def _state_without_asdict(tracker: DialogueStateTracker) -> Dict[str, Any]:
    active_loop = tracker.active_loop
    return {
        "sender_id": tracker.sender_id,
        "slots": tracker.current_slot_values(),
        "latest_message": tracker._latest_message_data(),
        "latest_event_time": tracker.events[-1].timestamp if tracker.events else None,
        "followup_action": tracker.followup_action,
        "paused": tracker.is_paused(),
        "events": None,
        "latest_input_channel": tracker.get_latest_input_channel(),
        "active_loop": {field.name: getattr(active_loop, field.name) for field in dataclasses.fields(active_loop)},
        "latest_action": tracker.latest_action,
        "latest_action_name": tracker.latest_action_name,
    }


def install() -> None:
    original = RemoteAction._action_call_format

    def action_call_format(self: RemoteAction, tracker: DialogueStateTracker, domain: Domain) -> Dict[str, Any]:
        if self.name() in NEED_EVERY_EVENT:
            return original(self, tracker, domain)
        state = current_state(tracker)
        call: Dict[str, Any] = {
            "next_action": self._name,
            "sender_id": tracker.sender_id,
            "tracker": state,
            "version": rasa.__version__,
        }
        if not self._is_selective_domain_enabled():
            call["domain"] = domain.as_dict()
        elif self.name().startswith(FORM_VALIDATION_PREFIX):
            call["domain"] = forms_only(domain)
        elif domain.does_custom_action_explicitly_need_domain(self.name()):
            call["domain"] = domain.as_dict()
        return call

    setattr(action_call_format, "__wrapped_original__", original)
    RemoteAction._action_call_format = action_call_format
