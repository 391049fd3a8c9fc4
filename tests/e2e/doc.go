// Package e2e holds the helpers that the end-to-end test packages under tests/
// share: polling until a condition holds, running microovn, its wrapped tools and
// other programs in the namespace of a test bed host, forming a cluster, and
// reading status, Raft state, remotes and pid files. Helpers that only one test
// package needs stay in that package.
package e2e
