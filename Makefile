# Short verbs for the course. Each one sets up the virtual environment first if it is missing or out of date.
#   make lab       for students: JupyterLab on the student notebooks, with nbgrader's Validate button and none of
#                  its instructor tools
#   make instructor   for instructors: JupyterLab on the whole course, with Formgrader, the gradebook (every lesson
#                  recorded) and a local exchange in grading/ for release, collect and feedback on this machine
#   make test      run the whole test suite (helpers, lessons in smoke mode, the nbgrader chain)
#   make bench     measure speed, memory and model quality on $COURSE_DATA into benchmarks/results.json and .md,
#                  then make release (the figures the README and the lessons state come from that record);
#                  make bench LESSONS=06_beyond_elbo measures only the named lessons and keeps the rest of the record
#   make release   regenerate notebooks/ (student copies) from solutions/: measured figures from benchmarks/results.json,
#                  Colab badges and setup cells, then nbgrader
#   make grade     autograde grading/submitted/ in parallel, then feedback and grading/grades.csv, and a summary
#                  (options: make grade GRADE_FLAGS="--workers 4 --timeout 120 01_autoencoder")
#   make bench-grading   measure make grade (one student, all lessons; 20 students with and without the sandbox,
#                  on 1 and all cores, and on a Dask LocalCluster) into benchmarks/results.md
#   make test-oldest   the test suite in .venv-oldest, with every dependency at its declared floor (tools/floors.py)
#   make student-edition DIR=../course-student   write the course for students (no solutions, no tests) into DIR,
#                  ready to push as the public repository named in [tool.course] edition_repository
#                  (LESSONS="01_autoencoder 02_denoising" publishes only those lessons)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# JupyterLab refuses to run as root (containers often do) unless told it may.
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: lab instructor test test-oldest release bench bench-grading grade student-edition clean-venv

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; found " + sys.version.split()[0] + ". Run make with PYTHON=/path/to/python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[course,test,cluster]'
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/python tools/lab.py student $(LAB_FLAGS)

instructor: $(STAMP)
	$(BIN)/python tools/lab.py instructor $(LAB_FLAGS)

test: $(STAMP)
	$(BIN)/python -m pytest

# The floors of pyproject.toml, installed exactly, in an environment of their own (not in CI: it downloads them).
OLDEST := .venv-oldest
test-oldest:
	test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(PYTHON) tools/floors.py > $(OLDEST)/floors.txt
	$(OLDEST)/bin/python -m pip install --disable-pip-version-check -q -e '.[course,test,cluster]' -c $(OLDEST)/floors.txt
	PATH="$(abspath $(OLDEST))/bin:$$PATH" $(OLDEST)/bin/python -m pytest $(TESTS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(LESSONS)
	$(MAKE) release

release: $(STAMP)
	$(BIN)/python tools/figures.py
	$(BIN)/python tools/release.py

grade: $(STAMP)
	$(BIN)/python tools/grade.py $(GRADE_FLAGS)

bench-grading: $(STAMP)
	$(BIN)/python benchmarks/grading.py

student-edition: $(STAMP)
	@test -n "$(DIR)" || { echo "Say where to write it: make student-edition DIR=../autoencoders-vaes-pytorch-student"; exit 2; }
	$(BIN)/python tools/edition.py "$(DIR)" $(LESSONS)

clean-venv:
	rm -rf $(VENV)
