package daemon

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	mctypes "github.com/canonical/microcluster/v3/microcluster/types"
	"github.com/canonical/microcluster/v3/state"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/microovn/cmdrun"
	"github.com/microovn/microovn/microovn/database"
	"github.com/microovn/microovn/microovn/node"
	"github.com/microovn/microovn/microovn/ovn"
	"github.com/microovn/microovn/microovn/services"
)

// probeTimeout bounds every remote check of `status`, so that it answers quickly
// while a member is down.
const probeTimeout = 1500 * time.Millisecond

// status gathers the deployment's health as seen from this member.
func (d *Daemon) status(ctx context.Context, s state.State) (types.Status, error) {
	var out types.Status
	var members []database.Member
	err := s.Database().Transaction(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		members, err = database.Members(ctx, tx)
		return err
	})
	if err != nil {
		return out, err
	}

	desired, err := d.loadDesired(ctx, s)
	if err != nil {
		return out, err
	}

	out.Members = probeMembers(ctx, members)
	locals := d.gatherLocal(ctx, s, desired, out.Members)

	// A port that accepts connections is not enough: a member counts as online
	// only when its daemon responded, which a process just killed cannot do.
	for i, m := range out.Members {
		if _, ok := locals[m.Name]; !ok {
			out.Members[i].Status = "OFFLINE"
		}
	}
	out.Databases = mergeDatabases(out.Members, locals)
	for _, m := range out.Members {
		if slices.Contains(m.Services, services.Central) {
			out.Northd = append(out.Northd, types.NorthdStatus{Member: m.Name,
				State: northdOf(m.Name, locals)})
		}
	}

	out.Chassis = d.chassisStatus(ctx, desired, out.Members)
	for _, m := range out.Members {
		if m.Status == "ONLINE" {
			out.Warnings = append(out.Warnings, locals[m.Name].Warnings...)
		}
	}
	return out, nil
}

// probeMembers reports each member ONLINE when its cluster port accepts a
// connection within probeTimeout.
func probeMembers(ctx context.Context, members []database.Member) []types.MemberStatus {
	out := make([]types.MemberStatus, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		out[i] = types.MemberStatus{Name: m.Name, Address: hostOf(m.Address), Role: m.Role,
			Services: services.Sort(m.Services), Status: "OFFLINE"}
		wg.Add(1)
		go func() {
			defer wg.Done()
			dialer := net.Dialer{Timeout: probeTimeout}
			conn, err := dialer.DialContext(ctx, "tcp", m.Address)
			if err == nil {
				conn.Close()
				out[i].Status = "ONLINE"
			}
		}()
	}

	wg.Wait()
	return out
}

