# Two commands: `make run` serves the demo, `make test` runs every test (SQLite, then PostgreSQL).
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
HOST ?= 127.0.0.1
WORKERS ?= 2
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test install install-dev db bench clean

run: install db
	@scripts/run-deps.sh  # espeak-ng for the kiosks' read-aloud
	@echo ""
	@echo "  镇原县一网通办·乡村便民 已启动：http://localhost:$(PORT)/"
	@echo "  （手机在同一网络访问，请用 HOST=0.0.0.0 make run）"
	@echo ""
	@# The outbox worker (SMS, department pushes) runs beside the web server and stops with it.
	@$(FLASK) worker & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  $(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - "wsgi:app"

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.txt
	@scripts/ensure-venv.sh $(PYTHON) $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

db: install
	$(FLASK) db upgrade
	$(FLASK) seed

test: install-dev
	scripts/system-deps.sh
	scripts/test.sh

bench: install-dev
	scripts/system-deps.sh
	bench/http
	bench/weight
	bench/cases
	bench/query
	bench/lighthouse
	bench/kiosk
	bench/scale

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts bench/out
