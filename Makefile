# Two commands a newcomer needs: `make run` and `make test`. Everything installs into .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= demo/demo-clinic.ccdb
DEMO_PASSPHRASE ?= demo clinic passphrase

.PHONY: run test lint typecheck installer bench clean demo

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	@mkdir -p $(dir $(DEMO_DB))
	CLINIC_CLERK_PASSPHRASE="$${CLINIC_CLERK_PASSPHRASE:-$(DEMO_PASSPHRASE)}" \
		$(BIN)/clinic-clerk --db $(DEMO_DB) demo --if-missing

run: demo
	CLINIC_CLERK_PASSPHRASE="$${CLINIC_CLERK_PASSPHRASE:-$(DEMO_PASSPHRASE)}" \
		$(BIN)/clinic-clerk --db $(DEMO_DB)

lint: $(STAMP)
	$(BIN)/ruff check app tests bench migrations build_installer.spec

typecheck: $(STAMP)
	$(BIN)/mypy app/models app/services app/formats

test: $(STAMP) lint typecheck
	QT_QPA_PLATFORM=offscreen PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring \
		$(BIN)/pytest -q

installer: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --clean --distpath dist --workpath build build_installer.spec

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring \
		$(BIN)/python -m bench

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache
