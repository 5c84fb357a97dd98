# Thin wrapper around meson; every target is phony.
#
#   make deps    install missing Debian 12 packages (as root)
#   make build   configure (if needed) and build _build
#   make demo    deps + build, then run the media-pipeline demo (DEMO_ARGS=...)
#   make check   deps, then build and test _build, _build-asan, _build-tsan
#                (CHECK_PHASES="main asan tsan" selects phases)
#   make clean   remove the build trees

BUILDDIR ?= _build
DEMO_ARGS ?= --dashboard 8080 --duration 10

# deps must finish before build starts, even under make -j.
.NOTPARALLEL:
.PHONY: all deps build demo check clean

all: build

deps:
	@bash build-aux/install-deps.sh

build:
	@bash build-aux/setup-build.sh $(BUILDDIR)
	meson compile -C $(BUILDDIR)

demo: deps build
	./$(BUILDDIR)/examples/es-media-pipeline $(DEMO_ARGS)

check: deps
	@bash build-aux/run-checks.sh

clean:
	rm -rf _build _build-asan _build-tsan $(filter _build%,$(BUILDDIR))
