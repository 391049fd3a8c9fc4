package daemon

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/canonical/microcluster/v3/state"

	"github.com/microovn/microovn/microovn/database"
	"github.com/microovn/microovn/microovn/node"
	"github.com/microovn/microovn/microovn/ovn"
	"github.com/microovn/microovn/microovn/services"
)

// loop keeps this member's processes in the state the cluster database records.
// Besides restarting processes that died, it picks up membership changes that
// reached this member without a hook, such as two members joining at once.
func (d *Daemon) loop(ctx context.Context, s state.State) {
	ticker := time.NewTicker(reconcileInterval)
	defer ticker.Stop()

	var kicks kickSchedule
	var lastErr string
	for {
		err := d.pass(ctx, s, &kicks)
		switch {
		case err != nil && err.Error() != lastErr:
			d.log.Error("Reconciling this member's services failed", "error", err)
			lastErr = err.Error()
		case err == nil && lastErr != "":
			d.log.Info("Reconciling this member's services succeeded again")
			lastErr = ""
		}

		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-d.wake:
		}
	}
}

// pass runs one reconcile. While the cluster database is out of reach, a member
// that ran services before keeps running them from its local cache.
func (d *Daemon) pass(ctx context.Context, s state.State, kicks *kickSchedule) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	openCtx, openCancel := context.WithTimeout(ctx, 5*time.Second)
	err := s.Database().IsOpen(openCtx)
	openCancel()
	if err != nil {
		local, lerr := node.LoadLocal(d.layout)
		if lerr != nil || len(local.Last.Services) == 0 {
			return nil
		}

		return d.manager.Reconcile(ctx, local.Last)
	}

	desired, err := d.loadDesired(ctx, s)
	if err != nil {
		return err
	}

	if desired, err = d.finishJoin(ctx, s, desired); err != nil {
		return err
	}

	if desired, err = d.fillCentral(ctx, s, desired); err != nil {
		return err
	}

	if err := d.renewCA(ctx, s, desired); err != nil {
		d.log.Warn("Renewing the cluster CA failed", "error", err)
	}

	if err := d.manager.Reconcile(ctx, desired); err != nil {
		return err
	}

	if kicks.due(desired.Centrals, time.Now()) {
		d.kickDeparted(ctx, desired)
	}

	return nil
}

// kickCheckInterval is how often a central member looks for Raft servers of departed
// members while the set of central members stays the same. Each look runs ovs-appctl
// twice. Run on every pass, that was about a third of the CPU time of an idle central
// member's microovnd, as measured by `make bench`.
const kickCheckInterval = 30 * time.Second

// kickSchedule decides on which passes kickDeparted runs: on the first pass, on the
// first pass after the set of central members changed, and every kickCheckInterval.
type kickSchedule struct {
	centrals []string // sorted central addresses of the latest check
	last     time.Time
}

// due reports whether a check is due for centrals at now, and if so records it.
func (k *kickSchedule) due(centrals []string, now time.Time) bool {
	sorted := slices.Sorted(slices.Values(centrals))
	if !k.last.IsZero() && slices.Equal(sorted, k.centrals) && now.Sub(k.last) < kickCheckInterval {
		return false
	}

	k.centrals = sorted
	k.last = now
	return true
}

// fillCentral gives central to this member after a member removal left fewer than
// three members running it, when this member is the earliest joined of those that
// do not. An operator who disables central chooses the placement, so only a
// removal triggers this.
func (d *Daemon) fillCentral(ctx context.Context, s state.State, desired node.Desired) (
	node.Desired, error) {
	if !d.refill.Swap(false) || desired.Has(services.Central) || len(desired.Services) == 0 {
		return desired, nil
	}

	claimed := false
	err := s.Database().Transaction(ctx, func(ctx context.Context, tx *sql.Tx) error {
		members, err := database.Members(ctx, tx)
		if err != nil {
			return err
		}

		for _, m := range members {
			if slices.Contains(m.Services, services.Central) {
				continue
			}

			if m.Name != s.Name() {
				return nil
			}

			break
		}

		if err := claimCentral(ctx, tx, s.Name()); err != nil {
			return err
		}

		count, err := database.CountService(ctx, tx, services.Central)
		claimed = err == nil && count <= maxCentrals
		return err
	})
	if err != nil || !claimed {
		return desired, err
	}

	updated, err := d.loadDesired(ctx, s)
	if err == nil && updated.Has(services.Central) {
		d.log.Info("Taking over central", "member", s.Name())
	}

	return updated, err
}

// kickDeparted removes from both Raft clusters the servers of members that no
// longer run central, such as a member removed with --force while it was down.
// Only the leader acts, so that one kick is sent. On the way it restarts a
// database server that has failed.
func (d *Daemon) kickDeparted(ctx context.Context, desired node.Desired) {
	if !desired.Has(services.Central) {
		return
	}

	n := &ovn.Node{Tools: d.manager.Tools, Runner: d.manager.Runner,
		Config: desired.Config(d.layout, d.manager.Datapath)}
	for _, db := range ovn.Databases() {
		st, err := n.Status(ctx, db)
		if err == nil && st.Status == ovn.StatusFailed {
			d.restartFailed(ctx, desired, db)
			continue
		}

		if err != nil || st.Role != "leader" {
			continue
		}

		for _, srv := range st.Servers {
			if srv.Self || serverIsCentral(srv.Address, desired.Centrals) {
				continue
			}

			d.log.Info("Removing the Raft server of a departed member", "database", db.Name,
				"server", srv.ID, "address", srv.Address)
			if err := n.Kick(ctx, db, srv.ID); err != nil {
				d.log.Warn("Removing a departed Raft server failed", "error", err)
			}
		}
	}
}

// serverIsCentral reports whether a Raft address "ssl:HOST:PORT" belongs to one
// of the central addresses.
func serverIsCentral(address string, centrals []string) bool {
	hostPort := strings.TrimPrefix(address, "ssl:")
	host := hostOf(hostPort)
	host = strings.Trim(host, "[]")
	return slices.Contains(centrals, host)
}

// restartFailed restarts the server of db after it entered Raft's failure mode,
// as it does on an I/O error such as a full disk. The server stays failed until it
// restarts; it then reads its log again and rejoins its peers.
func (d *Daemon) restartFailed(ctx context.Context, desired node.Desired, db ovn.Database) {
	p, _ := services.Lookup(db.Process)
	d.log.Warn("Restarting a failed database server", "database", db.Name, "process", p.Name)
	if err := d.manager.Runner.Stop(ctx, p, d.layout, false); err != nil {
		d.log.Error("Stopping a failed database server failed", "database", db.Name, "error", err)
		return
	}

	// The next reconcile pass starts it again.
	d.Wake()
}

// finishJoin completes a join that stopped after the member was added but before
// it recorded its services, as when microovnd is killed during `cluster join`. A
// member that ran services before has local settings and is left as it is, even
// with every service disabled.
func (d *Daemon) finishJoin(ctx context.Context, s state.State, desired node.Desired) (
	node.Desired, error) {
	if len(desired.Services) > 0 || node.HasLocal(d.layout) {
		return desired, nil
	}

	d.log.Warn("Completing an interrupted join: recording this member's services",
		"member", s.Name())
	err := s.Database().Transaction(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return claimServices(ctx, tx, s.Name(), nil)
	})
	if err != nil {
		return desired, fmt.Errorf("record the services of an interrupted join: %w", err)
	}

	if err := node.SaveLocal(d.layout, node.Local{}); err != nil {
		return desired, err
	}

	return d.loadDesired(ctx, s)
}
