package gateway

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/coder/websocket"
)

// isUpgrade reports whether r asks for a WebSocket; only such requests reach
// $connect, everything else is plain HTTP.
func isUpgrade(r *http.Request) bool {
	return headerHasToken(r.Header, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// validHandshake rejects malformed upgrades before $connect runs, as API
// Gateway does: the product never hears of a handshake that could not succeed.
func validHandshake(r *http.Request) bool {
	if r.Method != http.MethodGet || !r.ProtoAtLeast(1, 1) {
		return false
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") {
		return false
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		return false
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return false
	}
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0]))
	return err == nil && len(k) == 16
}

// serveUpgrade runs $connect while the client waits, then either completes
// the upgrade or answers with the product's status and body. The connection
// exists for @connections only once $connect has accepted it, which is why
// posts during $connect answer 410, as on AWS.
func (s *Server) serveUpgrade(w http.ResponseWriter, r *http.Request) {
	if !validHandshake(r) {
		writeJSONMessage(w, http.StatusBadRequest, "Bad Request")
		return
	}
	now := s.opts.Now()
	info := connInfo{
		id:          newID(),
		domain:      r.Host,
		sourceIP:    sourceIP(r.RemoteAddr),
		userAgent:   r.UserAgent(),
		connectedAt: now,
	}
	ev := s.connectEvent(r, info, now)
	resp, err := s.invoke(s.invokeCtx, &ev)
	if err != nil {
		s.log.Error("gateway: $connect failed", "connection", logID(info.id), "err", err)
		writeJSONMessage(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode <= 599:
		refuse(w, resp)
		return
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// No status (e.g. a null or empty response) or not a final HTTP
		// status: a malformed integration response, which AWS answers with 500.
		s.log.Error("gateway: $connect returned no valid statusCode", "connection", logID(info.id), "statusCode", resp.StatusCode)
		writeJSONMessage(w, http.StatusInternalServerError, "Internal server error")
		return
	}

	watch := newFrameWatcher(int64(s.opts.FrameLimit))
	c := newConnection(s, watch, info)
	// Registered before the 101 goes out, but @connections calls wait on
	// c.ready: once a client sees its socket open, posts to it succeed.
	if !s.register(c) {
		// Close began during $connect; the product accepted the connection,
		// so it hears $disconnect like every connection Close ends.
		writeJSONMessage(w, http.StatusServiceUnavailable, "Service Unavailable")
		s.wg.Go(func() { s.disconnect(info, closeGoingAway, reasonGoingAway) })
		return
	}
	ws, err := websocket.Accept(&hijackWriter{ResponseWriter: w, watch: watch}, r, &websocket.AcceptOptions{
		// API Gateway does not check Origin; browsers on a dev server's
		// origin must be able to connect, as they can on AWS.
		InsecureSkipVerify: true,
		// On AWS the $connect response selects the subprotocol.
		Subprotocols: responseSubprotocols(resp),
	})
	if err != nil {
		// The product accepted a connection that never opened (client gone):
		// tell it, as API Gateway does for connections that drop.
		s.log.Warn("gateway: upgrade failed after $connect", "connection", logID(info.id), "err", err)
		s.unregister(info.id)
		close(c.ready)
		s.wg.Go(func() { s.disconnect(info, closeAbnormal, "") })
		return
	}
	ws.SetReadLimit(int64(s.opts.MessageLimit))
	c.open(ws)
}

// refuse answers a refused $connect with the product's status and body;
// API Gateway sends the body as JSON whatever the product declared.
func refuse(w http.ResponseWriter, resp *events.APIGatewayProxyResponse) {
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if b, err := base64.StdEncoding.DecodeString(resp.Body); err == nil {
			body = b
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

func responseSubprotocols(resp *events.APIGatewayProxyResponse) []string {
	var out []string
	for k, v := range resp.Headers {
		if strings.EqualFold(k, "Sec-WebSocket-Protocol") {
			out = append(out, strings.TrimSpace(v))
		}
	}
	for k, vs := range resp.MultiValueHeaders {
		if strings.EqualFold(k, "Sec-WebSocket-Protocol") {
			for _, v := range vs {
				out = append(out, strings.TrimSpace(v))
			}
		}
	}
	return out
}