// gatherLocal requests the LocalStatus of every online member.
func (d *Daemon) gatherLocal(ctx context.Context, s state.State, desired node.Desired,
	members []types.MemberStatus) map[string]types.LocalStatus {
	out := map[string]types.LocalStatus{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, m := range members {
		if m.Status != "ONLINE" {
			continue
		}

		wg.Add(1)
		go func() {
			defer wg.Done()
			local, err := d.fetchLocal(ctx, s, desired, m)
			if err == nil {
				mu.Lock()
				out[m.Name] = local
				mu.Unlock()
			}
		}()
	}

	wg.Wait()
	return out
}

func (d *Daemon) fetchLocal(ctx context.Context, s state.State, desired node.Desired,
	m types.MemberStatus) (types.LocalStatus, error) {
	if m.Name == s.Name() {
		return d.localStatus(ctx, desired), nil
	}

	ctx, cancel := context.WithTimeout(ctx, 2*probeTimeout)
	defer cancel()

	clients, err := s.Connect().Cluster(false)
	if err != nil {
		return types.LocalStatus{}, err
	}

	// Ask the member itself rather than forwarding through another one, so that a
	// down member costs one timeout at most.
	var local types.LocalStatus
	for _, c := range clients {
		u := c.URL()
		if hostOf(u.Host) != m.Address {
			continue
		}

		err = c.Query(ctx, "GET", mctypes.EndpointPrefix(types.PathPrefix),
			&url.URL{Path: "local"}, nil, &local)
		if err != nil {
			return local, fmt.Errorf("ask %s for its status: %w", m.Name, err)
		}

		return local, nil
	}

	return local, fmt.Errorf("no connection to %s", m.Name)
}

func northdOf(member string, locals map[string]types.LocalStatus) string {
	local, ok := locals[member]
	if !ok {
		return "unreachable"
	}

	return local.Northd
}

// mergeDatabases combines the members' own views into one status per database:
// each server's role comes from the member that runs it.
func mergeDatabases(members []types.MemberStatus,
	locals map[string]types.LocalStatus) []types.DatabaseStatus {
	var out []types.DatabaseStatus
	for _, db := range ovn.Databases() {
		status := types.DatabaseStatus{Name: db.Name}
		for _, m := range members {
			local, ok := locals[m.Name]
			if !ok {
				continue
			}

			for _, ld := range local.Databases {
				if ld.Name == db.Name {
					mergeOne(&status, members, m.Name, ld)
				}
			}
		}

		if !status.Reachable && status.Error == "" {
			status.Error = "no central member responded"
		}

		out = append(out, status)
	}

	return out
}

func mergeOne(status *types.DatabaseStatus, members []types.MemberStatus, reporter string,
	ld types.LocalDatabase) {
	if ld.Role == ovn.StatusFailed {
		markFailed(status, reporter, ld.Error)
		return
	}

	if ld.Error != "" || ld.Role == "" {
		return
	}

	status.Reachable = true
	if status.Schema == "" {
		status.Schema = ld.Schema
	}

	if ld.Leader != "" {
		status.Leader = memberOfRaft(members, ld.Leader)
	}

	if len(status.Servers) == 0 {
		for _, srv := range ld.Servers {
			status.Servers = append(status.Servers, types.RaftMember{
				Member: memberOfRaft(members, srv.Address), Address: srv.Address,
				Role: "unreachable"})
		}
	}

	for i := range status.Servers {
		if status.Servers[i].Member == reporter {
			status.Servers[i].Role = ld.Role
		}
	}
}

// memberOfRaft returns the member whose address a Raft address "ssl:HOST:PORT" has.
func memberOfRaft(members []types.MemberStatus, address string) string {
	host := strings.Trim(hostOf(strings.TrimPrefix(address, "ssl:")), "[]")
	for _, m := range members {
		if m.Address == host {
			return m.Name
		}
	}

	return ""
}

// chassisStatus lists the chassis of the Southbound and the members whose chassis
// is missing there.
func (d *Daemon) chassisStatus(ctx context.Context, desired node.Desired,
	members []types.MemberStatus) types.ChassisStatus {
	var out types.ChassisStatus
	tool, err := d.manager.Tools.Path("ovn-sbctl")
	if err != nil || len(desired.Centrals) == 0 {
		out.Error = "no Southbound to ask"
		return out
	}

	cfg := desired.Config(d.layout, d.manager.Datapath)
	l := d.layout
	text, err := cmdrun.Run(ctx, cmdrun.Options{Timeout: 2 * probeTimeout}, tool,
		"--db="+cfg.SBRemote(), "--timeout=2", "--no-leader-only",
		"-p", l.Key("client"), "-c", l.Cert("client"), "-C", l.CACert(),
		"--format=csv", "--no-headings", "--columns=chassis_name,ip", "list", "Encap")
	if err != nil {
		out.Error = err.Error()
		return out
	}

	rows, _ := csv.NewReader(strings.NewReader(text)).ReadAll()
	for _, row := range rows {
		if len(row) == 2 {
			out.Registered = append(out.Registered, types.Chassis{Name: row[0],
				EncapIP: strings.Trim(row[1], `"`)})
		}
	}

	for _, m := range members {
		found := slices.ContainsFunc(out.Registered, func(c types.Chassis) bool {
			return c.Name == m.Name
		})
		if slices.Contains(m.Services, services.Chassis) && !found {
			out.Missing = append(out.Missing, m.Name)
		}
	}

	return out
}

// markFailed records that reporter's server of a database has failed: its role
// reads "failed" and, when it led, the database has no working leader.
func markFailed(status *types.DatabaseStatus, reporter, problem string) {
	if status.Leader == reporter {
		status.Leader = ""
	}

	if status.Error == "" {
		status.Error = problem
	}

	for i := range status.Servers {
		if status.Servers[i].Member == reporter {
			status.Servers[i].Role = ovn.StatusFailed
		}
	}
}
