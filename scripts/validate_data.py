"""`rasa data validate --fail-on-warnings`, except for two false alarms.

Rasa 3.6's validator reports as "not used in any story or rule" the `utter_ask_<slot>`
responses of a form (forms send them, but no story names them) and the response our code
sends when the action server is down. Every other warning fails.

    python -m scripts.validate_data
"""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RASA = str(Path(sys.executable).with_name("rasa"))
UNUSED = re.compile(r"UserWarning: The utterance '(utter_\w+)' is not used in any story or rule\.")
SENT_BY_CODE = {
    "utter_action_server_unavailable",  # rasa_patches/outage_answer.py
    "utter_other_person_needs_a_check",  # actions/give_assessment.py
    "utter_offer_summary",
    "utter_nothing_to_summarise",  # actions/give_assessment.py, doctor_summary.py
    "utter_data_deleted",  # actions/delete_my_data.py
    "utter_restart",
}  # Rasa's action_restart


def form_questions() -> set[str]:
    asks: set[str] = set()
    for path in (ROOT / "domain").glob("*.yml"):
        for form in (yaml.safe_load(path.read_text()) or {}).get("forms", {}).values():
            asks.update(f"utter_ask_{slot}" for slot in form.get("required_slots", []))
    return asks


def main() -> int:
    run = subprocess.run([RASA, "data", "validate", "--domain", "domain"], cwd=ROOT, capture_output=True, text=True)
    output = run.stdout + run.stderr
    sys.stdout.write(output)
    asks = form_questions() | SENT_BY_CODE
    problems = [
        line
        for line in output.splitlines()
        if "UserWarning" in line and not ((unused := UNUSED.search(line)) and unused.group(1) in asks)
    ]
    if run.returncode or problems:
        print(f"\nValidation failed: exit code {run.returncode}, {len(problems)} warning(s):", *problems, sep="\n")
        return 1
    print("\nValidation passed: no warnings (form questions and the outage reply count as used).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
