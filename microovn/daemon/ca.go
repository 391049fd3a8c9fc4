package daemon

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/canonical/microcluster/v3/microcluster/rest/response"
	mctypes "github.com/canonical/microcluster/v3/microcluster/types"
	"github.com/canonical/microcluster/v3/state"
	"github.com/gorilla/mux"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/microovn/database"
	"github.com/microovn/microovn/microovn/node"
	"github.com/microovn/microovn/microovn/pki"
)

// reissueNames maps a `certificates reissue` argument to certificate names; "all"
// means every certificate of this member.
func reissueNames(arg string) ([]string, error) {
	if arg == "all" {
		return nil, nil
	}

	if !slices.Contains(pki.Services(), arg) {
		return nil, fmt.Errorf("unknown certificate %q: valid names are %v and all", arg,
			pki.Services())
	}

	return []string{arg}, nil
}

func (d *Daemon) putCertificate(s state.State, r *http.Request) response.Response {
	names, err := reissueNames(mux.Vars(r)["name"])
	if err != nil {
		return response.BadRequest(err)
	}

	desired, err := d.loadDesired(r.Context(), s)
	if err != nil {
		return response.SmartError(err)
	}

	issued, failed, err := d.manager.Reissue(r.Context(), desired, names)
	if errors.Is(err, node.ErrNotEnabled) {
		return response.NotFound(err)
	}

	for _, name := range issued {
		d.log.Info("Certificate reissued", "certificate", name, "member", s.Name(),
			"security", true)
	}

	result := types.ReissueResult{Member: s.Name(), Issued: issued, Failed: failed}
	if err != nil {
		return response.SmartError(err)
	}

	return response.SyncResponse(true, result)
}

// postRefresh runs a reconcile now, after a CA change on another member.
func (d *Daemon) postRefresh(s state.State, r *http.Request) response.Response {
	desired, err := d.loadDesired(r.Context(), s)
	if err != nil {
		return response.SmartError(err)
	}

	issued, err := d.manager.Refresh(r.Context(), desired)
	result := types.ReissueResult{Member: s.Name(), Issued: issued}
	if err != nil {
		result.Failed = map[string]string{"refresh": err.Error()}
	}

	return response.SyncResponse(true, result)
}

// postCA makes a new self-signed CA for the whole cluster.
func (d *Daemon) postCA(s state.State, r *http.Request) response.Response {
	ca, err := pki.NewCA(d.CALifetime)
	if err != nil {
		return response.InternalError(fmt.Errorf("create a new CA: %w", err))
	}

	return d.replaceCA(r.Context(), s, ca, false)
}

// putCA installs an operator's CA after checking it.
func (d *Daemon) putCA(s state.State, r *http.Request) response.Response {
	var req types.SetCARequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return response.BadRequest(fmt.Errorf("invalid request body: %w", err))
	}

	ca, err := pki.LoadCA([]byte(req.Certificate), []byte(req.PrivateKey))
	if err != nil {
		return response.BadRequest(fmt.Errorf("CA rejected: %w", err))
	}

	return d.replaceCA(r.Context(), s, ca, true)
}

// replaceCA stores ca as the cluster's CA and has every member reissue.
func (d *Daemon) replaceCA(ctx context.Context, s state.State, ca *pki.CA,
	user bool) response.Response {
	err := s.Database().Transaction(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return storeCA(ctx, tx, ca, user)
	})
	d.log.Info("Cluster CA replaced", "member", s.Name(), "user_ca", user,
		"success", err == nil, "security", true)
	if err != nil {
		return response.SmartError(fmt.Errorf("store the new CA: %w", err))
	}

	result := types.CAResult{NewCA: true, Members: d.refreshAll(ctx, s)}
	return response.SyncResponse(true, result)
}

func storeCA(ctx context.Context, tx *sql.Tx, ca *pki.CA, user bool) error {
	values := map[string]string{
		database.KeyCACert: string(ca.CertPEM),
		database.KeyCAKey:  string(ca.KeyPEM),
		database.KeyCAUser: fmt.Sprint(user),
	}
	for key, value := range values {
		if err := database.SetConfig(ctx, tx, key, value); err != nil {
			return err
		}
	}

	return nil
}

// refreshAll has every member, this one included, reissue its certificates now.
func (d *Daemon) refreshAll(ctx context.Context, s state.State) []types.ReissueResult {
	results := []types.ReissueResult{}
	var mu sync.Mutex
	add := func(r types.ReissueResult) {
		mu.Lock()
		results = append(results, r)
		mu.Unlock()
	}

	desired, err := d.loadDesired(ctx, s)
	local := types.ReissueResult{Member: s.Name()}
	if err == nil {
		local.Issued, err = d.manager.Refresh(ctx, desired)
	}

	if err != nil {
		local.Failed = map[string]string{"refresh": err.Error()}
	}

	add(local)
	clients, err := s.Connect().Cluster(false)
	if err != nil {
		add(types.ReissueResult{Member: "(other members)",
			Failed: map[string]string{"connect": err.Error()}})
		return results
	}

	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			add(refreshRemote(ctx, c))
		}()
	}

	wg.Wait()
	slices.SortFunc(results, func(a, b types.ReissueResult) int {
		return cmpString(a.Member, b.Member)
	})
	return results
}

func refreshRemote(ctx context.Context, c mctypes.Client) types.ReissueResult {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	var result types.ReissueResult
	err := c.Query(ctx, http.MethodPost, mctypes.EndpointPrefix(types.PathPrefix),
		&url.URL{Path: "certificates/refresh"}, nil, &result)
	if err != nil {
		u := c.URL()
		return types.ReissueResult{Member: u.Host, Failed: map[string]string{"refresh": err.Error()}}
	}

	return result
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}

	return 0
}

// renewCA replaces the self-made CA when it is within the renewal window. A
// user's CA is never replaced. The transaction re-reads the CA, so members
// noticing at the same moment store one new CA.
func (d *Daemon) renewCA(ctx context.Context, s state.State, desired node.Desired) error {
	cert, err := pki.ParseCertificatePEM([]byte(desired.CACert))
	if err != nil || !pki.NeedsRenewal(cert, time.Now(), d.manager.RenewWindow) {
		return nil
	}

	renewed := false
	err = s.Database().Transaction(ctx, func(ctx context.Context, tx *sql.Tx) error {
		user, err := optionalConfig(ctx, tx, database.KeyCAUser)
		if err != nil || user == "true" {
			return err
		}

		current, err := optionalConfig(ctx, tx, database.KeyCACert)
		if err != nil || current != desired.CACert {
			return err
		}

		ca, err := pki.NewCA(d.CALifetime)
		if err != nil {
			return err
		}

		renewed = true
		return storeCA(ctx, tx, ca, false)
	})
	if renewed && err == nil {
		d.log.Info("Cluster CA renewed before expiry", "member", s.Name(), "security", true)
		go d.refreshAll(context.WithoutCancel(ctx), s)
	}

	return err
}
