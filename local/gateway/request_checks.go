package gateway

import (
	"net/http"
	"strings"
)

// maxURLLength is API Gateway's quota "Length, in characters, of the URL for
// a WebSocket API": 4096, not adjustable ("Quotas for configuring and running
// a WebSocket API in API Gateway", docs.aws.amazon.com/apigateway/latest/
// developerguide/apigateway-execution-service-websocket-limits-table.html).
// It is what bounds the $connect query on AWS: no parameter-count quota is
// documented, so none is invented here; the router caps the count itself.
const maxURLLength = 4096

// urlLength is the length of the URL as the client wrote it: scheme, host and
// request target. Counted in bytes, which a well-formed (percent-encoded) URL
// has as many of as characters; a raw non-ASCII byte only makes it stricter.
func urlLength(r *http.Request) int {
	return len("ws://") + len(r.Host) + len(r.RequestURI)
}

// hasDotSegment reports whether a decoded path has a "." or ".." segment.
// Checking the decoded path catches every spelling at once: plain dots,
// percent-encoded ones (%2e%2e, which RFC 3986 §2.3 makes equivalent) and
// dots behind an encoded slash (x%2F..%2Fid). Such a path is refused rather
// than cleaned: cleaning is what let "@connections/x/../<id>" reach another
// connection's URL through http.ServeMux's redirect.
func hasDotSegment(path string) bool {
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// refuseHostileRequest answers, and returns true for, a request API Gateway
// would not route: a URL over the quota (414: API Gateway's quotas page says
// a request whose URI is over a length limit gets "414 Request URI too long")
// or a path with dot segments (400). It runs before anything else, so no
// event is made and no connection is looked up.
func refuseHostileRequest(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case urlLength(r) > maxURLLength:
		writeJSONMessage(w, http.StatusRequestURITooLong, "Request-URI Too Long")
		return true
	case hasDotSegment(r.URL.Path):
		writeAWSError(w, http.StatusBadRequest, "BadRequestException", "Bad Request")
		return true
	}
	return false
}
