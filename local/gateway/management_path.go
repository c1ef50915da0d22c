package gateway

import (
	"net/url"
	"strings"
)

// managementPath classifies a request path for @connections.
type managementPath int

const (
	// notManagement: no segment names @connections; the request is an
	// upgrade or goes to Options.Extra.
	notManagement managementPath = iota
	// connectionPath: /@connections/{id} or /{stage}/@connections/{id}.
	connectionPath
	// malformedManagement names @connections in any other shape (an empty
	// segment, extra segments, no id). It is refused with 400 rather than
	// passed on, where http.ServeMux would clean it and redirect the caller
	// to a path that may name another connection.
	malformedManagement
)

// parseManagementPath recognises @connections calls at /@connections/{id}
// (BaseEndpoint without a stage) and /{stage}/@connections/{id} (the AWS
// shape). It works on the escaped path so an id containing an escaped "/"
// stays one segment, and accepts "@" escaped as %40, as some clients send it.
// A path that names @connections only once decoded ("/@connections%2F%2Fid")
// is malformed too: a mux would clean it into a connection's URL. Dot
// segments are refused before this runs (refuseHostileRequest).
func parseManagementPath(u *url.URL) (string, managementPath) {
	id, kind := parseEscapedPath(u.EscapedPath())
	if kind == notManagement && hasConnectionsSegment(u.Path) {
		return "", malformedManagement
	}
	return id, kind
}

func parseEscapedPath(escapedPath string) (string, managementPath) {
	parts := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	at := -1
	for i, p := range parts {
		if isConnectionsSegment(p) {
			if at >= 0 {
				return "", malformedManagement
			}
			at = i
		}
	}
	switch {
	case at < 0:
		return "", notManagement
	case at > 1, at != len(parts)-2, at == 1 && parts[0] == "":
		return "", malformedManagement
	}
	id, err := url.PathUnescape(parts[at+1])
	if err != nil || id == "" {
		return "", malformedManagement
	}
	return id, connectionPath
}

func isConnectionsSegment(seg string) bool {
	s, err := url.PathUnescape(seg)
	return err == nil && s == "@connections"
}

func hasConnectionsSegment(decodedPath string) bool {
	for seg := range strings.SplitSeq(decodedPath, "/") {
		if seg == "@connections" {
			return true
		}
	}
	return false
}
