# GIFT companion: build the book and run the tests (see book/reproduce.md).
# Every target forwards to a script; the environment is the venv $(VENV), created on demand.
#   make book                  # env + execute all chapters (companion, from the results store) + HTML book
#   make notebooks NB=04       # execute chapters, training every run missing from results/ (long)
#   make test                  # env + unit tests + nbval check of tests/notebooks (smoke)
#   make notebooks NB="02 05"  # execute some chapters only (stems or numeric prefixes)
VENV ?= .venv
NB ?=
PY := $(VENV)/bin/python
EXECUTE := $(PY) tools/execute_notebooks.py
# chapters rendered at once by `make render` / `make book` (each kernel keeps about one core busy)
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
HTML := $(VENV)/bin/jupyter-book build . --all -W -n --keep-going
# after every HTML build: fail on any Markdown table left as raw `| a | b |` text
CHECK_HTML := $(PY) tools/check_html.py
export VENV

.PHONY: help env test notebooks render smoke html book screenshots clean
.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z]+):.*## /  make \1\t/' | expand -t 18

env: ## create or update the venv (skipped when pyproject/constraints are unchanged)
	@tools/env.sh

test: env ## unit tests (pytest tests) + nbval on tests/notebooks
	@tools/test.sh

notebooks: env ## execute chapters (companion) into book/, training runs missing from results/ (NB= to choose)
	$(EXECUTE) --profile companion $(NB)

render: env ## execute chapters (companion) into book/ from results/ only: missing runs show as "not computed"
	$(EXECUTE) --profile companion -p run_missing False --jobs $(JOBS) $(NB)

smoke: env ## execute chapters with the smoke profile into tests/notebooks/ (nbval references)
	$(EXECUTE) --profile smoke $(NB)

html: env ## build the HTML book from book/*.ipynb without executing anything, then check it
	$(HTML)
	$(CHECK_HTML)

screenshots: ## screenshot every page of _build/html as a reader sees it (needs Chromium) into _build/screenshots/
	$(PY) tools/screenshots.py

book: render ## render all chapters from the committed results, then build the HTML book into _build/html
	$(HTML)
	$(CHECK_HTML)

clean: ## remove build outputs (_build/); keeps the venv
	rm -rf _build
