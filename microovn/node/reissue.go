package node

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/microovn/microovn/microovn/pki"
)

// ErrStopped means this member's services are stopped: it left the cluster or
// shut down, so it applies no change until its daemon starts again.
var ErrStopped = errors.New("this member's services are stopped")

// ErrNotEnabled means a certificate was asked for a service this member does not run.
var ErrNotEnabled = errors.New("service not enabled on this member")

// Reissue issues anew the certificates in names (all of this member's when names
// is empty) and restarts the processes presenting them. It returns the names it
// issued and, per name, what failed.
func (m *Manager) Reissue(ctx context.Context, d Desired, names []string) (
	[]string, map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()

	if len(names) == 0 {
		names = d.Certificates()
	}

	for _, name := range names {
		if !slices.Contains(d.Certificates(), name) {
			return nil, nil, fmt.Errorf("certificate %q: %w; this member's certificates "+
				"are %v", name, ErrNotEnabled, d.Certificates())
		}
	}

	ca, err := pki.LoadCA([]byte(d.CACert), []byte(d.CAKey))
	if err != nil {
		return nil, nil, fmt.Errorf("load the cluster CA: %w", err)
	}

	failed := map[string]string{}
	var issued []string
	for _, name := range names {
		done, err := m.IssueCertificates(ca, d, []string{name}, true)
		issued = append(issued, done...)
		if err != nil {
			failed[name] = err.Error()
		}
	}

	if err := m.restartUsers(ctx, d, issued); err != nil {
		return issued, failed, fmt.Errorf("restart processes for their new certificates: %w", err)
	}

	return issued, failed, nil
}

// Refresh runs one reconcile now, so that a CA change reaches this member's
// processes at once, and returns the certificates issued under the current CA,
// also those that the reconcile loop issued before this call.
func (m *Manager) Refresh(ctx context.Context, d Desired) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()

	if m.stopped {
		return nil, ErrStopped
	}

	err := m.reconcile(ctx, d)
	return slices.Clone(m.lastIssued), err
}
