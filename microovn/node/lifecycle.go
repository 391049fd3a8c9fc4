package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/microovn/microovn/microovn/services"
)

// Leave stops every service of this member for good and moves its OVN data and
// logs into a timestamped backup folder under the root. A central member leaves
// both Raft clusters first and the chassis deletes its Southbound record, so the
// rest of the cluster keeps serving. It is also the undo step of a bootstrap or
// join that failed part-way, so it tolerates any partial state.
func (m *Manager) Leave(ctx context.Context, last Desired) error {
	m.mu.Lock()
	defer m.mu.Unlock()

	m.stopped = true
	backupDir := m.Layout.Backup(stamp())
	var errs []error
	names := services.Names()
	slices.Reverse(names)
	for _, service := range names {
		if !m.anyRunning(service) {
			continue
		}

		if err := m.stopService(ctx, last, service, backupDir); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", service, err))
		}
	}

	if err := m.backupAll(backupDir); err != nil {
		errs = append(errs, err)
	}

	return errors.Join(errs...)
}

// Start lets Reconcile act again and applies d, for a member that bootstraps or
// joins. When that fails, Reconcile stays off until the next Start or Resume, so
// that the reconcile loop does not redo the failed join while microcluster undoes
// it through Leave. Both steps hold the lock, so no reconcile pass runs in between.
func (m *Manager) Start(ctx context.Context, d Desired) error {
	m.mu.Lock()
	defer m.mu.Unlock()

	m.stopped = false
	err := m.reconcile(ctx, d)
	if err != nil {
		m.stopped = true
	}

	return err
}

// Shutdown stops every process of this member, keeping its data and its Raft
// memberships: the next daemon start brings them back.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()

	m.stopped = true
	var errs []error
	procs := services.Table()
	slices.Reverse(procs)
	for _, p := range procs {
		// ovs-vswitchd removes its datapath devices; ovn-controller keeps its chassis.
		cleanup := p.Name == services.ProcVswitchd
		if err := m.Runner.Stop(ctx, p, m.Layout, cleanup); err != nil {
			errs = append(errs, err)
		}
	}

	return errors.Join(errs...)
}

// backupAll moves the member's data and logs into a backup folder and removes its
// run folder.
func (m *Manager) backupAll(dir string) error {
	data := filepath.Join(m.Layout.Root, "data")
	if err := moveInto(dir, data, m.Layout.Logs()); err != nil {
		return err
	}

	if err := os.RemoveAll(filepath.Join(m.Layout.Root, "run")); err != nil {
		return fmt.Errorf("remove the run folder: %w", err)
	}

	return nil
}

// moveInto moves each existing source folder into dir, keeping its path relative
// to the root.
func moveInto(dir string, sources ...string) error {
	for _, src := range sources {
		if !exists(src) {
			continue
		}

		rel, err := filepath.Rel(filepath.Dir(dir), src)
		if err != nil {
			return err
		}

		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return fmt.Errorf("create the backup folder: %w", err)
		}

		if exists(dst) {
			// An earlier step of the same removal moved part of src already, such as
			// the central databases under data/, so merge the rest entry by entry.
			if err := mergeInto(dir, src); err != nil {
				return err
			}

			continue
		}

		if err := os.Rename(src, dst); err != nil {
			return fmt.Errorf("move %s into %s: %w", src, dir, err)
		}
	}

	return nil
}

// mergeInto moves the entries of folder src into dir with moveInto and then removes
// the emptied src.
func mergeInto(dir, src string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("move %s into %s: %w", src, dir, err)
	}

	for _, entry := range entries {
		if err := moveInto(dir, filepath.Join(src, entry.Name())); err != nil {
			return err
		}
	}

	if err := os.Remove(src); err != nil {
		return fmt.Errorf("move %s into %s: %w", src, dir, err)
	}

	return nil
}

func stamp() string { return time.Now().UTC().Format("20060102-150405.000") }

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func removeFile(path string) error {
	err := os.Remove(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}

	return err
}
