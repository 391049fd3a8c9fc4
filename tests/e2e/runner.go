package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/tests/testbed"
)

// Runner runs microovn, its wrapped tools and other programs inside the network
// namespace of a test bed host, each run bounded by a time limit. The Must methods
// stop the test when the command fails.
type Runner struct {
	// MicroOVNTimeout bounds one run of the microovn client. A service or CA change
	// restarts processes on several members, so a suite that makes such changes
	// gives it minutes.
	MicroOVNTimeout time.Duration
	// ToolTimeout bounds one run of a wrapped tool such as ovn-nbctl, of another
	// program, and of Host.SetupUnderlay.
	ToolTimeout time.Duration
}

// MicroOVN runs the microovn client on h and returns its combined output.
func (r Runner) MicroOVN(h *testbed.Host, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.MicroOVNTimeout)
	defer cancel()

	return h.MicroOVN(ctx, args...)
}

// MustMicroOVN runs the microovn client on h and stops the test when it fails.
func (r Runner) MustMicroOVN(t testing.TB, h *testbed.Host, args ...string) string {
	t.Helper()

	out, err := r.MicroOVN(h, args...)
	if err != nil {
		t.Fatal(err)
	}

	return out
}

// MicroOVNInput runs the microovn client on h with input as its standard input and
// returns its combined output. A returned error also contains that output.
func (r Runner) MicroOVNInput(h *testbed.Host, input io.Reader, args ...string) (string,
	error,
) {
	bin, err := BinDir()
	if err != nil {
		return "", err
	}

	ctx, cancel := context.WithTimeout(context.Background(), r.MicroOVNTimeout)
	defer cancel()

	cmdArgs := append([]string{"--state-dir", h.StateDir()}, args...)
	cmd := h.Command(ctx, filepath.Join(bin, "microovn"), cmdArgs...)
	cmd.Stdin = input
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("microovn %s on %s: %w: %s", strings.Join(args, " "),
			h.Name, err, bytes.TrimSpace(out))
	}

	return string(out), nil
}

// Tool runs the wrapped tool microovn.NAME from BinDir on h, such as ovn-sbctl, and
// returns its combined output.
func (r Runner) Tool(h *testbed.Host, name string, args ...string) (string, error) {
	bin, err := BinDir()
	if err != nil {
		return "", err
	}

	return r.Run(h, filepath.Join(bin, "microovn."+name), args...)
}

// MustTool runs a wrapped tool on h and stops the test when it fails.
func (r Runner) MustTool(t testing.TB, h *testbed.Host, name string, args ...string) string {
	t.Helper()

	out, err := r.Tool(h, name, args...)
	if err != nil {
		t.Fatal(err)
	}

	return out
}

// Run runs program inside the namespace of h and returns its combined output.
func (r Runner) Run(h *testbed.Host, program string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.ToolTimeout)
	defer cancel()

	return h.Run(ctx, program, args...)
}

// SetupUnderlay puts the Geneve underlay address of h on its OVS bridge br-phy and
// stops the test when that fails.
func (r Runner) SetupUnderlay(t testing.TB, h *testbed.Host) {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), r.ToolTimeout)
	defer cancel()

	if err := h.SetupUnderlay(ctx); err != nil {
		t.Fatal(err)
	}
}

// ReadStatus returns `microovn status --format json` of h.
func (r Runner) ReadStatus(h *testbed.Host) (types.Status, error) {
	var status types.Status

	out, err := r.MicroOVN(h, "status", "--format", "json")
	if err != nil {
		return status, err
	}

	if err := json.Unmarshal([]byte(out), &status); err != nil {
		return status, fmt.Errorf("decode status of %s: %w: %q", h.Name, err, out)
	}

	return status, nil
}
