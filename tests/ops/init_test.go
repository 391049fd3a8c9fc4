package ops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

// promptTimeout bounds the wait for one prompt or message of an interactive init.
const promptTimeout = 30 * time.Second

// openPTY opens a new pseudo-terminal and returns its controller side and its
// terminal side, through the Linux ioctls behind posix_openpt, unlockpt and ptsname.
func openPTY() (*os.File, *os.File, error) {
	controller, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open /dev/ptmx: %w", err)
	}

	var unlock int32
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, controller.Fd(), syscall.TIOCSPTLCK,
		uintptr(unsafe.Pointer(&unlock)))
	if errno != 0 {
		controller.Close()
		return nil, nil, fmt.Errorf("unlock the pseudo-terminal: %w", errno)
	}

	var index uint32
	_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, controller.Fd(), syscall.TIOCGPTN,
		uintptr(unsafe.Pointer(&index)))
	if errno != 0 {
		controller.Close()
		return nil, nil, fmt.Errorf("read the pseudo-terminal number: %w", errno)
	}

	terminal, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", index), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		controller.Close()
		return nil, nil, fmt.Errorf("open the pseudo-terminal: %w", err)
	}

	return controller, terminal, nil
}

// session is `microovn init` running on a pseudo-terminal, as an operator types it.
type session struct {
	t          *testing.T
	host       *testbed.Host
	controller *os.File
	exited     chan error    // receives the exit status of microovn init
	read       chan struct{} // closed once the terminal output is read to its end

	mu     sync.Mutex
	output bytes.Buffer // everything the terminal printed, echoed answers included
	seen   int          // offset in output up to which expect matched
}

// startInit starts `microovn init` on h with a pseudo-terminal as its standard input,
// output and error and as its controlling terminal. The process is killed when the
// test ends.
func startInit(t *testing.T, h *testbed.Host) *session {
	t.Helper()

	bin, err := e2e.BinDir()
	if err != nil {
		t.Fatal(err)
	}

	controller, terminal, err := openPTY()
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	cmd := h.Command(ctx, filepath.Join(bin, "microovn"), "--state-dir", h.StateDir(), "init")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = terminal, terminal, terminal
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}

	if err := cmd.Start(); err != nil {
		cancel()
		controller.Close()
		terminal.Close()
		t.Fatalf("start microovn init on %s: %v", h.Name, err)
	}

	// Only the child keeps the terminal side open, so reading ends when it exits.
	terminal.Close()

	s := &session{t: t, host: h, controller: controller, exited: make(chan error, 1),
		read: make(chan struct{})}
	go s.copyOutput()
	go func() { s.exited <- cmd.Wait() }()

	t.Cleanup(func() {
		cancel()
		controller.Close()
	})

	return s
}

// copyOutput appends the terminal output to s.output until the terminal closes.
func (s *session) copyOutput() {
	defer close(s.read)

	buf := make([]byte, 4096)
	for {
		n, err := s.controller.Read(buf)
		s.mu.Lock()
		s.output.Write(buf[:n])
		s.mu.Unlock()

		if err != nil {
			return
		}
	}
}

// text returns the terminal output so far.
func (s *session) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()

	return s.output.String()
}

// expect waits until the output after the previous match contains want, and stops
// the test when that takes longer than promptTimeout.
func (s *session) expect(want string) {
	s.t.Helper()

	deadline := time.Now().Add(promptTimeout)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		rest := s.output.String()[s.seen:]
		if i := strings.Index(rest, want); i >= 0 {
			s.seen += i + len(want)
			s.mu.Unlock()

			return
		}

		s.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}

	s.t.Fatalf("init on %s did not print %q within %v; output:\n%s", s.host.Name, want,
		promptTimeout, s.text())
}

// answer waits for prompt and types line followed by Enter.
func (s *session) answer(prompt, line string) {
	s.t.Helper()

	s.expect(prompt)
	if _, err := s.controller.Write([]byte(line + "\n")); err != nil {
		s.t.Fatalf("type %q into init on %s: %v", line, s.host.Name, err)
	}
}

