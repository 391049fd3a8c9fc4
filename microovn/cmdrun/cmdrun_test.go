package cmdrun

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestRunReturnsStdout(t *testing.T) {
	out, err := Run(context.Background(), Options{}, "sh", "-c", "echo out; echo noise >&2")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	if out != "out\n" {
		t.Errorf("Run output = %q, want %q", out, "out\n")
	}
}

func TestRunEnvAndStdin(t *testing.T) {
	opts := Options{Env: []string{"GREETING=hello"}, Stdin: []byte("from stdin")}
	out, err := Run(context.Background(), opts, "sh", "-c", `printf '%s ' "$GREETING"; cat`)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	if out != "hello from stdin" {
		t.Errorf("Run output = %q, want %q", out, "hello from stdin")
	}
}

func TestRunNonZeroExit(t *testing.T) {
	// The messages come from the environment, so the command line does not contain them.
	opts := Options{Env: []string{"FIRST=first problem", "LAST=ovn-sbctl: no such table"}}
	script := `echo partial; echo "$FIRST" >&2; echo "$LAST" >&2; exit 3`
	out, err := Run(context.Background(), opts, "sh", "-c", script)
	if err == nil {
		t.Fatalf("Run of a failing command succeeded")
	}

	if out != "partial\n" {
		t.Errorf("Run output = %q, want the output before the failure %q", out, "partial\n")
	}

	var runErr *Error
	if !errors.As(err, &runErr) {
		t.Fatalf("Run error %T is not *Error", err)
	}

	if runErr.Stderr != "first problem\novn-sbctl: no such table" {
		t.Errorf("Stderr = %q, want both lines", runErr.Stderr)
	}

	msg := err.Error()
	if !strings.HasSuffix(msg, ": ovn-sbctl: no such table") {
		t.Errorf("error %q does not end with the last line of stderr", msg)
	}

	if strings.Contains(msg, "first problem") {
		t.Errorf("error %q contains an earlier stderr line", msg)
	}

	if !strings.HasPrefix(msg, "sh -c ") {
		t.Errorf("error %q does not start with the command", msg)
	}

	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("error %v does not wrap *exec.ExitError", err)
	}

	if code := exitErr.ExitCode(); code != 3 {
		t.Errorf("exit code = %d, want 3", code)
	}
}

func TestRunTimeout(t *testing.T) {
	start := time.Now()
	_, err := Run(context.Background(), Options{Timeout: 100 * time.Millisecond}, "sleep", "10")
	elapsed := time.Since(start)

	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run error = %v, want one wrapping context.DeadlineExceeded", err)
	}

	if !strings.Contains(err.Error(), "timed out after 100ms") {
		t.Errorf("error %q does not state the timeout", err)
	}

	if elapsed > 5*time.Second {
		t.Errorf("Run returned after %s, want soon after the 100ms timeout", elapsed)
	}
}

func TestRunCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := Run(ctx, Options{}, "sleep", "10")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a canceled context = %v, want context.Canceled", err)
	}
}

func TestRunMissingProgram(t *testing.T) {
	_, err := Run(context.Background(), Options{}, "/nonexistent/ovn-nbctl", "show")
	if err == nil {
		t.Fatalf("Run of a missing program succeeded")
	}

	if !strings.Contains(err.Error(), "/nonexistent/ovn-nbctl show") {
		t.Errorf("error %q does not name the command", err)
	}
}

func TestErrorShortensLongCommand(t *testing.T) {
	long := strings.Repeat("x", 300)
	_, err := Run(context.Background(), Options{}, "false", long)

	var runErr *Error
	if !errors.As(err, &runErr) {
		t.Fatalf("Run error %v is not *Error", err)
	}

	if len(runErr.Command) != 203 {
		t.Errorf("Command has %d characters, want 200 and an ellipsis", len(runErr.Command))
	}

	if !strings.HasSuffix(runErr.Command, "...") {
		t.Errorf("Command %q does not end with an ellipsis", runErr.Command)
	}
}

func TestRetryStopsOnSuccess(t *testing.T) {
	calls := 0
	err := Retry(context.Background(), 5, time.Millisecond, 2*time.Millisecond, func() error {
		calls++
		if calls < 3 {
			return fmt.Errorf("attempt %d failed", calls)
		}

		return nil
	})
	if err != nil {
		t.Errorf("Retry = %v, want nil after the third attempt", err)
	}

	if calls != 3 {
		t.Errorf("Retry called fn %d times, want 3", calls)
	}
}

func TestRetryHonoursAttempts(t *testing.T) {
	for _, attempts := range []int{1, 4} {
		calls := 0
		err := Retry(context.Background(), attempts, time.Millisecond, 2*time.Millisecond,
			func() error {
				calls++
				return fmt.Errorf("attempt %d failed", calls)
			})

		if calls != attempts {
			t.Errorf("Retry(%d attempts) called fn %d times", attempts, calls)
		}

		want := fmt.Sprintf("attempt %d failed", attempts)
		if err == nil || err.Error() != want {
			t.Errorf("Retry(%d attempts) = %v, want the last error %q", attempts, err, want)
		}
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	errFailed := errors.New("failed")
	err := Retry(ctx, 10, time.Hour, time.Hour, func() error {
		calls++
		cancel()
		return errFailed
	})

	if calls != 1 {
		t.Errorf("Retry called fn %d times after the context ended, want 1", calls)
	}

	if !errors.Is(err, context.Canceled) {
		t.Errorf("Retry = %v, want it to wrap context.Canceled", err)
	}

	if !errors.Is(err, errFailed) {
		t.Errorf("Retry = %v, want it to wrap the last error of fn", err)
	}
}

func TestRetryNoWaitAfterLastAttempt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	start := time.Now()
	errFailed := errors.New("failed")
	err := Retry(ctx, 1, time.Hour, time.Hour, func() error { return errFailed })

	if !errors.Is(err, errFailed) {
		t.Errorf("Retry = %v, want the error of fn", err)
	}

	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Retry = %v: it waited after the last attempt until the context ended", err)
	}

	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("Retry with one attempt took %s, want no wait", elapsed)
	}
}
