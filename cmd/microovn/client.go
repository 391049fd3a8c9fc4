package main

import (
	"context"
	"fmt"
	"net/url"

	mctypes "github.com/canonical/microcluster/v3/microcluster/types"

	"github.com/microovn/microovn/microovn/api/types"
)

// query sends one request to a MicroOVN endpoint of the local daemon.
func (g *global) query(ctx context.Context, method, path string, in, out any) error {
	app, err := g.app()
	if err != nil {
		return err
	}

	c, err := app.LocalClient()
	if err != nil {
		return fmt.Errorf("connect to microovnd: %w", err)
	}

	return c.Query(ctx, method, mctypes.EndpointPrefix(types.PathPrefix),
		&url.URL{Path: path}, in, out)
}
