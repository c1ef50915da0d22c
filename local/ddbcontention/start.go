package ddbcontention

// TB is the part of testing.TB that Start needs.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Start starts a proxy in front of upstreamURL for one test and closes it
// when the test ends:
//
//	proxy := ddbcontention.Start(t, moto.URL, ddbcontention.Options{})
//	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", proxy.URL())
func Start(t TB, upstreamURL string, opts Options) *Proxy {
	t.Helper()
	p, err := New(upstreamURL, opts)
	if err != nil {
		t.Fatalf("start DynamoDB contention proxy: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}
