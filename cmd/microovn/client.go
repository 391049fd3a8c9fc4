package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	mctypes "github.com/canonical/microcluster/v3/microcluster/types"

	"github.com/microovn/microovn/microovn/api/types"
)

// query sends one request to a MicroOVN endpoint of the local daemon.
func (g *global) query(ctx context.Context, method, path string, in, out any) error {
	return g.queryOn(ctx, "", method, path, in, out)
}

// queryOn sends one request through the local daemon to member target, or to the
// local daemon itself when target is "".
func (g *global) queryOn(ctx context.Context, target, method, path string, in, out any) error {
	app, err := g.app()
	if err != nil {
		return err
	}

	c, err := app.LocalClient()
	if err != nil {
		return fmt.Errorf("connect to microovnd: %w", err)
	}

	client := mctypes.Client(c)
	if target != "" {
		client = c.UseTarget(target)
	}

	err = client.Query(ctx, method, mctypes.EndpointPrefix(types.PathPrefix),
		&url.URL{Path: path}, in, out)
	if err != nil && strings.Contains(err.Error(), "not yet initialized") {
		return errors.New("this node is not part of a cluster yet: run microovn cluster " +
			"bootstrap, microovn cluster join or microovn init first")
	}

	return err
}
