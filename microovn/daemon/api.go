package daemon

import (
	"context"
	"net/http"
	"time"

	"github.com/canonical/microcluster/v3/microcluster/rest"
	"github.com/canonical/microcluster/v3/microcluster/rest/response"
	mctypes "github.com/canonical/microcluster/v3/microcluster/types"
	"github.com/canonical/microcluster/v3/state"

	"github.com/microovn/microovn/microovn/api/types"
)

// Servers returns MicroOVN's endpoints, served on microcluster's core listener
// and on the local unix socket.
func (d *Daemon) Servers() map[string]rest.Server {
	return map[string]rest.Server{
		"microovn": {
			CoreAPI:   true,
			ServeUnix: true,
			Resources: []rest.Resources{{
				PathPrefix: mctypes.EndpointPrefix(types.PathPrefix),
				Endpoints:  d.endpoints(),
			}},
		},
	}
}

func (d *Daemon) endpoints() []rest.Endpoint {
	return []rest.Endpoint{
		{Name: "status", Path: "status",
			Get: rest.EndpointAction{Handler: d.getStatus, ProxyTarget: true}},
		{Name: "local", Path: "local",
			Get: rest.EndpointAction{Handler: d.getLocal, ProxyTarget: true}},
		{Name: "certificates", Path: "certificates",
			Get: rest.EndpointAction{Handler: d.getCertificates, ProxyTarget: true}},
		// The fixed path goes before the pattern that would also match it.
		{Name: "certificates-refresh", Path: "certificates/refresh",
			Post: rest.EndpointAction{Handler: d.postRefresh, ProxyTarget: true}},
		{Name: "certificate", Path: "certificates/{name}",
			Put: rest.EndpointAction{Handler: d.putCertificate, ProxyTarget: true}},
		{Name: "ca", Path: "ca",
			Post: rest.EndpointAction{Handler: d.postCA},
			Put:  rest.EndpointAction{Handler: d.putCA}},
		{Name: "service", Path: "services/{service}",
			Put:    rest.EndpointAction{Handler: d.putService, ProxyTarget: true},
			Delete: rest.EndpointAction{Handler: d.deleteService, ProxyTarget: true}},
		{Name: "config-list", Path: "config",
			Get: rest.EndpointAction{Handler: d.getConfigList}},
		{Name: "config", Path: "config/{key}",
			Get:    rest.EndpointAction{Handler: d.getConfig},
			Put:    rest.EndpointAction{Handler: d.putConfig},
			Delete: rest.EndpointAction{Handler: d.deleteConfig}},
		{Name: "shutdown", Path: "shutdown",
			Post: rest.EndpointAction{Handler: d.postShutdown}, AllowedBeforeInit: true},
	}
}

func (d *Daemon) getStatus(s state.State, r *http.Request) response.Response {
	st, err := d.status(r.Context(), s)
	if err != nil {
		return response.SmartError(err)
	}

	return response.SyncResponse(true, st)
}

func (d *Daemon) getLocal(s state.State, r *http.Request) response.Response {
	desired, err := d.loadDesired(r.Context(), s)
	if err != nil {
		return response.SmartError(err)
	}

	return response.SyncResponse(true, d.localStatus(r.Context(), desired))
}

func (d *Daemon) getCertificates(s state.State, r *http.Request) response.Response {
	desired, err := d.loadDesired(r.Context(), s)
	if err != nil {
		return response.SmartError(err)
	}

	return response.SyncResponse(true, d.certificateReports(desired))
}

// postShutdown stops every OVN process of this member and then the daemon.
func (d *Daemon) postShutdown(s state.State, r *http.Request) response.Response {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()

	err := d.manager.Shutdown(ctx)
	d.log.Info("Node shut down", "member", s.Name(), "success", err == nil, "security", true)
	if err != nil {
		return response.SmartError(err)
	}

	if d.shutdown != nil {
		// The daemon ends once this response has gone out.
		go func() {
			time.Sleep(200 * time.Millisecond)
			d.shutdown()
		}()
	}

	return response.EmptySyncResponse
}
