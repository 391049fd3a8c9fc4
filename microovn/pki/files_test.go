package pki

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSplitCombined(t *testing.T) {
	ca := newTestCA(t)
	leafPEM, leafKeyPEM := mustIssue(t, ca, Request{Service: ServiceNB, Member: "m"})
	concat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

	tests := []struct {
		name     string
		data     []byte
		wantCert []byte
		wantKey  []byte
		wantErr  error
	}{
		{"certificate first", concat(leafPEM, leafKeyPEM), leafPEM, leafKeyPEM, nil},
		{"key first", concat(leafKeyPEM, leafPEM), leafPEM, leafKeyPEM, nil},
		{"chain and text around", concat([]byte("comment\n"), leafPEM, ca.CertPEM, leafKeyPEM,
			[]byte("trailer\n")), concat(leafPEM, ca.CertPEM), leafKeyPEM, nil},
		{"certificate only", leafPEM, nil, nil, ErrInvalidPEM},
		{"key only", leafKeyPEM, nil, nil, ErrInvalidPEM},
		{"two keys", concat(leafPEM, leafKeyPEM, ca.KeyPEM), nil, nil, ErrInvalidPEM},
		{"garbage", []byte("garbage"), nil, nil, ErrInvalidPEM},
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			certPEM, keyPEM, err := SplitCombined(tc.data)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("SplitCombined error = %v, want %v", err, tc.wantErr)
			}
			if !bytes.Equal(certPEM, tc.wantCert) {
				t.Errorf("certificate part = %q, want %q", certPEM, tc.wantCert)
			}
			if !bytes.Equal(keyPEM, tc.wantKey) {
				t.Errorf("key part = %q, want %q", keyPEM, tc.wantKey)
			}
		})
	}
}

func TestSplitCombinedFeedsLoadCA(t *testing.T) {
	ca := newTestCA(t)

	certPEM, keyPEM, err := SplitCombined(append(append([]byte{}, ca.KeyPEM...), ca.CertPEM...))
	if err != nil {
		t.Fatalf("SplitCombined: %v", err)
	}
	loaded, err := LoadCA(certPEM, keyPEM)
	if err != nil {
		t.Fatalf("LoadCA of the split parts: %v", err)
	}
	if !loaded.Cert.Equal(ca.Cert) {
		t.Errorf("loaded CA differs from the original")
	}
}

func TestParseCertificatePEMSkipsOtherBlocks(t *testing.T) {
	ca := newTestCA(t)

	cert, err := ParseCertificatePEM(append(append([]byte{}, ca.KeyPEM...), ca.CertPEM...))
	if err != nil {
		t.Fatalf("ParseCertificatePEM: %v", err)
	}
	if !cert.Equal(ca.Cert) {
		t.Errorf("parsed certificate differs from the CA")
	}

	if _, err := ParseCertificatePEM(ca.KeyPEM); !errors.Is(err, ErrInvalidPEM) {
		t.Errorf("ParseCertificatePEM of a key: error = %v, want %v", err, ErrInvalidPEM)
	}
}

func TestWriteFileModeAndContent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ovnsb.key")

	for _, content := range []string{"first version\n", "second, longer version\n"} {
		if err := WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatalf("WriteFile: %v", err)
		}

		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		if string(got) != content {
			t.Errorf("content = %q, want %q", got, content)
		}

		info, err := os.Stat(path)
		if err != nil {
			t.Fatalf("stat: %v", err)
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("mode = %o, want 600", mode)
		}
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read folder: %v", err)
	}
	if len(entries) != 1 {
		t.Errorf("folder contains %d entries, want only ovnsb.key and no temporary files",
			len(entries))
	}
}

func TestWriteFileSetsWiderMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ca.crt")
	if err := WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o644 {
		t.Errorf("mode = %o, want 644", mode)
	}
}

func TestWriteFileMissingFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent", "cert.pem")

	err := WriteFile(path, []byte("x"), 0o600)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WriteFile into a missing folder: error = %v, want %v", err, os.ErrNotExist)
	}
}
