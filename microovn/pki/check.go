package pki

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Status is the verdict of CheckFiles on one certificate.
type Status string

// Statuses of a certificate, from the worst to the best.
const (
	StatusMissing     Status = "missing"
	StatusInvalid     Status = "invalid"
	StatusUntrusted   Status = "untrusted"
	StatusKeyMismatch Status = "key-mismatch"
	StatusExpired     Status = "expired"
	StatusExpiring    Status = "expiring"
	StatusOK          Status = "ok"
)

// Report is the result of CheckFiles on one certificate and its key.
type Report struct {
	Path       string    // certificate file
	KeyPath    string    // key file, empty for the CA
	Present    bool      // the certificate file exists
	KeyPresent bool      // the key file exists
	Subject    string    // CN of the certificate
	Serial     string    // serial number in lower-case hexadecimal
	NotAfter   time.Time // end of validity
	SignedByCA bool      // signed by the given CA, or for the CA file: equal to that CA
	KeyMatches bool      // the key is the private half of the certificate's public key
	Status     Status    // the worst problem found
	Problem    string    // one sentence on that problem, empty when Status is StatusOK
}

// CheckFiles reads the certificate at certPath and the key at keyPath and judges them
// against the CA certificate ca at time now. Certificates that expire within window
// of now are StatusExpiring. For the CA itself keyPath is empty: the key is then not
// read, KeyMatches stays false and SignedByCA means the file contains ca.
//
// Status names the worst problem, in this order: missing, invalid, untrusted,
// key-mismatch, expired, expiring. Whether ca signed the certificate is checked at a
// time when both were valid, or by signature alone when their validity periods do not
// overlap, so that an expired certificate is reported as expired and not as untrusted.
func CheckFiles(certPath, keyPath string, ca *x509.Certificate, now time.Time,
	window time.Duration,
) Report {
	report := Report{Path: certPath, KeyPath: keyPath, Status: StatusOK}

	cert, err := readCertificate(certPath, &report.Present)
	if err != nil {
		return report.fail(statusOfReadError(err), "certificate %s", err)
	}

	report.Subject = cert.Subject.CommonName
	report.Serial = cert.SerialNumber.Text(16)
	report.NotAfter = cert.NotAfter

	trustErr := checkTrust(cert, ca, keyPath == "", now)
	report.SignedByCA = trustErr == nil

	var keyErr error
	if keyPath != "" {
		keyErr = checkKeyFile(keyPath, cert, &report.KeyPresent)
		report.KeyMatches = keyErr == nil
	}

	report.judge(cert, trustErr, keyErr, now, window)

	return report
}

// judge sets Status and Problem from the checks already made on cert, taking the
// worst problem first.
func (r *Report) judge(cert *x509.Certificate, trustErr, keyErr error, now time.Time,
	window time.Duration,
) {
	keyStatus := statusOfReadError(keyErr)

	switch {
	case keyErr != nil && keyStatus != StatusKeyMismatch:
		r.fail(keyStatus, "key %s", keyErr)
	case trustErr != nil:
		r.fail(StatusUntrusted, "certificate %s %s", r.Path, trustErr)
	case keyErr != nil:
		r.fail(StatusKeyMismatch, "key %s does not match certificate %s", r.KeyPath, r.Path)
	case now.Before(cert.NotBefore):
		r.fail(StatusExpired, "not valid until %s", formatTime(cert.NotBefore))
	case now.After(cert.NotAfter):
		r.fail(StatusExpired, "expired %s ago, at %s",
			formatDuration(now.Sub(cert.NotAfter)), formatTime(cert.NotAfter))
	case NeedsRenewal(cert, now, window):
		r.fail(StatusExpiring, "expires in %s (renewal window %s)",
			formatDuration(cert.NotAfter.Sub(now)), formatDuration(window))
	}
}

// fail sets Status and Problem and returns the report.
func (r *Report) fail(status Status, format string, args ...any) Report {
	r.Status = status
	r.Problem = fmt.Sprintf(format, args...)

	return *r
}

