package pki

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// PEM block types of certificates and of the private key encodings read here.
const (
	blockCertificate  = "CERTIFICATE"
	blockPKCS8Key     = "PRIVATE KEY"
	blockSEC1Key      = "EC PRIVATE KEY"
	blockPKCS1Key     = "RSA PRIVATE KEY"
	blockEncryptedKey = "ENCRYPTED PRIVATE KEY"
)

// isPrivateKeyBlock reports whether a PEM block of type blockType holds a private key.
func isPrivateKeyBlock(blockType string) bool {
	switch blockType {
	case blockPKCS8Key, blockSEC1Key, blockPKCS1Key, blockEncryptedKey:
		return true
	}

	return false
}

// ParseCertificatePEM parses the first CERTIFICATE block in data and skips any other
// blocks before it. It returns ErrInvalidPEM when there is no such block or the block
// does not parse.
func ParseCertificatePEM(data []byte) (*x509.Certificate, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("%w: no %s block found", ErrInvalidPEM, blockCertificate)
		}

		if block.Type != blockCertificate {
			continue
		}

		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: parse certificate: %w", ErrInvalidPEM, err)
		}

		return cert, nil
	}
}

// parsePrivateKeyPEM parses the first private key block in data, in PKCS#8, SEC1 or
// PKCS#1 form. It returns the key and that block alone, PEM encoded.
func parsePrivateKeyPEM(data []byte) (crypto.Signer, []byte, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, nil, fmt.Errorf("%w: no private key block found", ErrInvalidPEM)
		}

		if !isPrivateKeyBlock(block.Type) {
			continue
		}

		key, err := parsePrivateKeyDER(block.Type, block.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrInvalidPEM, err)
		}

		return key, pem.EncodeToMemory(block), nil
	}
}

// parsePrivateKeyDER parses one private key block of the given PEM type.
func parsePrivateKeyDER(blockType string, der []byte) (crypto.Signer, error) {
	var (
		key any
		err error
	)

	switch blockType {
	case blockPKCS8Key:
		key, err = x509.ParsePKCS8PrivateKey(der)
	case blockSEC1Key:
		key, err = x509.ParseECPrivateKey(der)
	case blockPKCS1Key:
		key, err = x509.ParsePKCS1PrivateKey(der)
	default:
		return nil, fmt.Errorf("%s blocks are not supported, decrypt the key first", blockType)
	}

	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", blockType, err)
	}

	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("parse %s: %T keys cannot sign", blockType, key)
	}

	return signer, nil
}

// encodePrivateKey returns key as a PKCS#8 "PRIVATE KEY" PEM block.
func encodePrivateKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal PKCS#8 key: %w", err)
	}

	return pem.EncodeToMemory(&pem.Block{Type: blockPKCS8Key, Bytes: der}), nil
}

// encodeCertificate returns a DER certificate as a CERTIFICATE PEM block.
func encodeCertificate(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: blockCertificate, Bytes: der})
}

// SplitCombined separates one PEM stream that contains certificates and a private key,
// in any order, as some tools write them to one file. certPEM contains every
// CERTIFICATE block in the order found, and keyPEM the private key block. Other block
// types are dropped. It returns ErrInvalidPEM when either part is missing or when
// there is more than one private key.
func SplitCombined(data []byte) (certPEM, keyPEM []byte, err error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}

		switch {
		case block.Type == blockCertificate:
			certPEM = append(certPEM, pem.EncodeToMemory(block)...)
		case isPrivateKeyBlock(block.Type) && keyPEM != nil:
			return nil, nil, fmt.Errorf("split PEM: %w: more than one private key", ErrInvalidPEM)
		case isPrivateKeyBlock(block.Type):
			keyPEM = pem.EncodeToMemory(block)
		}
	}

	if certPEM == nil {
		return nil, nil, fmt.Errorf("split PEM: %w: no %s block found",
			ErrInvalidPEM, blockCertificate)
	}

	if keyPEM == nil {
		return nil, nil, fmt.Errorf("split PEM: %w: no private key block found", ErrInvalidPEM)
	}

	return certPEM, keyPEM, nil
}

// WriteFile replaces path with data and mode perm atomically: it writes a temporary
// file in the same folder, flushes it to disk and renames it over path, so readers
// see the old or the new content, never a part. The folder must exist.
func WriteFile(path string, data []byte, perm os.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}

	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}

	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()

	if err := writeAndSync(tmp, data, perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}

	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}

	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}

	return nil
}

// writeAndSync sets the mode of f, writes data to it, flushes it and closes it.
func writeAndSync(f *os.File, data []byte, perm os.FileMode) error {
	// Chmod rather than a mode at creation, so the umask cannot loosen or tighten perm.
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("set mode: %w", err)
	}

	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write temporary file: %w", err)
	}

	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync temporary file: %w", err)
	}

	return f.Close()
}

// syncDir flushes the folder entry of a rename to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder to sync: %w", err)
	}
	defer d.Close()

	// Some file systems cannot sync a folder and return EINVAL, which is no failure of
	// the write itself.
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sync folder: %w", err)
	}

	return nil
}
