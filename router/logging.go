package router

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/livecast/sessions/session"
)

// TruncateIP keeps only the network part of an address for logs (docs/SPEC.md R19):
// IPv4 to /24, IPv6 to /48. Anything unparsable is dropped.
func TruncateIP(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	bits := 48
	if addr.Is4() || addr.Is4In6() {
		addr, bits = addr.Unmap(), 24
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// logOutcome writes one line per handled event: refusals at warn with their
// reason, faults (internal errors, unavailable dependencies) at error with
// the whole cause chain.
func (r *Router) logOutcome(ctx context.Context, op, correlationID string, start time.Time, err error, attrs ...any) {
	attrs = append(attrs, "operation", op, "correlationId", correlationID, "durationMs", float64(r.now().Sub(start).Microseconds())/1000)
	if err == nil {
		r.log.InfoContext(ctx, op+" ok", attrs...)
		return
	}
	code := session.ErrorCode(err)
	attrs = append(attrs, "errorCode", code)
	// SESSION_FULL answers 503 too, but it is a refusal, not a fault.
	if code == session.CodeInternal || code == session.CodeServiceUnavailable {
		attrs = append(attrs, "cause", causeChain(err))
		r.log.ErrorContext(ctx, op+" failed", attrs...)
		return
	}
	var e *session.Error
	if errors.As(err, &e) {
		attrs = append(attrs, "reason", e.Message)
	}
	r.log.WarnContext(ctx, op+" refused", attrs...)
}

func causeChain(err error) []string {
	var chain []string
	for err != nil {
		chain = append(chain, err.Error())
		err = errors.Unwrap(err)
	}
	return chain
}
