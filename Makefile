# Cockpit: the commands the README gives. Each sets the machine up first (scripts/setup.sh is quick when done).
.PHONY: run test bench setup

# The app, on the demo company, at http://localhost:8501
run:
	@bash scripts/setup.sh --app
	.venv/bin/streamlit run app.py

# Every test, browser tests included (they drive Debian's /usr/bin/chromium, installed by setup.sh when missing).
test:
	@bash scripts/setup.sh
	.venv/bin/python -m pytest -q

# Side-by-side benchmarks on generated data (minutes; not part of `make test`); prints one summary table.
bench:
	@bash scripts/setup.sh --app
	.venv/bin/python benchmarks/run_all.py

setup:
	@bash scripts/setup.sh
