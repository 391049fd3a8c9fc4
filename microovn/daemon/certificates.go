package daemon

import (
	"fmt"
	"time"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/microovn/node"
	"github.com/microovn/microovn/microovn/pki"
)

// certificateTitles names each certificate's section in `certificates list`.
var certificateTitles = map[string]string{
	"ca":                  "OVN CA",
	pki.ServiceNB:         "OVN Northbound Service",
	pki.ServiceSB:         "OVN Southbound Service",
	pki.ServiceNorthd:     "OVN Northd Service",
	pki.ServiceController: "OVN Chassis Service",
	pki.ServiceClient:     "Client",
}

// certificateReports checks the CA and every certificate this member needs.
func (d *Daemon) certificateReports(desired node.Desired) []types.CertificateReport {
	ca, _ := pki.ParseCertificatePEM([]byte(desired.CACert))
	now := time.Now()
	window := d.manager.RenewWindow
	if window == 0 {
		window = pki.DefaultRenewWindow
	}

	reports := []types.CertificateReport{
		toReport("ca", pki.CheckFiles(d.layout.CACert(), "", ca, now, window)),
	}
	for _, name := range desired.Certificates() {
		r := pki.CheckFiles(d.layout.Cert(name), d.layout.Key(name), ca, now, window)
		reports = append(reports, toReport(name, r))
	}

	return reports
}

func toReport(name string, r pki.Report) types.CertificateReport {
	out := types.CertificateReport{Name: name, Title: certificateTitles[name], Path: r.Path,
		KeyPath: r.KeyPath, Present: r.Present, KeyPresent: r.KeyPresent, Serial: r.Serial,
		SignedByCA: r.SignedByCA, KeyMatches: r.KeyMatches, Status: string(r.Status),
		Problem: r.Problem}
	if !r.NotAfter.IsZero() {
		out.NotAfter = r.NotAfter.UTC().Format(time.RFC3339)
	}

	return out
}

// certificateWarnings returns one line for each certificate that is not healthy.
func (d *Daemon) certificateWarnings(desired node.Desired) []string {
	var out []string
	for _, r := range d.certificateReports(desired) {
		if r.Status != string(pki.StatusOK) {
			out = append(out, fmt.Sprintf("certificate %s on %s: %s", r.Name, desired.Member,
				r.Problem))
		}
	}

	return out
}