// wait waits for microovn init to end and returns all of its output and its exit
// status.
func (s *session) wait() (string, error) {
	s.t.Helper()

	select {
	case err := <-s.exited:
		select {
		case <-s.read:
		case <-time.After(promptTimeout):
		}

		return s.text(), err
	case <-time.After(commandTimeout):
		s.t.Fatalf("init on %s did not end within %v; output:\n%s", s.host.Name,
			commandTimeout, s.text())
	}

	return "", nil
}

// Prompts of the interactive init.
const (
	modePrompt     = "Create a new cluster or join an existing one? (bootstrap/join)"
	namePrompt     = "Name of this member"
	addressPrompt  = "Address for the cluster and the OVN databases"
	servicesPrompt = "Services for this member"
	encapPrompt    = "Custom Geneve encapsulation IP"
	tokenPrompt    = "Join token"
	joinersPrompt  = "Names to print join tokens for"
)

// foreignAddress is on no interface of any host of the bed.
const foreignAddress = "198.18.250.250"

// stateSnapshot returns the path and size of every file under the state and data
// folders of h, so that a comparison shows whether anything was written.
func stateSnapshot(t *testing.T, h *testbed.Host) []string {
	t.Helper()

	var files []string
	for _, dir := range []string{h.StateDir(), filepath.Join(h.Root, "data")} {
		err := filepath.WalkDir(dir, func(path string, entry fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}

			if err != nil {
				return err
			}

			info, err := entry.Info()
			if err != nil {
				return err
			}

			files = append(files, fmt.Sprintf("%s %d", path, info.Size()))

			return nil
		})
		if err != nil {
			t.Fatalf("list the files of %s: %v", h.Name, err)
		}
	}

	return files
}

