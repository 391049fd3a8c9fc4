package daemon

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/canonical/microcluster/v3/microcluster/rest/response"
	"github.com/canonical/microcluster/v3/state"
	"github.com/gorilla/mux"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/microovn/database"
	"github.com/microovn/microovn/microovn/services"
)

// Errors of service changes that callers and the API tell apart.
var (
	ErrLastCentral = errors.New("this is the last central member")
	ErrDependency  = errors.New("service dependency")
)

// serviceChange is an enable or a disable of one service on this member.
type serviceChange struct {
	service string
	enable  bool
	force   bool // allow disabling the last central
}

// putService enables a service on this member (or the ?target= member).
func (d *Daemon) putService(s state.State, r *http.Request) response.Response {
	return d.changeService(s, r, true)
}

// deleteService disables a service on this member (or the ?target= member).
func (d *Daemon) deleteService(s state.State, r *http.Request) response.Response {
	return d.changeService(s, r, false)
}

func (d *Daemon) changeService(s state.State, r *http.Request, enable bool) response.Response {
	change := serviceChange{service: mux.Vars(r)["service"], enable: enable}
	if err := services.Validate(change.service); err != nil {
		return response.BadRequest(err)
	}

	if !enable && r.ContentLength != 0 {
		var req types.ServiceRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return response.BadRequest(fmt.Errorf("invalid request body: %w", err))
		}

		change.force = req.AllowDisableLastCentral
	}

	result, err := d.applyServiceChange(r.Context(), s, change)
	d.log.Info("Service change", "member", s.Name(), "service", change.service,
		"enable", enable, "changed", result.Changed, "success", err == nil, "security", true)
	switch {
	case errors.Is(err, ErrLastCentral), errors.Is(err, ErrDependency):
		return response.BadRequest(err)
	case err != nil:
		return response.SmartError(err)
	}

	if result.Changed {
		go d.refreshAll(context.WithoutCancel(r.Context()), s)
	}

	return response.SyncResponse(true, result)
}

// applyServiceChange records the change and brings this member's processes in line.
func (d *Daemon) applyServiceChange(ctx context.Context, s state.State, change serviceChange) (
	types.ServiceResult, error) {
	var result types.ServiceResult
	var centrals int
	err := s.Database().Transaction(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		result, centrals, err = recordServiceChange(ctx, tx, s.Name(), change)
		return err
	})
	if err != nil || !result.Changed {
		return result, err
	}

	desired, err := d.loadDesired(ctx, s)
	if err != nil {
		return result, err
	}

	if err := d.manager.Reconcile(ctx, desired); err != nil {
		return result, fmt.Errorf("apply the change on %s: %w", s.Name(), err)
	}

	if change.service == services.Central {
		result.Warnings = centralWarnings(centrals)
	}

	return result, nil
}

// recordServiceChange updates the services table and returns the result and how
// many members run central afterwards.
func recordServiceChange(ctx context.Context, tx *sql.Tx, member string, change serviceChange) (
	types.ServiceResult, int, error) {
	var result types.ServiceResult
	members, err := database.Members(ctx, tx)
	if err != nil {
		return result, 0, err
	}

	var mine []string
	centrals := 0
	for _, m := range members {
		if m.Name == member {
			mine = m.Services
		}

		if slices.Contains(m.Services, services.Central) {
			centrals++
		}
	}

	has := slices.Contains(mine, change.service)
	verb := map[bool]string{true: "enabled", false: "disabled"}[change.enable]
	if has == change.enable {
		result.Message = fmt.Sprintf("Service %s is already %s on %s: nothing to do",
			change.service, verb, member)
		return result, centrals, nil
	}

	if err := checkServiceChange(change, mine, centrals); err != nil {
		return result, centrals, err
	}

	if change.enable {
		err = database.AddService(ctx, tx, member, change.service)
		centrals += boolInt(change.service == services.Central)
	} else {
		err = database.RemoveService(ctx, tx, member, change.service)
		centrals -= boolInt(change.service == services.Central)
	}

	result.Changed = err == nil
	result.Message = fmt.Sprintf("Service %s %s on %s", change.service, verb, member)
	return result, centrals, err
}

// checkServiceChange refuses changes that would break the member or the cluster.
func checkServiceChange(change serviceChange, mine []string, centrals int) error {
	switch {
	case change.enable && change.service == services.Chassis &&
		!slices.Contains(mine, services.Switch):
		return fmt.Errorf("%w: the chassis needs the switch: enable switch first", ErrDependency)
	case !change.enable && change.service == services.Switch &&
		slices.Contains(mine, services.Chassis):
		return fmt.Errorf("%w: the chassis runs on the switch: disable chassis first", ErrDependency)
	case !change.enable && change.service == services.Central && centrals <= 1 && !change.force:
		return fmt.Errorf("%w: disabling it ends the Northbound and Southbound databases with "+
			"every logical network in them (their files move to a backup folder); add "+
			"--allow-disable-last-central to do so anyway", ErrLastCentral)
	}

	return nil
}

// centralWarnings returns the warnings for a cluster with n central members.
func centralWarnings(n int) []string {
	var out []string
	if n < 3 {
		out = append(out, fmt.Sprintf("central runs on %d of the members: the databases "+
			"survive the loss of none of them; run central on at least three members", n))
	}

	if n > 0 && n%2 == 0 {
		out = append(out, fmt.Sprintf("central runs on %d members, an even number: that "+
			"tolerates no more failures than %d would", n, n-1))
	}

	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}

	return 0
}
