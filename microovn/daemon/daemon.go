// Package daemon wires MicroOVN into microcluster: the lifecycle hooks that
// bootstrap, join and remove members, the loop that keeps this member's OVN
// processes where the cluster database wants them, and the REST API.
package daemon

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/canonical/microcluster/v3/microcluster/types"
	"github.com/canonical/microcluster/v3/state"

	"github.com/microovn/microovn/microovn/database"
	"github.com/microovn/microovn/microovn/node"
	"github.com/microovn/microovn/microovn/paths"
	"github.com/microovn/microovn/microovn/pki"
)

// Init config keys passed by `cluster bootstrap` and `cluster join`.
const (
	InitEncapIP  = "encap-ip"
	InitServices = "services" // comma-separated; empty means automatic placement
)

// reconcileInterval is how often the loop checks this member's processes; a
// killed process comes back within about this long.
const reconcileInterval = 3 * time.Second

// Daemon is the MicroOVN part of one microovnd process.
type Daemon struct {
	layout  paths.Layout
	manager *node.Manager
	log     *slog.Logger

	// CALifetime is the lifetime of a CA made by this member.
	CALifetime time.Duration

	wake     chan struct{} // requests an immediate pass of the loop
	refill   atomic.Bool   // set by a member removal: central may need a new home
	shutdown func()        // ends the daemon process; set by the command

	mu    sync.Mutex // guards state
	state state.State
}

// New returns a Daemon for the node at layout.
func New(layout paths.Layout, manager *node.Manager, log *slog.Logger) *Daemon {
	return &Daemon{layout: layout, manager: manager, log: log,
		wake: make(chan struct{}, 1), CALifetime: pki.DefaultCALifetime}
}

// SetShutdown sets the function that ends the daemon after a node shutdown.
func (d *Daemon) SetShutdown(fn func()) { d.shutdown = fn }

// Hooks returns the microcluster hooks of MicroOVN.
func (d *Daemon) Hooks() *state.Hooks {
	return &state.Hooks{
		PreInit:       d.preInit,
		PostBootstrap: d.postBootstrap,
		PreJoin:       d.preJoin,
		PreRemove:     d.preRemove,
		PostRemove:    d.postRemove,
		OnNewMember:   d.onNewMember,
		OnStart:       d.onStart,
	}
}

// Wake requests a pass of the reconcile loop now.
func (d *Daemon) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *Daemon) preInit(ctx context.Context, s state.State, bootstrap bool,
	initConfig map[string]string) error {
	if err := checkLocalAddress(hostOf(s.Address().Host)); err != nil {
		return err
	}

	if ip := initConfig[InitEncapIP]; ip != "" && net.ParseIP(ip) == nil {
		return fmt.Errorf("invalid encapsulation IP %q: give an IPv4 or IPv6 address", ip)
	}

	return nil
}

func (d *Daemon) postBootstrap(ctx context.Context, s state.State,
	initConfig map[string]string) error {
	requested, err := requestedServices(initConfig)
	if err != nil {
		return err
	}

	err = s.Database().Transaction(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := claimServices(ctx, tx, s.Name(), requested); err != nil {
			return err
		}

		return d.storeNewCA(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("record the new cluster: %w", err)
	}

	return d.initMember(ctx, s, initConfig, "bootstrap")
}

func (d *Daemon) preJoin(ctx context.Context, s state.State, initConfig map[string]string) error {
	requested, err := requestedServices(initConfig)
	if err != nil {
		return err
	}

	err = s.Database().Transaction(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return claimServices(ctx, tx, s.Name(), requested)
	})
	if err != nil {
		return fmt.Errorf("record this member's services: %w", err)
	}

	return d.initMember(ctx, s, initConfig, "join")
}

// initMember saves the member's local settings and brings its services up.
func (d *Daemon) initMember(ctx context.Context, s state.State, initConfig map[string]string,
	action string) error {
	if err := node.SaveLocal(d.layout, node.Local{EncapIP: initConfig[InitEncapIP]}); err != nil {
		return err
	}

	desired, err := d.loadDesired(ctx, s)
	if err != nil {
		return err
	}

	err = d.manager.Start(ctx, desired)
	d.log.Info("Cluster membership change", "action", action, "member", s.Name(),
		"services", desired.Services, "success", err == nil, "security", true)
	return err
}

func (d *Daemon) storeNewCA(ctx context.Context, tx *sql.Tx) error {
	ca, err := pki.NewCA(d.CALifetime)
	if err != nil {
		return fmt.Errorf("create the OVN CA: %w", err)
	}

	if err := database.SetConfig(ctx, tx, database.KeyCACert, string(ca.CertPEM)); err != nil {
		return err
	}

	return database.SetConfig(ctx, tx, database.KeyCAKey, string(ca.KeyPEM))
}

func (d *Daemon) preRemove(ctx context.Context, s state.State, force bool) error {
	local, err := node.LoadLocal(d.layout)
	if err != nil {
		d.log.Warn("Reading local settings failed", "error", err)
	}

	last := local.Last
	if desired, err := d.loadDesired(ctx, s); err == nil {
		last = desired
	}

	err = d.manager.Leave(ctx, last)
	d.log.Info("Cluster membership change", "action", "leave", "member", s.Name(),
		"force", force, "success", err == nil, "security", true)
	if err != nil && force {
		d.log.Warn("Leaving the cluster left errors behind", "error", err)
		return nil
	}

	return err
}

func (d *Daemon) postRemove(ctx context.Context, s state.State, force bool) error {
	d.refill.Store(true)
	d.Wake()
	return nil
}

func (d *Daemon) onNewMember(ctx context.Context, s state.State,
	member types.ClusterMemberLocal) error {
	d.Wake()
	return nil
}

func (d *Daemon) onStart(ctx context.Context, s state.State) error {
	d.mu.Lock()
	d.state = s
	d.mu.Unlock()

	// Before a bootstrap or join the name is only the host name's default.
	member := s.Name()
	if !node.HasLocal(d.layout) {
		member = "(not a cluster member yet)"
	}

	d.log.Info("Daemon started", "member", member, "security", true)
	go d.loop(ctx, s)
	return nil
}
