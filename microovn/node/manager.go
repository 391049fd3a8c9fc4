package node

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/microovn/microovn/microovn/envfile"
	"github.com/microovn/microovn/microovn/ovn"
	"github.com/microovn/microovn/microovn/paths"
	"github.com/microovn/microovn/microovn/pki"
	"github.com/microovn/microovn/microovn/services"
)

// Manager applies Desired states to this member's processes. One Manager exists
// per daemon; its lock serialises bootstrap, join, leave and reconcile.
type Manager struct {
	Layout   paths.Layout
	Tools    services.Tools
	Runner   services.Runner
	Datapath string
	Log      *slog.Logger

	// SystemRoot is the root folder under which the distribution's run folder is
	// searched for OVN and Open vSwitch services that MicroOVN must not run beside.
	// An empty value means "/".
	SystemRoot string

	// CertLifetime and RenewWindow are the service certificates' lifetime and how
	// long before expiry they are reissued.
	CertLifetime time.Duration
	RenewWindow  time.Duration

	mu      sync.Mutex
	stopped bool              // guarded by mu: set once the member leaves or shuts down
	chassis map[string]string // guarded by mu: chassis settings last written

	noCentral  bool     // guarded by mu: the missing-central warning was logged
	lastIssued []string // guarded by mu: certificates issued under the current CA
}

// node returns the OVN operations for d.
func (m *Manager) node(d Desired) *ovn.Node {
	return &ovn.Node{Tools: m.Tools, Runner: m.Runner, Config: d.Config(m.Layout, m.Datapath)}
}

// step is one named stage of Reconcile; its name prefixes its errors.
type step struct {
	name string
	run  func(context.Context, Desired) error
}

// Reconcile brings this member's processes to d: certificates issued, wanted
// services running with current arguments, unwanted ones stopped.
func (m *Manager) Reconcile(ctx context.Context, d Desired) error {
	m.mu.Lock()
	defer m.mu.Unlock()

	if m.stopped {
		return nil
	}

	return m.reconcile(ctx, d)
}

func (m *Manager) reconcile(ctx context.Context, d Desired) error {
	steps := []step{
		{"create the node's folders", func(context.Context, Desired) error { return m.Layout.Create() }},
		{"write certificates", m.ensurePKI},
		{"write the env file", m.writeEnv},
		{"start the switch", m.ensureSwitch},
		{"start central", m.ensureCentral},
		{"start the chassis", m.ensureChassis},
		{"stop services this member no longer runs", m.stopUnwanted},
	}
	for _, s := range steps {
		if err := s.run(ctx, d); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}

	local, err := LoadLocal(m.Layout)
	if err != nil {
		return err
	}

	local.Last = d
	return SaveLocal(m.Layout, local)
}

// ensureRunning starts p, or restarts it when it runs with other arguments than
// cfg gives it (ovn-northd after the central members changed).
func (m *Manager) ensureRunning(ctx context.Context, p services.Process, cfg services.Config) error {
	pid := m.Runner.Pid(p, m.Layout)
	if pid != 0 && slices.Equal(services.RunningArgs(pid), p.Args(cfg)) {
		return nil
	}

	if pid != 0 {
		m.Log.Info("Restarting process with new arguments", "process", p.Name, "pid", pid)
		if err := m.Runner.Stop(ctx, p, m.Layout, false); err != nil {
			return err
		}
	} else {
		m.Log.Info("Starting process", "process", p.Name)
	}

	return m.Runner.Start(ctx, p, cfg)
}

// checkSystem refuses to start service while the distribution's own packages
// run it, unless this member already runs it.
func (m *Manager) checkSystem(service string) error {
	if m.anyRunning(service) {
		return nil
	}

	root := m.SystemRoot
	if root == "" {
		root = "/"
	}

	return services.SystemConflict(root, m.Layout.Root, service)
}

func (m *Manager) ensureSwitch(ctx context.Context, d Desired) error {
	if !d.Has(services.Switch) {
		return nil
	}

	if err := m.checkSystem(services.Switch); err != nil {
		return err
	}

	n := m.node(d)
	if err := n.PrepareSwitch(ctx); err != nil {
		return err
	}

	db, _ := services.Lookup(services.ProcSwitchDB)
	wasRunning := m.Runner.Pid(db, m.Layout) != 0
	if err := m.ensureRunning(ctx, db, n.Config); err != nil {
		return err
	}

	if !wasRunning {
		if err := n.InitSwitch(ctx); err != nil {
			return err
		}
	}

	vswitchd, _ := services.Lookup(services.ProcVswitchd)
	return m.ensureRunning(ctx, vswitchd, n.Config)
}

func (m *Manager) ensureCentral(ctx context.Context, d Desired) error {
	if !d.Has(services.Central) {
		return nil
	}

	if err := m.checkSystem(services.Central); err != nil {
		return err
	}

	n := m.node(d)
	for _, db := range ovn.Databases() {
		if err := m.ensureDatabase(ctx, n, d, db); err != nil {
			return err
		}
	}

	northd, _ := services.Lookup(services.ProcNorthd)
	return m.ensureRunning(ctx, northd, n.Config)
}

