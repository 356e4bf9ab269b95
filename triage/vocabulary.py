"""Names fixed outside the bot, for every Python module that needs them.

The contract's names (shared/triage-contract.md: levels and causes in section 2, findings in
section 3) and the names the Rasa server and the action server both use. Plain constants
without imports: the action server, the tracker store, evaluation and tests read them
without loading each other's packages.

The findings the bot records, in the order it asks them, are those of triage/knowledge.yml
(the contract's and `benign_pattern`, never asked); domain/findings.yml is generated from it
and tests/test_engine.py checks it covers CONTRACT_FINDINGS.
"""

LEVELS = ("emergency", "urgent", "soon", "self_care")  # most urgent first
CAUSES = ("benign", "electrolyte", "thyroid", "neuromuscular")
CONTRACT_FINDINGS = (
    "emergency_signs",
    "weakness",
    "muscle_wasting",
    "speech_swallowing",
    "cramps",
    "tingling",
    "palpitations",
    "thyroid_signs",
    "fluid_losses",
    "recent_med_change",
    "medical_history",
    "duration",
    "triggers",
)  # in the contract's order

# A turn in which this action ran is erased by the tracker store instead of saved
# (stores/erasable_sql_tracker_store.py); the action server names its action with it.
ERASE_ACTION = "action_delete_my_data"
