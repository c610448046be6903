# The two commands of the README:
#   make demo   set up, start the lab, run the main playbook against it
#   make test   set up, run the whole test suite (sanity, lint, unit, lab conformance, integration)
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.lab/collections
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: setup demo test unit lab-tests oldest-sdks integration sanity lint lab-up lab-down clean bench
setup:
	@scripts/setup

demo: setup
	@lab/bin/lab up
	$(VENV)/bin/ansible-playbook -i .lab/ansible/inventory.yml playbooks/site.yml

# Two workers, a test file each at a time: the long lab-bound files (integration targets, lifecycle, faults) run
# beside the rest, each worker with its own private lab.
test: setup
	$(PY) -m pytest -p no:cacheprovider -n 2 --dist loadfile --durations=40 tests

unit: setup
	$(PY) -m pytest -p no:cacheprovider tests/unit

lab-tests: setup
	$(PY) -m pytest -p no:cacheprovider tests/lab

# the unit and lab tests again with the oldest supported SDKs (tests/constraints-oldest.txt) in .venv-oldest;
# `make test` runs it too (tests/test_oldest_sdks.py)
oldest-sdks: setup
	@scripts/oldest-sdks

integration: setup
	$(PY) -m pytest -p no:cacheprovider tests/integration

sanity: setup
	$(PY) -m pytest -p no:cacheprovider tests/test_sanity.py

# the benchmark (bench/README.md): BENCH_ARGS="--sizes 10,100,500" for other sizes or options
bench: setup
	PYTHONPATH=$(CURDIR):$(CURDIR)/lab $(PY) -m bench $(BENCH_ARGS)

lab-up: setup
	@lab/bin/lab up

lab-down:
	@lab/bin/lab down

clean: lab-down
	rm -rf .lab build
