package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/microovn/microovn/tests/testbed"
)

// binEnv names the variable with the folder of the built binaries.
const binEnv = "MICROOVN_BIN"

// BinDir returns the absolute folder with microovnd, microovn and the microovn.*
// links: $MICROOVN_BIN, or ../../bin when it is unset. Go runs a test in the folder
// of its package, so ../../bin is the repository's bin folder for the packages
// under tests/.
func BinDir() (string, error) {
	dir := os.Getenv(binEnv)
	if dir == "" {
		dir = filepath.Join("..", "..", "bin")
	}

	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s=%q: %w", binEnv, dir, err)
	}

	return abs, nil
}

// SkipUnlessRoot skips t unless the test process runs as root, which network
// namespaces need. suite names the tests in the skip message, such as "the
// operator tests".
func SkipUnlessRoot(t testing.TB, suite string) {
	t.Helper()

	if os.Geteuid() != 0 {
		t.Skip(suite + " need root for network namespaces")
	}
}

// RequireBinaries returns BinDir. It skips t unless the test runs as root and
// BinDir contains microovnd, and stops t when BinDir fails.
func RequireBinaries(t testing.TB, suite string) string {
	t.Helper()

	SkipUnlessRoot(t, suite)

	bin, err := BinDir()
	if err != nil {
		t.Fatal(err)
	}

	if _, err := os.Stat(filepath.Join(bin, "microovnd")); err != nil {
		t.Skipf("no microovnd in %s (set %s after `make -s build`): %v", bin, binEnv, err)
	}

	return bin
}

// StartDaemons starts microovnd on every host of hosts and stops the test when one
// does not come up.
func StartDaemons(t testing.TB, hosts ...*testbed.Host) {
	t.Helper()

	for _, h := range hosts {
		if err := h.StartDaemon(); err != nil {
			t.Fatal(err)
		}
	}
}

// DaemonLog returns the file that the test bed sends the output of microovnd on h
// to.
func DaemonLog(h *testbed.Host) string {
	return filepath.Join(h.Root, "logs", "microovnd.log")
}

// DumpLogsOnFailure prints the last tailSize bytes of the daemon log of every host
// of hosts when t has failed. Register it with t.Cleanup after testbed.Start:
// cleanups run last first, so the logs are printed before the bed is removed.
func DumpLogsOnFailure(t testing.TB, hosts []*testbed.Host, tailSize int) {
	if !t.Failed() {
		return
	}

	for _, h := range hosts {
		data, err := os.ReadFile(DaemonLog(h))
		if err != nil {
			continue
		}

		if len(data) > tailSize {
			data = data[len(data)-tailSize:]
		}

		t.Logf("end of microovnd.log of %s:\n%s", h.Name, data)
	}
}
