"""Writes domain/findings.yml: one entity and one slot per finding of triage/knowledge.yml,
and the form that asks them, so the domain lists exactly the findings the engine knows.

The findings are filled on every turn by action_extract_findings (their custom slot
mapping); the form asks them in the knowledge file's order, then the grouped question's
slot. `make train` and `make validate` run this when the knowledge file changes, and a unit
test checks the committed file is up to date.

    python -m scripts.build_finding_slots [OUT]
"""

import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from actions.findings import FORM_NAME, GROUPED_SLOT
from triage.engine import load_knowledge

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "domain" / "findings.yml"
HEADER = "# Generated from triage/knowledge.yml by `python -m scripts.build_finding_slots`: edit the findings there.\n"
FILLED_BY = "action_extract_findings"  # actions/extract_findings.py


def finding_domain() -> Dict[str, Any]:
    knowledge = load_knowledge()
    slots = {
        name: {
            "type": "text",
            "influence_conversation": False,
            "mappings": [{"type": "custom", "action": FILLED_BY}],
        }
        for name in knowledge.findings
    }
    return {
        "version": "3.1",
        "entities": list(knowledge.findings),
        "slots": slots,
        "forms": {FORM_NAME: {"required_slots": knowledge.asked_findings() + [GROUPED_SLOT]}},
    }


def render() -> str:
    return HEADER + yaml.safe_dump(finding_domain(), sort_keys=False, width=100)


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else OUT
    out.write_text(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
