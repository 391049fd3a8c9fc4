package certs

import (
	"testing"
	"time"
)

// formTimeout bounds the wait for a new cluster to become healthy.
const formTimeout = 3 * time.Minute

// TestCertificateLifecycle runs the manual certificate operations on one three-member
// cluster: list, reissue, regenerate-ca and set-ca, and at the end reissue on a fourth,
// chassis-only member. The steps share the cluster because building one takes about a
// minute, so each step leaves it healthy for the next.
func TestCertificateLifecycle(t *testing.T) {
	t.Parallel()

	c := newCluster(t, 4, 3)
	c.waitHealthy(formTimeout)

	t.Run("private key modes", func(t *testing.T) { testKeyModes(t, c) })
	t.Run("list healthy member", func(t *testing.T) { testListHealthy(t, c) })
	t.Run("list deleted certificate", func(t *testing.T) { testListDeleted(t, c) })
	t.Run("list foreign certificate", func(t *testing.T) { testListForeign(t, c) })
	t.Run("reissue one service", func(t *testing.T) { testReissueOne(t, c) })
	t.Run("reissue all services", func(t *testing.T) { testReissueAll(t, c) })
	t.Run("reissue invalid arguments", func(t *testing.T) { testReissueInvalid(t, c) })
	t.Run("regenerate CA cluster-wide", func(t *testing.T) { testRegenerateCA(t, c) })
	t.Run("set CA key types", func(t *testing.T) { testSetCAKeyTypes(t, c) })
	t.Run("set CA rejects invalid", func(t *testing.T) { testSetCARejects(t, c) })
	t.Run("reissue on chassis-only member", func(t *testing.T) { testReissueChassisOnly(t, c) })
}