// ensureDatabase creates or joins db when this member has no file for it yet, runs
// its server, and after a creation or join waits until the server is a member.
func (m *Manager) ensureDatabase(ctx context.Context, n *ovn.Node, d Desired, db ovn.Database) error {
	isNew := !exists(db.File(n.Config))
	if isNew {
		if err := n.Prepare(ctx, db, d.Peers()); err != nil {
			return err
		}
	}

	p, _ := services.Lookup(db.Process)
	if err := m.ensureRunning(ctx, p, n.Config); err != nil {
		return err
	}

	if !isNew {
		return nil
	}

	err := n.WaitMember(ctx, db, 60*time.Second)
	if err != nil {
		// A database that never became a member is removed with its server, so
		// that a later attempt starts the join afresh.
		_ = m.Runner.Stop(ctx, p, m.Layout, true)
		_ = removeFile(db.File(n.Config))
		return err
	}

	m.Log.Info("Database ready", "database", db.Name, "peers", len(d.Peers()))
	return nil
}

func (m *Manager) ensureChassis(ctx context.Context, d Desired) error {
	if !d.Has(services.Chassis) {
		return nil
	}

	if err := m.checkSystem(services.Chassis); err != nil {
		return err
	}

	n := m.node(d)
	if len(n.Config.Centrals) == 0 {
		// A remote left from earlier centrals, such as a deleted ovn.central-ips,
		// would keep the chassis in a Southbound the cluster no longer names.
		if remote := n.ChassisRemote(ctx); remote != "" {
			_, err := n.Vsctl(ctx, "remove", "open_vswitch", ".", "external_ids", "ovn-remote")
			if err != nil {
				return fmt.Errorf("remove the stale ovn-remote %s: %w", remote, err)
			}

			m.chassis = nil
			m.Log.Info("Removed the ovn-remote of the chassis", "old_remote", remote)
		}

		if !m.noCentral {
			m.Log.Warn("No central member to connect the chassis to; ovn-controller waits")
			m.noCentral = true
		}

		return nil
	}

	m.noCentral = false

	want := ovn.ChassisSettings(n.Config)
	controller, _ := services.Lookup(services.ProcController)
	running := m.Runner.Pid(controller, m.Layout) != 0
	if !running || !maps.Equal(want, m.chassis) {
		if err := n.ConfigureChassis(ctx); err != nil {
			return err
		}

		m.chassis = want
	}

	if running {
		return nil
	}

	if err := n.WaitSBGlobal(ctx, 60*time.Second); err != nil {
		return err
	}

	return m.ensureRunning(ctx, controller, n.Config)
}

// stopUnwanted stops the services d does not list, chassis first and switch last.
func (m *Manager) stopUnwanted(ctx context.Context, d Desired) error {
	names := services.Names()
	slices.Reverse(names)
	for _, service := range names {
		if d.Has(service) || !m.anyRunning(service) {
			continue
		}

		if err := m.stopService(ctx, d, service, m.Layout.Backup(stamp())); err != nil {
			return err
		}
	}

	return nil
}

func (m *Manager) anyRunning(service string) bool {
	for _, p := range services.Of(service) {
		if m.Runner.Pid(p, m.Layout) != 0 {
			return true
		}
	}

	return false
}

// stopService stops one service for good: a central member leaves both Raft
// clusters first and moves its database files into backupDir, and the chassis
// deletes its record from the Southbound.
func (m *Manager) stopService(ctx context.Context, d Desired, service, backupDir string) error {
	m.Log.Info("Stopping service", "service", service)
	n := m.node(d)
	if service == services.Central {
		for _, db := range ovn.Databases() {
			if err := n.Leave(ctx, db, 30*time.Second); err != nil {
				m.Log.Warn("Leaving the Raft cluster failed", "database", db.Name, "error", err)
			}
		}
	}

	procs := services.Of(service)
	slices.Reverse(procs)
	for _, p := range procs {
		if err := m.Runner.Stop(ctx, p, m.Layout, true); err != nil {
			return err
		}
	}

	if service == services.Chassis {
		m.chassis = nil
	}

	if service == services.Central {
		return moveInto(backupDir, m.Layout.CentralData())
	}

	return nil
}

// certificateUsers maps each certificate to the process that presents it.
var certificateUsers = map[string]string{
	pki.ServiceNB:         services.ProcNB,
	pki.ServiceSB:         services.ProcSB,
	pki.ServiceNorthd:     services.ProcNorthd,
	pki.ServiceController: services.ProcController,
}

// writeEnv writes ovn.env with the cluster's current database endpoints.
func (m *Manager) writeEnv(ctx context.Context, d Desired) error {
	cfg := d.Config(m.Layout, m.Datapath)
	return envfile.Write(m.Layout.EnvFile(), map[string]string{
		envfile.NBConnect: cfg.NBRemote(),
		envfile.SBConnect: cfg.SBRemote(),
		envfile.LocalIP:   d.Address,
	})
}
