package daemon

import (
	"testing"
	"time"
)

func TestKickScheduleDue(t *testing.T) {
	var k kickSchedule
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	centrals := []string{"198.18.0.2", "198.18.0.1", "198.18.0.3"}

	if !k.due(centrals, start) {
		t.Error("first pass: check not due")
	}

	if k.due(centrals, start.Add(3*time.Second)) {
		t.Error("next pass with the same centrals: check due")
	}

	reordered := []string{"198.18.0.1", "198.18.0.2", "198.18.0.3"}
	if k.due(reordered, start.Add(6*time.Second)) {
		t.Error("same centrals in another order: check due")
	}

	if !k.due(centrals[:2], start.Add(9*time.Second)) {
		t.Error("a central member left: check not due")
	}

	if k.due(centrals[:2], start.Add(12*time.Second)) {
		t.Error("pass after the checked change: check due")
	}

	if !k.due(centrals[:2], start.Add(9*time.Second+kickCheckInterval)) {
		t.Errorf("%v after the last check: check not due", kickCheckInterval)
	}
}
