// Package services describes the OVN services a MicroOVN member can run, the
// processes behind each, and how those processes are started and stopped.
//
// One table (Table) maps every service to its processes and their command lines.
// The daemon starts them itself outside a snap, and drives the snap's service apps
// inside one; both read the same table.
package services

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Service names as stored in the cluster database and typed by operators.
const (
	Central = "central"
	Switch  = "switch"
	Chassis = "chassis"
)

// ErrUnknownService is returned for a service name outside Names.
var ErrUnknownService = errors.New("unknown service")

// Names lists the services in start order: the switch first (ovn-controller needs
// its database), then central (northd and the databases), then the chassis.
func Names() []string { return []string{Switch, Central, Chassis} }

// Validate returns ErrUnknownService, naming the valid services, for an unknown name.
func Validate(name string) error {
	if slices.Contains(Names(), name) {
		return nil
	}

	return fmt.Errorf("%w %q: valid services are %s", ErrUnknownService, name,
		strings.Join(Names(), ", "))
}

// Sort orders names in start order and drops duplicates.
func Sort(names []string) []string {
	out := make([]string, 0, len(names))
	for _, name := range Names() {
		if slices.Contains(names, name) {
			out = append(out, name)
		}
	}

	return out
}
