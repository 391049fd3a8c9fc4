package daemon

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/canonical/microcluster/v3/microcluster/rest/response"
	"github.com/canonical/microcluster/v3/state"
	"github.com/gorilla/mux"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/microovn/database"
)

// ErrUnknownKey is returned for a config key operators cannot set.
var ErrUnknownKey = errors.New("unknown config key")

// configKeys lists the keys `microovn config` accepts.
var configKeys = []string{database.KeyCentralIPs}

// ValidateConfig checks a key and its value and returns the value normalised.
func ValidateConfig(key, value string) (string, error) {
	if !slices.Contains(configKeys, key) {
		return "", fmt.Errorf("%w %q: valid keys are %s", ErrUnknownKey, key,
			strings.Join(configKeys, ", "))
	}

	return normaliseCentralIPs(value)
}

// normaliseCentralIPs checks a comma-separated list of IP addresses.
func normaliseCentralIPs(value string) (string, error) {
	parts := splitList(value)
	if len(parts) == 0 {
		return "", errors.New("invalid ovn.central-ips: give one or more IP addresses " +
			"separated by commas")
	}

	var out []string
	for _, p := range parts {
		ip := net.ParseIP(p)
		if ip == nil {
			return "", fmt.Errorf("invalid ovn.central-ips: %q is not an IP address", p)
		}

		if !slices.Contains(out, ip.String()) {
			out = append(out, ip.String())
		}
	}

	return strings.Join(out, ","), nil
}

func (d *Daemon) getConfigList(s state.State, r *http.Request) response.Response {
	entries := []types.ConfigEntry{}
	err := s.Database().Transaction(r.Context(), func(ctx context.Context, tx *sql.Tx) error {
		for _, key := range configKeys {
			value, err := optionalConfig(ctx, tx, key)
			if err != nil {
				return err
			}

			if value != "" {
				entries = append(entries, types.ConfigEntry{Key: key, Value: value})
			}
		}

		return nil
	})
	if err != nil {
		return response.SmartError(err)
	}

	return response.SyncResponse(true, entries)
}

func (d *Daemon) getConfig(s state.State, r *http.Request) response.Response {
	key := mux.Vars(r)["key"]
	if _, err := ValidateConfig(key, "0.0.0.0"); errors.Is(err, ErrUnknownKey) {
		return response.BadRequest(err)
	}

	var value string
	err := s.Database().Transaction(r.Context(), func(ctx context.Context, tx *sql.Tx) error {
		var err error
		value, err = database.GetConfig(ctx, tx, key)
		return err
	})
	// An unset key has an empty value, so `config get` prints nothing for it.
	if err != nil && !errors.Is(err, database.ErrNotFound) {
		return response.SmartError(err)
	}

	return response.SyncResponse(true, types.ConfigEntry{Key: key, Value: value})
}

func (d *Daemon) putConfig(s state.State, r *http.Request) response.Response {
	var entry types.ConfigEntry
	if err := json.NewDecoder(r.Body).Decode(&entry); err != nil {
		return response.BadRequest(fmt.Errorf("invalid request body: %w", err))
	}

	key := mux.Vars(r)["key"]
	value, err := ValidateConfig(key, entry.Value)
	if err != nil {
		return response.BadRequest(err)
	}

	err = s.Database().Transaction(r.Context(), func(ctx context.Context, tx *sql.Tx) error {
		return database.SetConfig(ctx, tx, key, value)
	})
	return d.configChanged(r.Context(), s, key, value, err)
}

func (d *Daemon) deleteConfig(s state.State, r *http.Request) response.Response {
	key := mux.Vars(r)["key"]
	if _, err := ValidateConfig(key, "0.0.0.0"); errors.Is(err, ErrUnknownKey) {
		return response.BadRequest(err)
	}

	err := s.Database().Transaction(r.Context(), func(ctx context.Context, tx *sql.Tx) error {
		return database.DeleteConfig(ctx, tx, key)
	})
	return d.configChanged(r.Context(), s, key, "", err)
}

// configChanged logs a change and refreshes every member so that remotes follow.
func (d *Daemon) configChanged(ctx context.Context, s state.State, key, value string,
	err error) response.Response {
	d.log.Info("Config change", "member", s.Name(), "key", key, "value", value,
		"success", err == nil, "security", true)
	if err != nil {
		return response.SmartError(err)
	}

	results := d.refreshAll(ctx, s)
	return response.SyncResponse(true, results)
}
