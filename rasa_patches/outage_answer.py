"""When the action server cannot be reached, the person still gets an answer (Rasa 3.6).

Red flags are read and the assessment is made in the action server. If it is down, Rasa
logs a traceback, drops the action's events and says nothing: not even to "I have chest
pain". Here a custom action that fails that way sends `utter_action_server_unavailable`
instead: try again in a minute, and the static list of when to call for help now. The
open question stays open, so resending the answer continues the assessment.
The outage is recognised by the exception Rasa chains (aiohttp's ClientConnectionError),
not by its wording; only actions that reach the action server are wrapped. Installed by rasa_patches.apply().
"""

import logging
from typing import Any, List

import aiohttp
from rasa.core.actions.action import Action, ActionExtractSlots, RemoteAction, create_bot_utterance
from rasa.core.actions.forms import FormAction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import Event, FollowupAction
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

UNAVAILABLE_RESPONSE = "utter_action_server_unavailable"


# Actions that reach the action server: custom actions, the form (its validation action)
# and the slot extraction (our custom slot mapping, action_extract_findings).
CALLS_THE_ACTION_SERVER = (RemoteAction, FormAction, ActionExtractSlots)


def is_unreachable(error: BaseException) -> bool:
    """Rasa raises a RasaException while handling aiohttp's connection error: the cause or
    context names the outage, whatever the message says."""
    chained = error.__cause__ or error.__context__
    return isinstance(error, RasaException) and isinstance(chained, aiohttp.ClientConnectionError)


class _AnswerEvenIfUnreachable:
    """Runs an action as usual; if the action server cannot be reached, says so instead."""

    def __init__(self, action: Action) -> None:
        self._action = action

    def __getattr__(self, name: str) -> Any:
        return getattr(self._action, name)

    async def run(self, output_channel, nlg, tracker, domain) -> List[Event]:
        try:
            return await self._action.run(output_channel, nlg, tracker, domain)
        except RasaException as error:
            if not is_unreachable(error):
                raise
            logger.error("The action server is unreachable; '%s' answered that it is.", self._action.name())
            message = await nlg.generate(UNAVAILABLE_RESPONSE, tracker, output_channel.name())
            # Then wait for the person: predicting on would only reach the same dead server.
            return [create_bot_utterance(message), FollowupAction(ACTION_LISTEN_NAME)]


def install() -> None:
    original = MessageProcessor._run_action

    async def run_action_answering_outages(self, action, tracker, output_channel, nlg, prediction):
        if isinstance(action, CALLS_THE_ACTION_SERVER):  # responses and action_listen need no server
            action = _AnswerEvenIfUnreachable(action)
        return await original(self, action, tracker, output_channel, nlg, prediction)

    setattr(run_action_answering_outages, "__wrapped_original__", original)
    MessageProcessor._run_action = run_action_answering_outages
