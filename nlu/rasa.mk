# Rasa Open Source as a real NLU server, in its own Python 3.10 venv (Rasa 3.6 needs <3.11).
# Included by the top-level Makefile; works alone too: `make -f nlu/rasa.mk rasa-model`.
# Paths are relative to the repository root (run make from there).

RASA_VERSION   := 3.6.21
RASA_PY        ?= $(shell pyenv root 2>/dev/null)/versions/3.10.13/bin/python
RASA_VENV      ?= .venv-rasa
RASA_PORT      ?= 5005
RASA_TOKEN     ?= dev-only-token
RASA_MODEL     ?= nlu/models/nlu.tar.gz
RASA_NLU_DATA  := $(wildcard nlu/data/intents/*.yml)
export RASA_TELEMETRY_ENABLED := false

.PHONY: rasa-venv rasa-model rasa-serve

rasa-venv: $(RASA_VENV)/.ok

$(RASA_VENV)/.ok: nlu/rasa/constraints.txt
	@test -x "$(RASA_PY)" || { echo "rasa-venv: Python 3.10 not found at '$(RASA_PY)' (need pyenv's 3.10.13; set RASA_PY=/path/to/python3.10)" >&2; exit 1; }
	"$(RASA_PY)" -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --disable-pip-version-check -c nlu/rasa/constraints.txt rasa==$(RASA_VERSION)
	touch $@

rasa-model: $(RASA_MODEL)

# Trains on nlu/data/intents only: the held-out split in nlu/data/test is never seen.
# Runs inside nlu/ so that Rasa's training cache lands in nlu/.rasa (gitignored).
$(RASA_MODEL): $(RASA_VENV)/.ok nlu/config.yml nlu/domain.yml $(RASA_NLU_DATA)
	mkdir -p $(dir $(RASA_MODEL))
	cd nlu && $(abspath $(RASA_VENV))/bin/rasa train nlu --config config.yml \
	    --domain domain.yml --nlu data/intents --out $(abspath $(dir $(RASA_MODEL))) \
	    --fixed-model-name $(basename $(basename $(notdir $(RASA_MODEL))))

rasa-serve: $(RASA_MODEL)
	$(RASA_VENV)/bin/rasa run --enable-api -i 127.0.0.1 -p $(RASA_PORT) \
	    --auth-token $(RASA_TOKEN) --model $(RASA_MODEL)
