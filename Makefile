# Twitch-triage assistant. `make chat` to talk to it, `make test` to test it.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
SPACY_MODEL := models/spacy_twitch
RASA_MODEL := models/twitch-triage.tar.gz

export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONWARNINGS := ignore
export RASA_PORT ?= 5005
export ACTION_SERVER_PORT ?= 5055
export TRACKER_DB ?= conversations.db

.PHONY: help install browser services train chat serve serve-cluster actions validate lint test test-unit test-stories eval eval-blind bench bench-quick soak telegram-webhook clean

help:
	@echo "make chat     talk to the assistant in this terminal (installs and trains if needed)"
	@echo "make serve    Rasa server (REST channel, HTTP API with RASA_AUTH_TOKEN) + action server"
	@echo "make serve-cluster  RASA_PROCESSES Rasa processes behind HAProxy on PostgreSQL and Redis (README, Deployment)"
	@echo "make services install (Debian packages) and start PostgreSQL, Redis, HAProxy, supervisor if missing"
	@echo "make test     lint, validate data, train, run the unit, story and end-to-end tests"
	@echo "make lint     ruff check, ruff format --check and mypy over the project's packages"
	@echo "make eval     evaluation report: NLU cross-validation, held-out messages, vignette triage"
	@echo "make eval-blind  the blind set: triage accuracy, red flags per class, other people's symptoms (~1 min)"
	@echo "make bench    performance figures side by side with a stock Rasa bot (~8 min; results/bench/)"
	@echo "make bench-quick  a much smaller benchmark run, to try it out (~3 min)"
	@echo "make soak     200 conversations, 20 users at once: no 5xx, nothing lost, memory flat (~5 min; results/soak/)"
	@echo "make train    build the spaCy pipeline and train the Rasa model if anything changed"
	@echo "make telegram-webhook  tell Telegram where to deliver messages (TELEGRAM_* set)"
	@echo "make install  create .venv with the pinned packages (a no-op when up to date)"
	@echo "make browser  install Debian's chromium for the widget's browser tests (a no-op if present)"

install: $(VENV)/.installed

# Rasa 3.6 declares Python <3.11: its dependencies come from the lock first,
# then rasa itself without dependency resolution (see README, "Installation").
$(VENV)/.installed: requirements/lock.txt requirements/rasa.txt requirements/test.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements/lock.txt
	$(VENV)/bin/pip install --quiet --no-deps --ignore-requires-python -r requirements/rasa.txt
	$(VENV)/bin/pip install --quiet -r requirements/test.txt
	touch $@

