"""Writes the Rasa credentials file for `make serve` from credentials.yml and the environment.

Telegram and Slack are switched on only when their tokens are set, so no secret ever
lives in the repository and a server without them still starts.

    python -m channels.credentials .rasa/credentials.yml
"""

import os
import sys
from pathlib import Path
from typing import Dict, Mapping, Optional

import yaml

BASE_FILE = Path(__file__).resolve().parents[1] / "credentials.yml"


def _drop_empty(values: Dict[str, Optional[str]]) -> Dict[str, str]:
    return {key: value for key, value in values.items() if value}


def credentials(env: Mapping[str, str] = os.environ) -> dict:
    result = yaml.safe_load(BASE_FILE.read_text()) or {}
    if env.get("TELEGRAM_ACCESS_TOKEN"):
        result["channels.telegram.TelegramChannel"] = _drop_empty(
            {
                "access_token": env["TELEGRAM_ACCESS_TOKEN"],
                "verify": env.get("TELEGRAM_BOT_USERNAME"),
                "webhook_url": env.get("TELEGRAM_WEBHOOK_URL"),
                "secret_token": env.get("TELEGRAM_SECRET_TOKEN"),
                "api_server": env.get("TELEGRAM_API_SERVER"),
            }
        )
    if env.get("SLACK_BOT_TOKEN"):
        if not env.get("SLACK_SIGNING_SECRET"):
            sys.exit("SLACK_SIGNING_SECRET is required with SLACK_BOT_TOKEN: unsigned requests are refused")
        result["channels.slack.SlackChannel"] = _drop_empty(
            {
                "slack_token": env["SLACK_BOT_TOKEN"],
                "slack_signing_secret": env["SLACK_SIGNING_SECRET"],
                "slack_channel": env.get("SLACK_CHANNEL"),
                "api_base_url": env.get("SLACK_API_BASE_URL"),
                "redis_url": env.get("SLACK_REDIS_URL"),
            }
        )
    return result


def main(target: str) -> None:
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(credentials(), sort_keys=False))
    os.chmod(path, 0o600)  # it holds tokens


if __name__ == "__main__":
    main(sys.argv[1])
