package terraform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
)

// X-Amz-Targets of the calls after which moto loses what AWS keeps.
const (
	createStreamTarget   = "Kinesis_20131202.CreateStream"
	updateUserPoolTarget = "AWSCognitoIdentityProviderService.UpdateUserPool"
)

// streamTagsKey carries the Tags of a CreateStream request to its response.
type streamTagsKey struct{}

// startTagKeepingProxy puts a reverse proxy in front of moto (on 127.0.0.1,
// a free port, closed when the test ends) that keeps tags where AWS keeps
// them and moto 5.2.1 loses them, since the provider's read after the call
// would find none and every plan after apply would want them back:
//   - Kinesis CreateStream drops its Tags: once moto has answered 200, the
//     proxy adds them before the provider sees the answer;
//   - Cognito UpdateUserPool resets the pool's tags and its username
//     attributes (moto rebuilds the whole pool configuration from the
//     request): the proxy adds the pool's current ones to the request.
//
// Everything else passes through untouched.
func startTagKeepingProxy(t *testing.T, motoURL string, aws *emulator) string {
	t.Helper()
	target, err := url.Parse(motoURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target); r.Out.Host = r.In.Host },
		ModifyResponse: func(resp *http.Response) error {
			req, ok := resp.Request.Context().Value(streamTagsKey{}).(createStream)
			if !ok || resp.StatusCode != http.StatusOK || len(req.Tags) == 0 {
				return nil
			}
			if err := aws.tagStream(req.StreamName, req.Tags); err != nil {
				return fmt.Errorf("keep the tags of stream %s: %w", req.StreamName, err)
			}
			return nil
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == createStreamTarget {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			var req createStream
			if err := json.Unmarshal(body, &req); err == nil {
				r = r.WithContext(context.WithValue(r.Context(), streamTagsKey{}, req))
			}
		}
		if r.Header.Get("X-Amz-Target") == updateUserPoolTarget {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = keepPoolSettings(aws, body)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// createStream is what the proxy reads of a CreateStream request.
type createStream struct {
	StreamName string
	Tags       map[string]string
}

// poolKept are what UpdateUserPool cannot change, so AWS keeps them, while
// moto rebuilds the pool's configuration from the request and forgets them
// (the provider sends tags on update only when they change).
var poolKept = []string{"UsernameAttributes", "AliasAttributes", "UsernameConfiguration", "UserPoolTags"}

// keepPoolSettings returns an UpdateUserPool request body carrying the
// pool's current poolKept settings where the request has none. Unreadable
// bodies pass unchanged: moto then answers them as it would have.
func keepPoolSettings(aws *emulator, body []byte) []byte {
	var req map[string]any
	if json.Unmarshal(body, &req) != nil {
		return body
	}
	var pool struct{ UserPool map[string]any }
	if err := aws.awsJSON("cognito-idp", "AWSCognitoIdentityProviderService.DescribeUserPool", map[string]any{"UserPoolId": req["UserPoolId"]}, &pool); err != nil {
		return body
	}
	for _, k := range poolKept {
		if v, ok := pool.UserPool[k]; ok && req[k] == nil {
			req[k] = v
		}
	}
	out, err := json.Marshal(req)
	if err != nil {
		return body
	}
	return out
}
