package daemon

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/canonical/microcluster/v3/state"

	"github.com/microovn/microovn/microovn/database"
	"github.com/microovn/microovn/microovn/node"
	"github.com/microovn/microovn/microovn/services"
)

// maxCentrals is how many members run central when the operator does not choose:
// three Raft servers survive the loss of one.
const maxCentrals = 3

// hostOf returns the IP part of a microcluster member address "ip:port".
func hostOf(address string) string {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return address
	}

	return host
}

// centralAddresses returns the addresses of the members running central, or the
// operator's external central addresses when ovn.central-ips is set.
func centralAddresses(members []database.Member, centralIPs string) []string {
	if centralIPs != "" {
		return splitList(centralIPs)
	}

	var out []string
	for _, m := range members {
		if slices.Contains(m.Services, services.Central) {
			out = append(out, hostOf(m.Address))
		}
	}

	return out
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}

	return out
}

// loadDesired reads what this member should run from the cluster database.
func (d *Daemon) loadDesired(ctx context.Context, s state.State) (node.Desired, error) {
	var desired node.Desired
	err := s.Database().Transaction(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		desired, err = desiredFromTx(ctx, tx, s.Name())
		return err
	})
	if err != nil {
		return desired, err
	}

	local, err := node.LoadLocal(d.layout)
	if err != nil {
		return desired, err
	}

	desired.EncapIP = local.EncapIP
	if desired.EncapIP == "" {
		desired.EncapIP = desired.Address
	}

	return desired, nil
}

func desiredFromTx(ctx context.Context, tx *sql.Tx, name string) (node.Desired, error) {
	desired := node.Desired{Member: name}
	members, err := database.Members(ctx, tx)
	if err != nil {
		return desired, err
	}

	centralIPs, err := optionalConfig(ctx, tx, database.KeyCentralIPs)
	if err != nil {
		return desired, err
	}

	desired.Centrals = centralAddresses(members, centralIPs)
	for _, m := range members {
		if m.Name == name {
			desired.Address = hostOf(m.Address)
			desired.Services = services.Sort(m.Services)
		}
	}

	if desired.Address == "" {
		return desired, fmt.Errorf("member %q: %w", name, database.ErrNotFound)
	}

	desired.CACert, err = optionalConfig(ctx, tx, database.KeyCACert)
	if err != nil {
		return desired, err
	}

	desired.CAKey, err = optionalConfig(ctx, tx, database.KeyCAKey)
	return desired, err
}

// optionalConfig returns the value of key, or "" when it is not set.
func optionalConfig(ctx context.Context, tx *sql.Tx, key string) (string, error) {
	value, err := database.GetConfig(ctx, tx, key)
	if errors.Is(err, database.ErrNotFound) {
		return "", nil
	}

	return value, err
}

// claimServices records the services of a new member: those the operator asked
// for, or by default the switch and the chassis always and central while fewer
// than three members run it and no external central is configured. It runs in
// one transaction, so members joining at the same moment cannot both take the
// third central place.
func claimServices(ctx context.Context, tx *sql.Tx, name string, requested []string) error {
	if len(requested) > 0 {
		for _, service := range services.Sort(requested) {
			if err := database.AddService(ctx, tx, name, service); err != nil {
				return err
			}
		}

		return nil
	}

	for _, service := range []string{services.Switch, services.Chassis} {
		if err := database.AddService(ctx, tx, name, service); err != nil {
			return err
		}
	}

	return claimCentral(ctx, tx, name)
}

// requestedServices reads the services an operator chose at bootstrap or join.
func requestedServices(initConfig map[string]string) ([]string, error) {
	list := splitList(initConfig[InitServices])
	for _, s := range list {
		if err := services.Validate(s); err != nil {
			return nil, err
		}
	}

	return list, nil
}

// claimCentral records central on member name when the cluster has room for it.
func claimCentral(ctx context.Context, tx *sql.Tx, name string) error {
	external, err := optionalConfig(ctx, tx, database.KeyCentralIPs)
	if err != nil || external != "" {
		return err
	}

	count, err := database.CountService(ctx, tx, services.Central)
	if err != nil || count >= maxCentrals {
		return err
	}

	return database.AddService(ctx, tx, name, services.Central)
}
