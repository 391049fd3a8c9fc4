// Package securitylog marks and filters the daemon's security events: entries
// logged with the attribute security=true record who (the member) did what
// (bootstrap, join, removal, service, config, CA and certificate changes, start and
// stop) and the outcome.
package securitylog

import (
	"context"
	"log/slog"
)

// Key is the attribute that marks a log entry as a security event.
const Key = "security"

// Filter wraps a handler and drops security events when disabled is true.
type Filter struct {
	slog.Handler
	disabled bool
}

// New returns a handler that passes everything to next, except security events
// when disabled.
func New(next slog.Handler, disabled bool) slog.Handler {
	return Filter{Handler: next, disabled: disabled}
}

// Handle drops the record when it is a security event and events are disabled.
func (f Filter) Handle(ctx context.Context, r slog.Record) error {
	if f.disabled && isSecurityEvent(r) {
		return nil
	}

	return f.Handler.Handle(ctx, r)
}

// WithAttrs keeps the filter on derived handlers.
func (f Filter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return Filter{Handler: f.Handler.WithAttrs(attrs), disabled: f.disabled}
}

// WithGroup keeps the filter on derived handlers.
func (f Filter) WithGroup(name string) slog.Handler {
	return Filter{Handler: f.Handler.WithGroup(name), disabled: f.disabled}
}

func isSecurityEvent(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == Key && a.Value.Kind() == slog.KindBool && a.Value.Bool() {
			found = true
			return false
		}

		return true
	})

	return found
}
