# MicroOVN build, test and demo targets. Run as root: the build root needs chroot
# and bind mounts, the tests need network namespaces.

GO ?= go
BUILDROOT ?= $(CURDIR)/.buildroot
BIN ?= $(CURDIR)/bin
PREFIX ?= /usr/local
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)
WRAPPED = ovn-nbctl ovn-sbctl ovn-trace ovs-vsctl ovn-appctl ovs-appctl ovsdb-client \
	ovs-ofctl ovs-dpctl ovsdb-tool

.PHONY: build deps unit test e2e install uninstall demo demo-stop demo-clean lab-up lab-down clean \
	bench

build:
	scripts/buildroot.sh build $(BUILDROOT) $(BIN) $(VERSION)
	cd $(BIN) && for t in $(WRAPPED); do ln -sf microovn microovn.$$t; done

deps:
	scripts/deps.sh

unit:
	scripts/buildroot.sh test $(BUILDROOT) $(BIN) $(VERSION)

e2e: build
	MICROOVN_BIN=$(BIN) $(GO) test -count=1 -timeout 60m -v ./tests/...

test:
	scripts/test.sh

# Install folders. Every one is under PREFIX, so an install into a scratch PREFIX
# stays inside it. systemd reads units from /usr/local/lib/systemd/system too
# (systemd-analyze unit-paths, systemd 252).
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

# Every file that install writes, without DESTDIR. uninstall removes exactly these.
INSTALLED = $(SBINDIR)/microovnd $(BINDIR)/microovn \
	$(addprefix $(BINDIR)/microovn.,$(WRAPPED)) \
	$(BASHCOMPDIR)/microovn $(ZSHCOMPDIR)/_microovn $(FISHCOMPDIR)/microovn.fish \
	$(SYSTEMDUNITDIR)/microovnd.service

install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0755 $(BIN)/microovnd $(DESTDIR)$(SBINDIR)/microovnd
	install -m 0755 $(BIN)/microovn $(DESTDIR)$(BINDIR)/microovn
	for t in $(WRAPPED); do ln -sfn microovn $(DESTDIR)$(BINDIR)/microovn.$$t; done
	$(BIN)/microovn completion bash >$(DESTDIR)$(BASHCOMPDIR)/microovn
	$(BIN)/microovn completion zsh >$(DESTDIR)$(ZSHCOMPDIR)/_microovn
	$(BIN)/microovn completion fish >$(DESTDIR)$(FISHCOMPDIR)/microovn.fish
	sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/microovnd.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/microovnd.service
	chmod 0644 $(DESTDIR)$(BASHCOMPDIR)/microovn $(DESTDIR)$(ZSHCOMPDIR)/_microovn \
		$(DESTDIR)$(FISHCOMPDIR)/microovn.fish $(DESTDIR)$(SYSTEMDUNITDIR)/microovnd.service

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

demo:
	scripts/demo.sh

demo-stop:
	scripts/demo.sh stop

demo-clean:
	scripts/demo.sh clean

lab-up: build
	$(GO) run ./tests/labctl up -n 3 -bin $(BIN) -dir $(CURDIR)/.lab

lab-down:
	$(GO) run ./tests/labctl down -dir $(CURDIR)/.lab

# MicroOVN against OVN started by hand (bench/baseline.sh), see
# docs/reference/benchmarks.md. QUICK=1 runs fewer runs and sizes; BENCH_OUT sets
# the JSON file.
BENCH_OUT ?= $(CURDIR)/bench/results/latest.json

bench: build
	CGO_ENABLED=0 $(GO) build -o $(BIN)/microovn-bench ./bench
	$(BIN)/microovn-bench -bin $(BIN) -script $(CURDIR)/bench/baseline.sh -out $(BENCH_OUT) \
		$(if $(filter-out 0,$(QUICK)),-quick)

clean:
	rm -rf $(BIN)
