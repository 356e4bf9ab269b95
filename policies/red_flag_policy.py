"""Dialogue policy: once a red flag has set an emergency or urgent level, say so now.

action_extract_findings sets `triage_level` the moment a person mentions a red flag,
whatever question was open and whatever else the message asked. This policy then
outranks every other one until `action_give_assessment` has shown that level, so a
red flag can never wait behind a detour, a form question or a misread intent.
"""

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

import rasa_patches

# The one hook for the project's changes to Rasa internals: every model of this project
# loads this policy (config.yml), so the patches are in force wherever it runs.
rasa_patches.apply()

ASSESSMENT_ACTION = "action_give_assessment"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class RedFlagPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "priority": 7,  # above RulePolicy (6), so it wins ties at confidence 1.0
            "levels": ["emergency", "urgent"],  # the contract's "conclude at once" levels
            "level_slot": "triage_level",
            "shown_slot": "assessment_shown",
        }

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        if self._red_flag_not_yet_shown(tracker):
            probabilities[domain.index_for_action(ASSESSMENT_ACTION)] = 1.0
        elif tracker.latest_action_name == ASSESSMENT_ACTION:
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        return self._prediction(probabilities)

    def _red_flag_not_yet_shown(self, tracker: DialogueStateTracker) -> bool:
        level = tracker.get_slot(self.config["level_slot"])
        return level in self.config["levels"] and tracker.get_slot(self.config["shown_slot"]) != level
