// Package packaging tests the snap recipe (snapcraft.yaml and snap/), the make
// install and uninstall targets and the systemd unit, on a machine without snapd.
//
// snapd and snapcraft cannot run here, so the tests check what they can without
// them: the recipe's apps against the product's own tables (wrap.Tools and
// services.Table), the build steps of snap/local/parts.sh that need no snapcraft,
// the hooks and wrapper scripts driven through a stand-in for snapctl
// (testdata/standin), and services.Snap against the same stand-in.
//
// The install tests use the binaries of `make build` from $MICROOVN_BIN (default
// bin/ of this repository) and skip without them. Run as:
//
//	make -s build && go test -count=1 -v ./tests/packaging/
package packaging
