// Package version holds the MicroOVN version, set at build time.
package version

// Version is the MicroOVN release. The Makefile sets it with -ldflags -X from git describe.
var Version = "0.0.0-dev"
