package services

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/microovn/microovn/microovn/cmdrun"
	"github.com/microovn/microovn/microovn/paths"
)

// Snap runs each process as a service app of the snap, started and stopped with
// snapctl. The app's command is `microovnd exec-service NAME`, which runs the same
// command line as Direct but in the foreground, so only the starting differs.
type Snap struct {
	Name    string // the snap's instance name, as in $SNAP_INSTANCE_NAME
	Snapctl string // path of snapctl
	Tools   Tools
}

// NewRunner returns the Runner of this environment: Snap inside a snap, Direct
// otherwise.
func NewRunner(tools Tools) Runner {
	name := os.Getenv("SNAP_INSTANCE_NAME")
	if name == "" {
		name = os.Getenv("SNAP_NAME")
	}

	if name == "" {
		return Direct{Tools: tools}
	}

	return Snap{Name: name, Snapctl: "snapctl", Tools: tools}
}

// Pid reads the process's pid file, as Direct does.
func (s Snap) Pid(p Process, l paths.Layout) int { return PidFromFile(p.PidFile(l)) }

// Start enables and starts the app of p, then waits until the process wrote its
// pid file.
func (s Snap) Start(ctx context.Context, p Process, c Config) error {
	if s.Pid(p, c.Layout) != 0 {
		return nil
	}

	if err := s.snapctl(ctx, "start", "--enable", s.Name+"."+p.SnapApp); err != nil {
		return err
	}

	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if s.Pid(p, c.Layout) != 0 {
			return nil
		}

		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}

	return fmt.Errorf("start %s: the snap app %s wrote no pid file within 60 s", p.Name, p.SnapApp)
}

// Stop sends the process the exit command through its control socket, as Direct does, and
// disables its app so that it does not come back on the next boot.
func (s Snap) Stop(ctx context.Context, p Process, l paths.Layout, cleanup bool) error {
	if err := (Direct{Tools: s.Tools}).Stop(ctx, p, l, cleanup); err != nil {
		return err
	}

	return s.snapctl(ctx, "stop", "--disable", s.Name+"."+p.SnapApp)
}

func (s Snap) snapctl(ctx context.Context, args ...string) error {
	_, err := cmdrun.Run(ctx, cmdrun.Options{Timeout: 60 * time.Second}, s.Snapctl, args...)
	if err != nil {
		return fmt.Errorf("snapctl %s: %w", args[0], err)
	}

	return nil
}
