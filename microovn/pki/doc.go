// Package pki creates and checks the TLS certificates that the OVN processes of a
// MicroOVN cluster present to each other.
//
// One cluster CA signs a certificate per member and service. The database servers
// (ovnnb, ovnsb) accept TLS clients and also dial their Raft peers with the same
// certificate, so their certificates carry both the serverAuth and the clientAuth
// extended key usage. ovn-northd, ovn-controller and the local command-line tools
// only connect, so their certificates carry clientAuth alone. OpenSSL, which OVS and
// OVN use, matches these usages against the purpose of each TLS connection.
//
// Keys are ECDSA P-384 and are written as PKCS#8 "PRIVATE KEY" blocks. LoadCA also
// accepts RSA and Ed25519 keys and the SEC1 and PKCS#1 encodings, so that an
// operator can bring an existing CA.
package pki
