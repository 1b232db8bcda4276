# Everything starts from python3 and make: the first target run builds .venv from the lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-deploy lint bench browser mutate clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/radar demo

# Debian's chromium (the real-browser test) and openssl (the end-to-end tests' throwaway CA).
browser:
	@command -v chromium >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium openssl >/dev/null; \
	  else echo "the tests need chromium and openssl: sudo apt-get install chromium openssl" >&2; exit 1; fi; }

test: install browser
	$(BIN)/pytest -n 2 --dist loadscope

# prefect.yaml deployed to a process work pool on a real Prefect server, a worker running the
# weekly flow; a sync on two Dask workers into an S3 store (minutes, so apart from `make test`;
# .ci/run runs both).
test-deploy: install
	$(BIN)/pytest -m deploy tests/deploy

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Mutation testing with mutmut over metrics/, connectors/, core/ and reports/email.py against the
# unit and fault tests (slow: a day for everything; not part of `make test` or CI).
# SAMPLE=N: N mutants drawn at random from each package (tests/mutants_sample.py), about an hour
# for 100; MUTANTS='metrics.decisions*' picks some by name. Results are kept in mutants/ between
# runs. See tests/MUTANTS.md.
mutate: install
	$(if $(SAMPLE),$(BIN)/python -m tests.mutants_sample $(SAMPLE) --jobs $(or $(JOBS),2) $(if $(SEED),--seed $(SEED)),$(BIN)/mutmut run --max-children $(or $(JOBS),2) $(MUTANTS))
	$(BIN)/python -m tests.mutants_report $(if $(SAMPLE),--sample $(SAMPLE) $(if $(SEED),--seed $(SEED)))

# BENCH_SCALE=1: the organisation scale (60 teams, 120 repos, 1 M commits; tens of minutes).
BENCH_SCALE ?= 0.1
bench: install
	$(BIN)/python -m bench.run --scale $(BENCH_SCALE)

clean:
	rm -rf $(VENV) out data mutants .mypy_cache .ruff_cache