// checkTrust returns why cert cannot be trusted as signed by ca, or nil. When isCA is
// set, cert must be ca itself. Otherwise cert is verified with ca as the only root, at
// a time when both certificates were valid, so that expiry does not count as distrust.
func checkTrust(cert, ca *x509.Certificate, isCA bool, now time.Time) error {
	if ca == nil {
		return errors.New("cannot be checked because no CA certificate was given")
	}

	if isCA {
		if !cert.Equal(ca) {
			return fmt.Errorf("is not the cluster CA %q", ca.Subject.CommonName)
		}

		return nil
	}

	at, overlap := verifyTime(cert, ca, now)
	if !overlap {
		// Verify cannot pick a time at which both are valid, so only the signature
		// and the CA's right to sign are checked.
		if err := cert.CheckSignatureFrom(ca); err != nil {
			return fmt.Errorf("is not signed by the cluster CA %q: %w", ca.Subject.CommonName, err)
		}

		return nil
	}

	roots := x509.NewCertPool()
	roots.AddCert(ca)

	_, err := cert.Verify(x509.VerifyOptions{
		Roots:       roots,
		CurrentTime: at,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return fmt.Errorf("is not signed by the cluster CA %q: %w", ca.Subject.CommonName, err)
	}

	return nil
}

// verifyTime returns now moved into the span in which both cert and ca are valid, and
// false when there is no such span.
func verifyTime(cert, ca *x509.Certificate, now time.Time) (time.Time, bool) {
	start := cert.NotBefore
	if ca.NotBefore.After(start) {
		start = ca.NotBefore
	}

	end := cert.NotAfter
	if ca.NotAfter.Before(end) {
		end = ca.NotAfter
	}

	switch {
	case start.After(end):
		return now, false
	case now.Before(start):
		return start, true
	case now.After(end):
		return end, true
	default:
		return now, true
	}
}

// formatTime returns t in UTC as RFC 3339.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// formatDuration returns d rounded to the largest unit, of days, hours, minutes and
// seconds, that gives at least 2 of it, such as "3 days" or "59 minutes".
func formatDuration(d time.Duration) string {
	units := []struct {
		size time.Duration
		name string
	}{
		{24 * time.Hour, "day"},
		{time.Hour, "hour"},
		{time.Minute, "minute"},
	}

	for _, unit := range units {
		if d >= 2*unit.size {
			return pluralize(int64(d.Round(unit.size)/unit.size), unit.name)
		}
	}

	return pluralize(int64(d.Round(time.Second)/time.Second), "second")
}

// pluralize returns count followed by name, with an "s" unless count is 1.
func pluralize(count int64, name string) string {
	if count == 1 {
		return fmt.Sprintf("%d %s", count, name)
	}

	return fmt.Sprintf("%d %ss", count, name)
}

// NeedsRenewal reports whether cert expires within window of now. It also returns
// true for a certificate that has already expired.
func NeedsRenewal(cert *x509.Certificate, now time.Time, window time.Duration) bool {
	return !now.Add(window).Before(cert.NotAfter)
}

// errFileMissing marks a certificate or key file that does not exist.
var errFileMissing = errors.New("does not exist")

// statusOfReadError maps an error of readCertificate or checkKeyFile to a Status.
func statusOfReadError(err error) Status {
	switch {
	case err == nil:
		return StatusOK
	case errors.Is(err, errFileMissing):
		return StatusMissing
	case errors.Is(err, ErrKeyMismatch):
		return StatusKeyMismatch
	default:
		return StatusInvalid
	}
}

// readCertificate reads and parses the certificate file at path. It sets *present
// when the file exists, even if it cannot be read.
func readCertificate(path string, present *bool) (*x509.Certificate, error) {
	data, err := readFile(path, present)
	if err != nil {
		return nil, err
	}

	cert, err := ParseCertificatePEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s is not valid: %w", path, err)
	}

	return cert, nil
}

// checkKeyFile reads the key file at path and checks that it belongs to cert. It sets
// *present when the file exists.
func checkKeyFile(path string, cert *x509.Certificate, present *bool) error {
	data, err := readFile(path, present)
	if err != nil {
		return err
	}

	key, _, err := parsePrivateKeyPEM(data)
	if err != nil {
		return fmt.Errorf("%s is not valid: %w", path, err)
	}

	return checkKeyPair(cert, key)
}

// readFile reads path and sets *present unless the file does not exist.
func readFile(path string, present *bool) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s %w", path, errFileMissing)
	}

	*present = true
	if err != nil {
		return nil, fmt.Errorf("%s cannot be read: %w", path, err)
	}

	return data, nil
}
