# MicroOVN build, test and demo targets. Run as root: the build root needs chroot
# and bind mounts, the tests need network namespaces.

GO ?= go
BUILDROOT ?= $(CURDIR)/.buildroot
BIN ?= $(CURDIR)/bin
PREFIX ?= /usr/local
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)
WRAPPED = ovn-nbctl ovn-sbctl ovn-trace ovs-vsctl ovn-appctl ovs-appctl ovsdb-client \
	ovs-ofctl ovs-dpctl ovsdb-tool

.PHONY: build deps unit test e2e install uninstall demo demo-stop demo-clean lab-up lab-down clean

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

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 $(BIN)/microovnd $(DESTDIR)$(PREFIX)/sbin/microovnd
	install -m 0755 $(BIN)/microovn $(DESTDIR)$(PREFIX)/bin/microovn
	for t in $(WRAPPED); do ln -sf microovn $(DESTDIR)$(PREFIX)/bin/microovn.$$t; done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/microovnd $(DESTDIR)$(PREFIX)/bin/microovn
	for t in $(WRAPPED); do rm -f $(DESTDIR)$(PREFIX)/bin/microovn.$$t; done

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

clean:
	rm -rf $(BIN)
