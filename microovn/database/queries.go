package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrNotFound is returned when a row asked for does not exist.
var ErrNotFound = errors.New("not found")

// Keys of the config table.
const (
	KeyCACert     = "ca.cert"
	KeyCAKey      = "ca.key"
	KeyCAUser     = "ca.user" // "true" when the operator supplied the CA
	KeyCentralIPs = "ovn.central-ips"
)

// Member is a cluster member with the services it runs.
type Member struct {
	ID       int64
	Name     string
	Address  string // host:port of microcluster's listener
	Role     string
	Services []string
}

// Members returns every cluster member with its services, ordered by join order.
func Members(ctx context.Context, tx *sql.Tx) ([]Member, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT id, name, address, role FROM core_cluster_members ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list cluster members: %w", err)
	}

	var members []Member
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.ID, &m.Name, &m.Address, &m.Role); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read a cluster member: %w", err)
		}

		members = append(members, m)
	}

	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list cluster members: %w", err)
	}

	byID, err := servicesByMember(ctx, tx)
	if err != nil {
		return nil, err
	}

	for i := range members {
		members[i].Services = byID[members[i].ID]
	}

	return members, nil
}

func servicesByMember(ctx context.Context, tx *sql.Tx) (map[int64][]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT member_id, service FROM services ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	defer rows.Close()

	out := map[int64][]string{}
	for rows.Next() {
		var id int64
		var service string
		if err := rows.Scan(&id, &service); err != nil {
			return nil, fmt.Errorf("read a service: %w", err)
		}

		out[id] = append(out[id], service)
	}

	return out, rows.Err()
}

// memberID returns the id of the member called name.
func memberID(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx,
		`SELECT id FROM core_cluster_members WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("cluster member %q: %w", name, ErrNotFound)
	}

	if err != nil {
		return 0, fmt.Errorf("find cluster member %q: %w", name, err)
	}

	return id, nil
}

// AddService records that member runs service. Adding it twice is not an error.
func AddService(ctx context.Context, tx *sql.Tx, member, service string) error {
	id, err := memberID(ctx, tx, member)
	if err != nil {
		return err
	}

	_, err = tx.ExecContext(ctx,
		`INSERT OR IGNORE INTO services (member_id, service) VALUES (?, ?)`, id, service)
	if err != nil {
		return fmt.Errorf("record service %s on %s: %w", service, member, err)
	}

	return nil
}

// RemoveService deletes the record that member runs service.
func RemoveService(ctx context.Context, tx *sql.Tx, member, service string) error {
	id, err := memberID(ctx, tx, member)
	if err != nil {
		return err
	}

	_, err = tx.ExecContext(ctx,
		`DELETE FROM services WHERE member_id = ? AND service = ?`, id, service)
	if err != nil {
		return fmt.Errorf("remove service %s from %s: %w", service, member, err)
	}

	return nil
}

// CountService returns how many members run service.
func CountService(ctx context.Context, tx *sql.Tx, service string) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM services WHERE service = ?`, service).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count members running %s: %w", service, err)
	}

	return n, nil
}

// GetConfig returns the value of key, or ErrNotFound.
func GetConfig(ctx context.Context, tx *sql.Tx, key string) (string, error) {
	var value string
	err := tx.QueryRowContext(ctx, `SELECT value FROM config WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("config key %q: %w", key, ErrNotFound)
	}

	if err != nil {
		return "", fmt.Errorf("read config key %q: %w", key, err)
	}

	return value, nil
}

// SetConfig stores value under key.
func SetConfig(ctx context.Context, tx *sql.Tx, key, value string) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO config (key, value) VALUES (?, ?)
		 ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("store config key %q: %w", key, err)
	}

	return nil
}

// DeleteConfig removes key; a missing key is not an error.
func DeleteConfig(ctx context.Context, tx *sql.Tx, key string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM config WHERE key = ?`, key)
	if err != nil {
		return fmt.Errorf("delete config key %q: %w", key, err)
	}

	return nil
}

// AllConfig returns every config key and value, secrets included; callers filter.
func AllConfig(ctx context.Context, tx *sql.Tx) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT key, value FROM config`)
	if err != nil {
		return nil, fmt.Errorf("list config: %w", err)
	}
	defer rows.Close()

	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}

		out[k] = v
	}

	return out, rows.Err()
}
