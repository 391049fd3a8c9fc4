package ops

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

// logEntry is one line of the text log of microovnd (log/slog TextHandler), as a
// map from key to value with quotes removed.
type logEntry map[string]string

// parseLogLine reads the key=value pairs of one slog text line. A value in double
// quotes follows Go quoting. It returns nil for a line that is not in that form.
func parseLogLine(line string) logEntry {
	entry := logEntry{}
	rest := strings.TrimSpace(line)
	for rest != "" {
		key, value, found := strings.Cut(rest, "=")
		if !found || key == "" || strings.ContainsAny(key, " \"") {
			return nil
		}

		if strings.HasPrefix(value, `"`) {
			quoted, err := strconv.QuotedPrefix(value)
			if err != nil {
				return nil
			}

			entry[key], _ = strconv.Unquote(quoted)
			rest = strings.TrimSpace(value[len(quoted):])

			continue
		}

		end := strings.IndexByte(value, ' ')
		if end < 0 {
			end = len(value)
		}

		entry[key] = value[:end]
		rest = strings.TrimSpace(value[end:])
	}

	return entry
}

// securityEntries returns the entries of the daemon log of h marked security=true.
func securityEntries(t *testing.T, h *testbed.Host) []logEntry {
	t.Helper()

	data, err := os.ReadFile(e2e.DaemonLog(h))
	if err != nil {
		t.Fatal(err)
	}

	var entries []logEntry
	for _, line := range strings.Split(string(data), "\n") {
		if entry := parseLogLine(line); entry != nil && entry["security"] == "true" {
			entries = append(entries, entry)
		}
	}

	return entries
}

// expectedEntry is a security event that a log must contain: msg and a subset of
// its attributes.
type expectedEntry struct {
	msg   string
	attrs map[string]string
}

func (e expectedEntry) String() string {
	return fmt.Sprintf("msg=%q %v", e.msg, e.attrs)
}

// matches reports whether entry has the message and every attribute of e.
func (e expectedEntry) matches(entry logEntry) bool {
	if entry["msg"] != e.msg {
		return false
	}

	for key, value := range e.attrs {
		if entry[key] != value {
			return false
		}
	}

	return true
}

// restartDaemon stops and starts microovnd of h and waits until it takes commands.
func restartDaemon(t *testing.T, h *testbed.Host) {
	t.Helper()

	if err := h.StopDaemon(); err != nil {
		t.Fatal(err)
	}

	if err := h.StartDaemon(); err != nil {
		t.Fatal(err)
	}

	runner.MustMicroOVN(t, h, "waitready", "--timeout", "60")
}

// auditedActions runs every audited action whose log entry belongs to h: a service
// change, a config change, a CA change, a certificate reissue and a daemon restart.
func auditedActions(t *testing.T, h *testbed.Host, centralIPs string) {
	t.Helper()

	runner.MustMicroOVN(t, h, "disable", "chassis")
	runner.MustMicroOVN(t, h, "enable", "chassis")
	runner.MustMicroOVN(t, h, "config", "set", "ovn.central-ips", centralIPs)
	runner.MustMicroOVN(t, h, "config", "delete", "ovn.central-ips")
	runner.MustMicroOVN(t, h, "certificates", "regenerate-ca")
	runner.MustMicroOVN(t, h, "certificates", "reissue", "client")
	restartDaemon(t, h)
}

func TestSecurityLogRecordsActions(t *testing.T) {
	bed := buildBed(t, 3)
	h1, h2, h3 := bed.Hosts[0], bed.Hosts[1], bed.Hosts[2]
	h3.SetDaemonArgs(heartbeatArg, "--disable-security-logging")
	e2e.StartDaemons(t, bed.Hosts...)
	runner.FormCluster(t, bed.Hosts)

	centralIPs := strings.Join([]string{h1.Addr.String(), h2.Addr.String(),
		h3.Addr.String()}, ",")
	auditedActions(t, h1, centralIPs)
	auditedActions(t, h3, centralIPs)

	// A shutdown is logged by the member that stops.
	for _, h := range []*testbed.Host{h2, h3} {
		runner.MustMicroOVN(t, h, "shutdown")
	}

	member := func(h *testbed.Host, pairs ...string) map[string]string {
		attrs := map[string]string{"member": h.Name}
		for i := 0; i+1 < len(pairs); i += 2 {
			attrs[pairs[i]] = pairs[i+1]
		}

		return attrs
	}

	expected := map[*testbed.Host][]expectedEntry{
		h1: {
			{"Cluster membership change", member(h1, "action", "bootstrap", "success", "true")},
			{"Certificate issued", member(h1, "certificate", "ovnsb", "reason", "missing")},
			{"Service change", member(h1, "service", "chassis", "enable", "false",
				"changed", "true", "success", "true")},
			{"Service change", member(h1, "service", "chassis", "enable", "true",
				"changed", "true", "success", "true")},
			{"Config change", member(h1, "key", "ovn.central-ips", "value", centralIPs,
				"success", "true")},
			{"Config change", member(h1, "key", "ovn.central-ips", "value", "",
				"success", "true")},
			{"Cluster CA replaced", member(h1, "user_ca", "false", "success", "true")},
			{"Certificate issued", member(h1, "certificate", "ovn-controller",
				"reason", "untrusted")},
			{"Certificate reissued", member(h1, "certificate", "client")},
			{"Daemon stopped", nil},
			{"Daemon started", member(h1)},
		},
		h2: {
			{"Cluster membership change", member(h2, "action", "join", "success", "true")},
			{"Certificate issued", member(h2, "certificate", "ovn-controller",
				"reason", "missing")},
			// The CA change on h1 and on h3 makes h2 issue new certificates too.
			{"Certificate issued", member(h2, "certificate", "ovnnb", "reason", "untrusted")},
			{"Node shut down", member(h2, "success", "true")},
		},
	}

	for h, want := range expected {
		entries := securityEntries(t, h)
		for _, w := range want {
			found := false
			for _, entry := range entries {
				if w.matches(entry) {
					found = true
					break
				}
			}

			if !found {
				t.Errorf("log of %s lacks the security event %v; it has %d events: %v",
					h.Name, w, len(entries), entries)
			}
		}
	}

	e2e.Eventually(t, "h2 logs its stop after the shutdown", settleTimeout, func(p e2e.Reporter) {
		entries := securityEntries(t, h2)
		last := logEntry{}
		if len(entries) > 0 {
			last = entries[len(entries)-1]
		}

		if last["msg"] != "Daemon stopped" {
			p.Errorf("last security event of h2 is %v, want msg=\"Daemon stopped\"", last)
		}
	})

	t.Run("disabled security log", func(t *testing.T) {
		if entries := securityEntries(t, h3); len(entries) > 0 {
			t.Errorf("h3 runs with --disable-security-logging but logged %d security "+
				"events: %v", len(entries), entries)
		}

		data, err := os.ReadFile(e2e.DaemonLog(h3))
		if err != nil {
			t.Fatal(err)
		}

		// Other entries still reach the log, so the silence is the filter's doing.
		for _, part := range []string{`msg="Starting process"`, "Restarting process"} {
			if !strings.Contains(string(data), part) {
				t.Errorf("log of h3 lacks %q, so its actions may not have run:\n%s", part,
					data)
			}
		}

		for _, word := range []string{"security=", "Service change", "Config change",
			"Cluster CA replaced", "Certificate issued", "Daemon started"} {
			if strings.Contains(string(data), word) {
				t.Errorf("log of h3 contains %q despite --disable-security-logging", word)
			}
		}
	})
}