$(SPACY_MODEL)/meta.json: $(VENV)/.installed $(wildcard twitch_nlp/*.py) twitch_nlp/lexicon.yml triage/knowledge.yml
	$(PY) -m twitch_nlp.pipeline $(SPACY_MODEL)

train: $(RASA_MODEL)

# The follow-up questions are worded in the knowledge file; the domain gets them from there.
domain/questions.yml: triage/knowledge.yml scripts/build_question_responses.py
	$(PY) -m scripts.build_question_responses $@

# So are the findings: their entities, slots and the form that asks them.
domain/findings.yml: triage/knowledge.yml scripts/build_finding_slots.py
	$(PY) -m scripts.build_finding_slots $@

$(RASA_MODEL): $(SPACY_MODEL)/meta.json config.yml domain/questions.yml domain/findings.yml $(wildcard domain/*.yml data/*.yml twitch_nlp/*.py policies/*.py)
	$(RASA) train --domain domain --fixed-model-name twitch-triage --out models

# The widget's tests drive Debian's chromium with Playwright (never `playwright install`).
browser:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

validate: $(VENV)/.installed domain/questions.yml domain/findings.yml
	$(PY) -m scripts.validate_data

actions: install
	$(RASA) run actions --actions actions --port $(ACTION_SERVER_PORT)

# The terminal chat (channels/terminal.py) talks to `rasa run` over the REST channel; both
# servers log to files (action-server.log, rasa-chat.log), so the screen shows only the chat.
chat: train
	@echo "Starting the assistant (about 30 seconds)..."
	@$(RASA) run actions --actions actions --port $(ACTION_SERVER_PORT) >action-server.log 2>&1 & actions=$$!; \
	  $(RASA) run --model $(RASA_MODEL) --endpoints endpoints.yml --credentials credentials.yml \
	    --port $(RASA_PORT) >rasa-chat.log 2>&1 & rasa=$$!; \
	  trap "kill $$actions $$rasa 2>/dev/null" EXIT; \
	  $(PY) scripts/wait_for_port.py $(ACTION_SERVER_PORT) 120 && \
	  $(PY) scripts/wait_for_port.py $(RASA_PORT) 240 && \
	  $(PY) -m channels.terminal --url http://127.0.0.1:$(RASA_PORT)

# Telegram and Slack are added to the credentials only when their tokens are set, and the
# HTTP API is on only with RASA_AUTH_TOKEN or RASA_JWT_SECRET (README, "Security").
serve: train
	@$(PY) -m channels.credentials .rasa/credentials.yml
	@$(RASA) run actions --actions actions --port $(ACTION_SERVER_PORT) >action-server.log 2>&1 & \
	  trap "kill $$! 2>/dev/null" EXIT; \
	  $(PY) scripts/wait_for_port.py $(ACTION_SERVER_PORT) && \
	  $(RASA) run --model $(RASA_MODEL) --endpoints endpoints.yml --credentials .rasa/credentials.yml \
	    --port $(RASA_PORT) $$([ -z "$$RASA_AUTH_TOKEN$$RASA_JWT_SECRET" ] || echo --enable-api) \
	    $${RASA_AUTH_TOKEN:+--auth-token "$$RASA_AUTH_TOKEN"} \
	    $${RASA_JWT_SECRET:+--jwt-secret "$$RASA_JWT_SECRET" --jwt-method HS256} \
	    $${WIDGET_CORS_ORIGINS:+--cors $$WIDGET_CORS_ORIGINS}

# The cluster: supervisord runs RASA_PROCESSES (default 2) `rasa run` processes and
# ACTION_SERVERS (default 1) action servers behind HAProxy on RASA_PORT; conversations in
# PostgreSQL, the lock in Redis (deploy/). Ctrl-C or SIGTERM stops all of it.
serve-cluster: train services
	@$(PY) -m deploy.cluster

# PostgreSQL, Redis, HAProxy and supervisor: a quick check where they run, otherwise
# installed from Debian's packages and started (scripts/services.sh).
services:
	@bash scripts/services.sh

telegram-webhook: install
	$(PY) -m channels.telegram

# Lint and types before anything slow: ruff (pyflakes/pycodestyle errors, formatting) and
# mypy, configured in pyproject.toml. `$(VENV)/bin/ruff format` fixes what the check reports.
LINT_PACKAGES := actions channels deploy stores rasa_patches policies triage twitch_nlp tools benchmarks evaluation scripts
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check $(LINT_PACKAGES) tests
	$(VENV)/bin/ruff format --check $(LINT_PACKAGES) tests
	$(VENV)/bin/mypy $(LINT_PACKAGES)

test-unit: $(SPACY_MODEL)/meta.json
	$(PY) -m pytest -m "not e2e"

test-stories: train
	$(RASA) test core --model $(RASA_MODEL) --stories tests/test_stories.yml \
	  --fail-on-prediction-errors --out results/stories

test: lint validate train browser services
	$(PY) -m pytest
	$(MAKE) test-stories

# Reports, never fails on unmet goals: results/eval/report.md and its confusion matrices,
# then the blind set (results/eval/blind.md: accuracy, red flags per class, questions per level).
# EVAL_PARTS=heldout,triage runs only those parts (a quick look; cv takes ~13 min).
eval: train
	$(PY) -m evaluation.evaluate $(if $(EVAL_PARTS),--parts $(EVAL_PARTS))
	$(PY) -m evaluation.blind_eval

# The blind set (evaluation/blind/, written from the article alone): level accuracy,
# under- and over-triage, red flags on first mention per class, other people's symptoms,
# questions per level. Reports, never fails: results/eval/blind.md (about a minute).
eval-blind: train
	$(PY) -m evaluation.blind_eval

# Figures, not pass/fail: trains and serves both bots, load on 127.0.0.1 only.
bench: $(SPACY_MODEL)/meta.json
	$(PY) -m benchmarks.benchmark

bench-quick: train
	$(PY) -m benchmarks.benchmark --quick

# Sustained load on 127.0.0.1, then an audit of every stored event and of memory.
# Fails on any 5xx, lost or duplicated event. More: SOAK_ARGS="--conversations 600 --users 20"
soak: train
	$(PY) -m benchmarks.soak $(SOAK_ARGS)

clean:
	rm -rf models results .pytest_cache .mypy_cache .ruff_cache action-server.log rasa-chat.log
