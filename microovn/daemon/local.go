package daemon

import (
	"context"
	"strings"
	"time"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/microovn/cmdrun"
	"github.com/microovn/microovn/microovn/node"
	"github.com/microovn/microovn/microovn/ovn"
	"github.com/microovn/microovn/microovn/services"
)

// localStatus reads the state of this member's central processes.
func (d *Daemon) localStatus(ctx context.Context, desired node.Desired) types.LocalStatus {
	out := types.LocalStatus{Member: desired.Member, Warnings: d.certificateWarnings(desired)}
	if !desired.Has(services.Central) {
		return out
	}

	n := &ovn.Node{Tools: d.manager.Tools, Runner: d.manager.Runner,
		Config: desired.Config(d.layout, d.manager.Datapath)}
	for _, db := range ovn.Databases() {
		out.Databases = append(out.Databases, d.localDatabase(ctx, n, db))
	}

	out.Northd = d.northdState(ctx)
	return out
}

func (d *Daemon) localDatabase(ctx context.Context, n *ovn.Node, db ovn.Database) types.LocalDatabase {
	ld := types.LocalDatabase{Name: db.Name}
	p, _ := services.Lookup(db.Process)
	ld.Running = d.manager.Runner.Pid(p, d.layout) != 0
	if !ld.Running {
		ld.Error = db.Process + " is not running"
		return ld
	}

	st, err := n.Status(ctx, db)
	if err != nil {
		ld.Error = err.Error()
		return ld
	}

	ld.Role = st.Role
	if st.Status == ovn.StatusFailed {
		// A failed server keeps its last role but serves nothing.
		ld.Role = ovn.StatusFailed
		ld.Error = db.Name + " has failed (see " + p.LogFile(d.layout) + "); microovnd restarts it"
	}
	for _, srv := range st.Servers {
		role := "follower"
		if srv.ID == st.Leader || (st.Leader == "self" && srv.Self) {
			role = "leader"
			ld.Leader = srv.Address
		}

		ld.Servers = append(ld.Servers, types.RaftMember{Address: srv.Address, Role: role})
	}

	ld.Schema = d.schemaVersion(ctx, p, db)
	return ld
}

// schemaVersion returns the schema version served by the local database server.
func (d *Daemon) schemaVersion(ctx context.Context, p services.Process, db ovn.Database) string {
	tool, err := d.manager.Tools.Path("ovsdb-client")
	if err != nil {
		return ""
	}

	out, err := cmdrun.Run(ctx, cmdrun.Options{Timeout: 3 * time.Second}, tool,
		"--timeout=2", "get-schema-version", "unix:"+p.Socket(d.layout), db.Name)
	if err != nil {
		return ""
	}

	return strings.TrimSpace(out)
}

// northdState returns "active", "standby" or "paused" from ovn-northd, or "down".
func (d *Daemon) northdState(ctx context.Context) string {
	p, _ := services.Lookup(services.ProcNorthd)
	pid := d.manager.Runner.Pid(p, d.layout)
	if pid == 0 {
		return "down"
	}

	tool, err := d.manager.Tools.Path("ovs-appctl")
	if err != nil {
		return "down"
	}

	out, err := cmdrun.Run(ctx, cmdrun.Options{Timeout: 3 * time.Second}, tool,
		"-t", p.Control(d.layout, pid), "--timeout=2", "status")
	if err != nil {
		return "down"
	}

	_, state, _ := strings.Cut(strings.TrimSpace(out), ":")
	return strings.TrimSpace(state)
}