func TestInitInteractiveAndPreseed(t *testing.T) {
	bed := newBed(t, 3)
	h1, h2, h3 := bed.Hosts[0], bed.Hosts[1], bed.Hosts[2]

	// h1 creates the cluster. The mode and the services take the defaults, and a
	// wrong address and a wrong service list are asked again with the reason.
	first := startInit(t, h1)
	first.answer(modePrompt, "")
	first.answer(namePrompt, h1.Name)
	first.answer(addressPrompt, foreignAddress)
	first.expect("invalid address " + foreignAddress + ": no interface of this host has " +
		"that address")
	first.expect("Please try again.")
	first.answer(addressPrompt, h1.Addr.String())
	first.answer(servicesPrompt, "chassis")
	first.expect("invalid services: chassis needs switch. Please try again.")
	first.answer(servicesPrompt, "")
	first.answer(encapPrompt, h1.EncapAddr.String())
	first.answer(joinersPrompt, h2.Name)

	out, err := first.wait()
	if err != nil {
		t.Fatalf("interactive bootstrap on h1 failed: %v\n%s", err, out)
	}

	token := joinToken(out, h2.Name)
	if token == "" {
		t.Fatalf("interactive bootstrap on h1 printed no join token for h2:\n%s", out)
	}

	runner.SetupUnderlay(t, h1)

	// h2 joins with the printed token. A truncated token is asked again.
	second := startInit(t, h2)
	second.answer(modePrompt, "join")
	second.answer(namePrompt, h2.Name)
	second.answer(addressPrompt, h2.Addr.String())
	second.answer(servicesPrompt, "")
	second.answer(encapPrompt, h2.EncapAddr.String())
	second.answer(tokenPrompt, token[:len(token)/2])
	second.expect("invalid join token: it is truncated")
	second.answer(tokenPrompt, token)

	out, err = second.wait()
	if err != nil {
		t.Fatalf("interactive join on h2 failed: %v\n%s", strings.ReplaceAll(err.Error(),
			token, "TOKEN"), strings.ReplaceAll(out, token, "TOKEN"))
	}

	runner.SetupUnderlay(t, h2)

	e2e.Eventually(t, "h1 and h2 run with the answers given", settleTimeout, func(p e2e.Reporter) {
		status, err := runner.ReadStatus(h1)
		if err != nil {
			p.Errorf("%v", err)
			return
		}

		for _, h := range []*testbed.Host{h1, h2} {
			m := findMember(status, h.Name)
			if m.Status != "ONLINE" || m.Address != h.Addr.String() {
				p.Errorf("status shows %s at %q %q, want ONLINE at %s", h.Name, m.Address,
					m.Status, h.Addr)
			}

			if want := []string{"switch", "central", "chassis"}; !slices.Equal(m.Services, want) {
				p.Errorf("status shows %s with services %v, want %v", h.Name, m.Services,
					want)
			}

			encap, err := readEncapIP(h1, h.Name)
			if err != nil || encap != h.EncapAddr.String() {
				p.Errorf("chassis %s has encap IP %q (%v), want %s", h.Name, encap, err,
					h.EncapAddr)
			}
		}
	})

	t.Run("invalid preseed files", func(t *testing.T) {
		before := stateSnapshot(t, h3)
		address := "address: " + h3.Addr.String() + "\n"
		cases := []struct {
			name, content, reason string
		}{
			{"unknown key", "mode: bootstrap\nname: h3\n" + address + "colour: blue\n",
				"field colour is not a known key"},
			{"bad mode", "mode: create\nname: h3\n" + address,
				`invalid mode "create": use bootstrap or join`},
			{"bad service", "mode: bootstrap\nname: h3\n" + address + "services: [router]\n",
				`invalid service "router": choose from central, chassis, switch`},
			{"chassis without switch", "mode: bootstrap\nname: h3\n" + address +
				"services: [chassis]\n", "invalid services: chassis needs switch"},
			{"join without token", "mode: join\nname: h3\n" + address,
				"missing token: joining needs a token"},
			{"bootstrap with token", "mode: bootstrap\nname: h3\n" + address +
				"token: " + token + "\n", "token given with mode bootstrap"},
			{"not YAML", "mode: [bootstrap\n", "invalid preseed"},
		}

		dir := t.TempDir()
		for _, c := range cases {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
			if err := os.WriteFile(path, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}

			out, err := runner.MicroOVN(h3, "init", "--preseed", path)
			out = strings.ReplaceAll(out, token, "TOKEN")
			if err == nil {
				t.Errorf("preseed with %s succeeded: %q", c.name, out)
				continue
			}

			if !strings.Contains(out, "invalid preseed: ") {
				t.Errorf("preseed with %s printed %q, want \"invalid preseed: \"", c.name, out)
			}

			if !strings.Contains(out, c.reason) {
				t.Errorf("preseed with %s printed %q, want %q", c.name, out, c.reason)
			}
		}

		if after := stateSnapshot(t, h3); !slices.Equal(before, after) {
			t.Errorf("files of h3 changed after rejected preseeds:\nbefore %v\nafter  %v",
				before, after)
		}

		status, err := runner.ReadStatus(h1)
		if err != nil {
			t.Fatal(err)
		}

		if len(status.Members) != 2 {
			t.Errorf("status shows %d members after rejected preseeds, want 2: %+v",
				len(status.Members), status.Members)
		}

		// A correct preseed file afterwards joins h3.
		joinToken := runner.IssueToken(t, h1, h3.Name)
		path := filepath.Join(dir, "join.yaml")
		content := "mode: join\nname: h3\n" + address + "encap_ip: " +
			h3.EncapAddr.String() + "\ntoken: " + joinToken + "\n"
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}

		if _, err := runner.MicroOVN(h3, "init", "--preseed", path); err != nil {
			t.Fatal(strings.ReplaceAll(err.Error(), joinToken, "TOKEN"))
		}

		runner.SetupUnderlay(t, h3)
		e2e.Eventually(t, "h3 joined from its preseed file", settleTimeout, func(p e2e.Reporter) {
			status, err := runner.ReadStatus(h1)
			if err != nil {
				p.Errorf("%v", err)
				return
			}

			if m := findMember(status, h3.Name); m.Status != "ONLINE" {
				p.Errorf("status shows h3 %q, want ONLINE", m.Status)
			}

			encap, err := readEncapIP(h1, h3.Name)
			if err != nil || encap != h3.EncapAddr.String() {
				p.Errorf("chassis h3 has encap IP %q (%v), want %s", encap, err, h3.EncapAddr)
			}
		})
	})
}
