# The two commands a newcomer needs: `make run` and `make test`. Each builds .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-long test-cluster test-couch-cluster bench bench-ecallmgr lint prereqs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/kazoo-tasks run

prereqs:
	bash scripts/test-prereqs.sh

test: $(STAMP) prereqs
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -m 'not cluster and not couch_cluster and not faults and not long' $(PYTEST_ARGS)

# The long runs: fault injection under load (workers, broker, Redis, ecallmgr and switch
# faults under 100-200 calls), schemathesis over the whole API and the benchmark
# commands; about 10 min on 2 cores. CI runs them after `make test`.
test-long: $(STAMP) prereqs
	$(BIN)/pytest -m 'faults or long' $(PYTEST_ARGS)

# The tests marked `cluster` (a 3-node RabbitMQ cluster, a 3+3 Redis Cluster on this machine;
# docs/operations.md).
test-cluster: $(STAMP) prereqs
	$(BIN)/pytest -m cluster $(PYTEST_ARGS)

# A real 3-node CouchDB cluster loses a node while 200 calls run (docs/documents.md).
test-couch-cluster: $(STAMP) prereqs
	$(BIN)/pytest -m couch_cluster tests/cluster -s $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/kazoo-tasks bench $(BENCH_ARGS)

# ESL reader under a burst of real events (docs/ecallmgr.md); needs local RabbitMQ + Redis.
bench-ecallmgr: $(STAMP)
	$(BIN)/python scripts/bench_ecallmgr.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .cache .pytest_cache
