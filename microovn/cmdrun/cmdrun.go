// Package cmdrun runs external programs (the OVN and Open vSwitch tools) the one way
// the daemon runs them: with a context, a timeout, a chosen environment, and the
// program's standard error kept in the returned error.
package cmdrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// DefaultTimeout bounds a command whose caller gave no timeout of its own.
const DefaultTimeout = 30 * time.Second

// Error is a command that failed: it could not start, exited non-zero or timed out.
type Error struct {
	Command string
	Stderr  string
	Err     error
}

// Error returns the command, its error and the last line of its standard error.
func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: %v", e.Command, e.Err)
	if e.Stderr != "" {
		msg += ": " + lastLine(e.Stderr)
	}

	return msg
}

// Unwrap returns the underlying error, so errors.Is finds context.DeadlineExceeded.
func (e *Error) Unwrap() error { return e.Err }

// Options tunes one run.
type Options struct {
	Timeout time.Duration // 0 means DefaultTimeout
	Env     []string      // nil inherits the daemon's environment
	Stdin   []byte
}

// Run runs name with args and returns its standard output.
func Run(ctx context.Context, opts Options, name string, args ...string) (string, error) {
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = opts.Env
	if opts.Stdin != nil {
		cmd.Stdin = bytes.NewReader(opts.Stdin)
	}

	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.WaitDelay = 2 * time.Second

	err := cmd.Run()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = fmt.Errorf("timed out after %s: %w", timeout, ctxErr)
		}

		return stdout.String(), &Error{
			Command: describe(name, args),
			Stderr:  strings.TrimSpace(stderr.String()),
			Err:     err,
		}
	}

	return stdout.String(), nil
}

// Retry runs fn until it succeeds, attempts run out or ctx ends, waiting between
// attempts with a backoff that doubles from first up to ceiling.
func Retry(ctx context.Context, attempts int, first, ceiling time.Duration, fn func() error) error {
	var err error
	delay := first
	for i := 0; i < attempts; i++ {
		err = fn()
		if err == nil {
			return nil
		}

		if i == attempts-1 {
			break
		}

		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(delay):
		}

		delay = min(delay*2, ceiling)
	}

	return err
}

func describe(name string, args []string) string {
	line := strings.TrimSpace(name + " " + strings.Join(args, " "))
	if len(line) > 200 {
		line = line[:200] + "..."
	}

	return line
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
