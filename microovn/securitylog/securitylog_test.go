package securitylog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func logBoth(disabled bool) string {
	var buf bytes.Buffer
	logger := slog.New(New(slog.NewTextHandler(&buf, nil), disabled))
	logger.Info("Service change", "member", "h1", Key, true)
	logger.Info("Starting process", "process", "ovn-northd")
	logger.With("member", "h1").Info("Certificate issued", Key, true)
	logger.Info("Marked false", Key, false)
	return buf.String()
}

func TestFilterEnabledKeepsEvents(t *testing.T) {
	out := logBoth(false)
	for _, want := range []string{"Service change", "Certificate issued", "Starting process"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q with security events enabled:\n%s", want, out)
		}
	}
}

func TestFilterDisabledDropsEvents(t *testing.T) {
	out := logBoth(true)
	for _, gone := range []string{"Service change", "Certificate issued"} {
		if strings.Contains(out, gone) {
			t.Errorf("log has security event %q although disabled:\n%s", gone, out)
		}
	}

	for _, kept := range []string{"Starting process", "Marked false"} {
		if !strings.Contains(out, kept) {
			t.Errorf("log lacks ordinary entry %q when security events are disabled:\n%s", kept, out)
		}
	}
}
