package ddbcontention

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// describeTimeout bounds the proxy's own DescribeTable call, which no
// client's deadline covers (concurrent callers share it).
const describeTimeout = 10 * time.Second

// keySchemas learns each table's key attribute names from the upstream with
// DescribeTable, once per table, so the proxy can name the item a Put
// writes without knowing the project's tables.
type keySchemas struct {
	upstream string
	client   *http.Client
	calls    singleflight.Group
	mu       sync.Mutex
	known    map[string][]string // region + "\x00" + table → key attribute names
}

func newKeySchemas(upstream string, transport http.RoundTripper) *keySchemas {
	return &keySchemas{upstream: upstream, client: &http.Client{Transport: transport}, known: map[string][]string{}}
}

// keyNames returns the table's key attribute names. authorization is the
// client's Authorization header, which tells the emulator the region.
func (k *keySchemas) keyNames(ctx context.Context, region, table, authorization string) ([]string, error) {
	id := region + "\x00" + table
	k.mu.Lock()
	names, ok := k.known[id]
	k.mu.Unlock()
	if ok {
		return names, nil
	}
	v, err, _ := k.calls.Do(id, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), describeTimeout)
		defer cancel()
		names, err := k.describe(ctx, table, authorization)
		if err != nil {
			return nil, err
		}
		k.mu.Lock()
		k.known[id] = names
		k.mu.Unlock()
		return names, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]string), nil
}

// forget drops what is known of a table that is being created or deleted:
// a table of the same name may come back with another key schema.
func (k *keySchemas) forget(region, table string) {
	k.mu.Lock()
	delete(k.known, region+"\x00"+table)
	k.mu.Unlock()
}

func (k *keySchemas) describe(ctx context.Context, table, authorization string) ([]string, error) {
	body, err := json.Marshal(map[string]string{"TableName": table})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, k.upstream+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", targetPrefix+"DescribeTable")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("describe table %s: %w", table, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("describe table %s: %w", table, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("describe table %s: HTTP %d: %s", table, resp.StatusCode, raw)
	}
	var out struct {
		Table struct {
			KeySchema []struct{ AttributeName string }
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("describe table %s: %w", table, err)
	}
	names := make([]string, 0, len(out.Table.KeySchema))
	for _, k := range out.Table.KeySchema {
		names = append(names, k.AttributeName)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("describe table %s: no key schema", table)
	}
	return names, nil
}
