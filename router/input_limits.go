package router

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/livecast/sessions/session"
)

// The router re-applies the limits API Gateway applies at the door. On AWS
// the function cannot tell an event API Gateway vetted from one that reached
// it some other way (a console test invoke, a misrouted integration), and
// the local gateway is only as faithful as it was written; so bounds the
// protocol relies on are checked here too, before the domain sees anything.

// maxQueryBytes bounds a $connect query: API Gateway refuses WebSocket URLs
// over 4096 characters (quota "Length, in characters, of the URL for a
// WebSocket API"), so no genuine query is longer. Counted decoded, as names
// and values plus one separator each, which never exceeds the raw query.
const maxQueryBytes = 4096

// maxQueryParameters bounds how many name=value pairs a $connect query may
// carry. The protocol's longest query (createSession with every option) has
// seven; the rest is room for clients' own additions such as cache busters.
// API Gateway documents no such cap: 4096 characters still fit 2,000 pairs.
const maxQueryParameters = 32

// checkQuery refuses a $connect query over the size or parameter-count cap
// with INVALID_PARAMETERS naming the query.
func checkQuery(q map[string][]string) error {
	size, count := 0, 0
	for name, values := range q {
		if len(values) == 0 {
			values = []string{""} // a bare name still occupies a pair
		}
		for _, v := range values {
			size += len(name) + len(v) + len("=&")
			count++
		}
	}
	switch {
	case count > maxQueryParameters:
		return queryError(fmt.Sprintf("Query string has more than %d parameters", maxQueryParameters))
	case size > maxQueryBytes:
		return queryError(fmt.Sprintf("Query string is longer than %d bytes", maxQueryBytes))
	}
	return nil
}

func queryError(msg string) error {
	return &session.Error{Code: session.CodeInvalidParameters, Field: "query", Message: msg}
}

// checkMessageText refuses a MESSAGE body that is not UTF-8 text. API Gateway
// should never pass one (RFC 6455 §8.1 closes such connections with 1007),
// and invalid bytes cannot even survive the event's JSON: encoding/json, on
// either side, replaces them with U+FFFD. So U+FFFD is refused as well, as
// the mark of bytes already repaired; no protocol field carries it, the
// fields being names, language codes, numbers and base64.
func checkMessageText(body string) error {
	if !utf8.ValidString(body) || strings.ContainsRune(body, utf8.RuneError) {
		return &session.Error{Code: session.CodeInvalidParameters, Message: "Message is not valid UTF-8 text"}
	}
	return nil
}
