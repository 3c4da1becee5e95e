# The two commands of the README. Each sets up .venv (Python 3.10+) if needed.
#   make train   train the default VAE on the shipped data, with its figures
#   make test    lint, the package's tests (the website's browser test among
#                them), the benchmark's smoke test, then the wheel in Colab's
#                versions: the package's tests again and the notebooks (nbval,
#                quick)
#   make site    the course website, offline, into build/site
#   make student the student edition of every notebook, its instructor edition
#                and autograder (Otter-Grader), into build/editions
#   make grade NOTEBOOK=path/02_....ipynb   grade a completed notebook
# ARGS passes options to gdl-vae train: make train ARGS="--model ae --epochs 5"

VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: setup train test lint site student grade clean

setup:
	@bash tools/venv.sh $(VENV)

train: setup
	$(BIN)/gdl-vae train $(ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest tests
	$(BIN)/python -m benchmarks.run --quick >/dev/null
	@echo "benchmarks: quick run passed"
	bash tests/notebooks_from_wheel.sh

site: setup
	$(BIN)/python tools/build_site.py

student: setup
	$(BIN)/python tools/editions.py build

grade: setup
	@test -n "$(NOTEBOOK)" || { echo "usage: make grade NOTEBOOK=path/to/02_....ipynb"; exit 2; }
	$(BIN)/python tools/editions.py grade "$(NOTEBOOK)"

clean:
	rm -rf $(VENV) runs build dist *.egg-info .pytest_cache .ruff_cache
