package single

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

// TestFullDiskRecovers fills the file system of a node's root until the Northbound
// fails a write, then frees it: the data written before is kept, status reports the
// failed database meanwhile, and microovnd brings the database back by itself.
func TestFullDiskRecovers(t *testing.T) {
	bin := binDir(t)
	// Unix socket paths under the bed are limited in length, hence a short folder.
	parent, err := os.MkdirTemp("", "mofull")
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() { _ = os.Remove(parent) })
	// 40 MiB holds a node's files with room to spare, and fills in a moment.
	if err = syscall.Mount("tmpfs", parent, "tmpfs", 0, "size=40m"); err != nil {
		t.Skipf("cannot mount a tmpfs for the node's root: %v", err)
	}

	// Registered before the bed, so it runs after the bed's own cleanup.
	t.Cleanup(func() {
		if err := syscall.Unmount(parent, 0); err != nil {
			t.Errorf("unmount %s: %v", parent, err)
		}
	})

	bed := testbed.Start(t, testbed.Options{Hosts: 1, Bin: bin, Parent: parent})
	n := &node{t: t, bed: bed, h: bed.Hosts[0], bin: bin}
	t.Cleanup(func() { e2e.DumpLogsOnFailure(t, bed.Hosts, logTailSize) })
	e2e.StartDaemons(t, n.h)
	n.bootstrap()
	e2e.WaitFor(t, "healthy after bootstrap", 30*time.Second, n.healthy)
	runner.MustTool(t, n.h, "ovn-nbctl", "ls-add", "before-full")

	// Each try fills whatever space other processes freed since the last one, and
	// writes a new logical switch, since a write can still fit in a half-used block.
	filler := filepath.Join(parent, "filler")
	try := 0
	e2e.WaitFor(t, "a Northbound write fails on the full disk", 60*time.Second,
		func() (bool, string) {
			try++
			fill(t, fmt.Sprintf("%s-%d", filler, try))
			out, err := runner.Tool(n.h, "ovn-nbctl", "--timeout=5", "ls-add",
				fmt.Sprintf("during-full-%d", try))
			return err != nil, out
		})
	e2e.WaitFor(t, "status reports the failed Northbound", 30*time.Second,
		func() (bool, string) {
			out, err := runner.MicroOVN(n.h, "status")
			return err == nil && strings.Contains(out, "OVN_Northbound has failed"), out
		})

	for i := 1; i <= try; i++ {
		if err := os.Remove(fmt.Sprintf("%s-%d", filler, i)); err != nil {
			t.Fatalf("free the disk: %v", err)
		}
	}

	// The periodic Raft check restarts a failed server within about 30 s.
	e2e.WaitFor(t, "Northbound writable again", 90*time.Second, func() (bool, string) {
		out, err := runner.Tool(n.h, "ovn-nbctl", "--timeout=5", "--may-exist",
			"ls-add", "after-full")
		return err == nil, out
	})

	list := runner.MustTool(t, n.h, "ovn-nbctl", "ls-list")
	for _, name := range []string{"before-full", "after-full"} {
		if !strings.Contains(list, "("+name+")") {
			t.Errorf("ls-list after the recovery lacks %s:\n%s", name, list)
		}
	}

	e2e.WaitFor(t, "healthy after the recovery", 60*time.Second, n.healthy)

	data, err := os.ReadFile(e2e.DaemonLog(n.h))
	if err != nil {
		t.Fatal(err)
	}

	if !strings.Contains(string(data), "Restarting a failed database server") {
		t.Errorf("the daemon log does not record restarting the failed Northbound server")
	}
}

// fill writes zeros to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()

	out, err := exec.Command("dd", "if=/dev/zero", "of="+path, "bs=1M").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "No space left") {
		t.Fatalf("dd did not fill the disk: %v\n%s", err, out)
	}
}
