package e2e

import (
	"fmt"
	"testing"
	"time"
)

// PollInterval is the pause between two attempts of Eventually and WaitFor.
const PollInterval = 500 * time.Millisecond

// Reporter takes the failed conditions of a check: *testing.T, or one attempt
// inside Eventually.
type Reporter interface {
	Errorf(format string, args ...any)
}

// attempt collects the failed conditions of one try of Eventually.
type attempt struct {
	failures []string
}

// Errorf records one failed condition.
func (a *attempt) Errorf(format string, args ...any) {
	a.failures = append(a.failures, fmt.Sprintf(format, args...))
}

// poll runs try every PollInterval until it returns true or timeout has passed
// since the first try, and reports whether try returned true. The last try starts
// at or after the deadline.
func poll(timeout time.Duration, try func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if try() {
			return true
		}

		if time.Now().After(deadline) {
			return false
		}

		time.Sleep(PollInterval)
	}
}

// Eventually runs check every PollInterval until it reports no failure, for at most
// timeout. When time runs out, every failure of the last try becomes a test error
// and the test stops.
func Eventually(t *testing.T, condition string, timeout time.Duration,
	check func(r Reporter),
) {
	t.Helper()

	start := time.Now()

	var last *attempt
	done := poll(timeout, func() bool {
		last = &attempt{}
		check(last)

		return len(last.failures) == 0
	})
	if done {
		t.Logf("%s: done after %.1f s", condition, time.Since(start).Seconds())
		return
	}

	for _, failure := range last.failures {
		t.Errorf("%s: not yet after %v: %s", condition, timeout, failure)
	}

	t.FailNow()
}

// WaitFor runs check every PollInterval until it returns true, and stops the test
// with the last reason that check returned when that takes longer than timeout.
func WaitFor(t *testing.T, condition string, timeout time.Duration,
	check func() (bool, string),
) {
	t.Helper()

	var reason string
	done := poll(timeout, func() bool {
		var ok bool
		ok, reason = check()

		return ok
	})
	if !done {
		t.Fatalf("%s: not true after %v: %s", condition, timeout, reason)
	}
}
