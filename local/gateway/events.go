package gateway

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Event field values API Gateway uses.
const (
	routeConnect    = "$connect"
	routeDisconnect = "$disconnect"
	routeDefault    = "$default"

	apiID = "local"

	// requestTimeLayout is API Gateway's CLF-style requestTime.
	requestTimeLayout = "02/Jan/2006:15:04:05 -0700"
)

// connInfo is what every event of one connection repeats.
type connInfo struct {
	id          string
	domain      string
	sourceIP    string
	userAgent   string
	connectedAt time.Time
}

// newID returns an id shaped like API Gateway's connection, request and
// message ids: 16 characters of base64 ending in "=". The URL-safe alphabet
// keeps ids usable in @connections paths without escaping.
func newID() string {
	var b [11]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand docs)
	return base64.URLEncoding.EncodeToString(b[:])
}

// sourceIP is the TCP peer; X-Forwarded-For is client-controlled and API
// Gateway does not trust it either.
func sourceIP(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

func (s *Server) requestContext(info connInfo, route, eventType string, now time.Time) events.APIGatewayWebsocketProxyRequestContext {
	reqID := newID()
	return events.APIGatewayWebsocketProxyRequestContext{
		RouteKey:          route,
		EventType:         eventType,
		ExtendedRequestID: reqID,
		RequestTime:       now.UTC().Format(requestTimeLayout),
		MessageDirection:  "IN",
		Stage:             s.opts.Stage,
		ConnectedAt:       info.connectedAt.UnixMilli(),
		RequestTimeEpoch:  now.UnixMilli(),
		Identity: events.APIGatewayRequestIdentity{
			SourceIP:  info.sourceIP,
			UserAgent: info.userAgent,
		},
		RequestID:    reqID,
		DomainName:   info.domain,
		ConnectionID: info.id,
		APIID:        apiID,
	}
}

func (s *Server) connectEvent(r *http.Request, info connInfo, now time.Time) events.APIGatewayWebsocketProxyRequest {
	headers, multiHeaders := eventHeaders(r, info.sourceIP)
	query, multiQuery := queryParameters(r.URL.RawQuery)
	return events.APIGatewayWebsocketProxyRequest{
		Headers:                         headers,
		MultiValueHeaders:               multiHeaders,
		QueryStringParameters:           query,
		MultiValueQueryStringParameters: multiQuery,
		RequestContext:                  s.requestContext(info, routeConnect, "CONNECT", now),
	}
}

func (s *Server) messageEvent(info connInfo, route, body string, base64Encoded bool, now time.Time) events.APIGatewayWebsocketProxyRequest {
	rc := s.requestContext(info, route, "MESSAGE", now)
	rc.MessageID = newID()
	return events.APIGatewayWebsocketProxyRequest{
		RequestContext:  rc,
		Body:            body,
		IsBase64Encoded: base64Encoded,
	}
}

func (s *Server) disconnectEvent(info connInfo, code int, reason string, now time.Time) events.APIGatewayWebsocketProxyRequest {
	rc := s.requestContext(info, routeDisconnect, "DISCONNECT", now)
	rc.DisconnectStatusCode = int64(code)
	rc.DisconnectReason = &reason
	// The headers AWS sends with $disconnect: only Host carries a value.
	headers := map[string]string{"Host": info.domain, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
	multi := make(map[string][]string, len(headers))
	for k, v := range headers {
		multi[k] = []string{v}
	}
	return events.APIGatewayWebsocketProxyRequest{
		Headers:           headers,
		MultiValueHeaders: multi,
		RequestContext:    rc,
	}
}

// eventHeaders converts the upgrade request's headers. Go canonicalises
// header names (Sec-Websocket-Key), so the product must look headers up
// case-insensitively — which it must do on AWS too, where clients differ.
// In the single-value map the last value wins, as in API Gateway.
func eventHeaders(r *http.Request, sourceIP string) (map[string]string, map[string][]string) {
	multi := make(map[string][]string, len(r.Header)+4)
	for k, vs := range r.Header {
		multi[k] = append([]string(nil), vs...)
	}
	// net/http moves Host out of the header map; API Gateway keeps it.
	multi["Host"] = []string{r.Host}
	// API Gateway appends the peer to any X-Forwarded-For the client sent.
	xff := sourceIP
	if prev := r.Header.Values("X-Forwarded-For"); len(prev) > 0 {
		xff = strings.Join(prev, ", ") + ", " + sourceIP
	}
	multi["X-Forwarded-For"] = []string{xff}
	multi["X-Forwarded-Proto"] = []string{"http"}
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(addr.String()); err == nil {
			multi["X-Forwarded-Port"] = []string{port}
		}
	}
	single := make(map[string]string, len(multi))
	for k, vs := range multi {
		if len(vs) > 0 {
			single[k] = vs[len(vs)-1]
		}
	}
	return single, multi
}

// queryParameters converts a raw query string the way API Gateway fills
// queryStringParameters (last value wins) and multiValueQueryStringParameters
// (every value, in order). Undecodable escapes are kept as written rather
// than dropping the pair, pairs with an empty name are skipped, and invalid
// UTF-8 is replaced so the maps hold exactly what the product will see after
// JSON encoding. Both maps are nil when there are no parameters, so the
// fields are omitted from the event as on AWS.
func queryParameters(raw string) (map[string]string, map[string][]string) {
	var single map[string]string
	var multi map[string][]string
	for pair := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(pair, "=")
		k = queryUnescape(k)
		if k == "" {
			continue
		}
		v = queryUnescape(v)
		if single == nil {
			single = make(map[string]string)
			multi = make(map[string][]string)
		}
		single[k] = v
		multi[k] = append(multi[k], v)
	}
	return single, multi
}

func queryUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		s = u
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// logID is how a connection id appears in the emulator's logs: hashed, as the
// service logs it, because a raw id lets a log reader post to the connection.
func logID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:8])
}
