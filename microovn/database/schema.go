// Package database holds MicroOVN's tables in the cluster's dqlite database and the
// queries on them: which member runs which service, and cluster-wide settings such
// as the OVN CA.
package database

import (
	"context"
	"database/sql"

	"github.com/canonical/microcluster/v3/microcluster/db"
)

// SchemaExtensions are applied in order on top of microcluster's own tables. An
// entry, once released, never changes: later changes get new entries.
var SchemaExtensions = []db.Update{
	createTables,
}

func createTables(ctx context.Context, tx *sql.Tx) error {
	const stmt = `
CREATE TABLE services (
  id         INTEGER  PRIMARY KEY AUTOINCREMENT NOT NULL,
  member_id  INTEGER  NOT NULL,
  service    TEXT     NOT NULL,
  FOREIGN KEY (member_id) REFERENCES core_cluster_members (id) ON DELETE CASCADE,
  UNIQUE (member_id, service)
);

CREATE TABLE config (
  id     INTEGER  PRIMARY KEY AUTOINCREMENT NOT NULL,
  key    TEXT     NOT NULL,
  value  TEXT     NOT NULL,
  UNIQUE (key)
);
`
	_, err := tx.ExecContext(ctx, stmt)

	return err
}
