package ddbcontention

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// judge applies the conflict rule of the request's operation; operations
// without one are forwarded in their turn.
func (p *Proxy) judge(w http.ResponseWriter, r *http.Request, op string, body []byte) {
	authorization := r.Header.Get("Authorization")
	region := regionOf(authorization)
	switch op {
	case opTransactWriteItems:
		p.transactWrite(w, r, p.identify(r.Context(), region, authorization, itemsOf(op, body)))
	case opTransactGetItems:
		p.transactGet(w, r, p.identify(r.Context(), region, authorization, itemsOf(op, body)))
	case opPutItem, opUpdateItem, opDeleteItem:
		p.singleWrite(w, r, p.identify(r.Context(), region, authorization, itemsOf(op, body)))
	case opBatchWriteItem:
		p.forward(w, r, p.admit(p.identify(r.Context(), region, authorization, itemsOf(op, body))))
	case opCreateTable, opDeleteTable:
		var table struct{ TableName string }
		if json.Unmarshal(body, &table) == nil {
			p.schemas.forget(region, table.TableName)
		}
		p.forward(w, r, p.admit(nil))
	default:
		p.forward(w, r, p.admit(nil))
	}
}

// identify names the items a request touches; nil where it cannot (the
// emulator will judge that request).
func (p *Proxy) identify(ctx context.Context, region, authorization string, refs []*itemRef) []*itemID {
	ids := make([]*itemID, len(refs))
	for i, ref := range refs {
		if ref == nil || ref.TableName == "" {
			continue
		}
		var key string
		var ok bool
		switch {
		case ref.Key != nil:
			key, ok = canonicalKey(ref.Key, nil)
		case ref.Item != nil:
			names, err := p.schemas.keyNames(ctx, region, ref.TableName, authorization)
			if err != nil {
				continue
			}
			key, ok = canonicalKey(ref.Item, names)
		}
		if ok {
			ids[i] = &itemID{region: region, table: ref.TableName, key: key}
		}
	}
	return ids
}

// transactWrite cancels a write transaction that names an item another one
// holds, or holds its items and forwards it.
func (p *Proxy) transactWrite(w http.ResponseWriter, r *http.Request, ids []*itemID) {
	conflicts := make([]bool, len(ids))
	p.mu.Lock()
	n := 0
	for i, id := range ids {
		if id != nil && p.held[*id] > 0 {
			conflicts[i] = true
			n++
		}
	}
	if n > 0 {
		p.counts.transactionsCancelled++
		p.counts.conflictingItems += int64(n)
		p.mu.Unlock()
		writeError(w, p.requestID(), cancelledBody(conflicts))
		return
	}
	p.counts.transactionsForwarded++
	f := p.admitLocked(nil)
	if p.hold > 0 {
		holding := distinct(ids)
		for _, id := range holding {
			p.held[id]++
		}
		released := make(chan struct{})
		f.released = released
		time.AfterFunc(p.hold, func() {
			p.mu.Lock()
			for _, id := range holding {
				if p.held[id]--; p.held[id] <= 0 {
					delete(p.held, id)
				}
			}
			p.mu.Unlock()
			close(released)
		})
	}
	p.mu.Unlock()
	p.forward(w, r, f)
}

// transactGet cancels a read transaction that names an item a write
// transaction holds or a single or batch write is applying.
func (p *Proxy) transactGet(w http.ResponseWriter, r *http.Request, ids []*itemID) {
	conflicts := make([]bool, len(ids))
	p.mu.Lock()
	n := 0
	for i, id := range ids {
		if id != nil && (p.held[*id] > 0 || p.writing[*id] > 0) {
			conflicts[i] = true
			n++
		}
	}
	if n > 0 {
		p.counts.readTransactionsCancelled++
		p.counts.conflictingItems += int64(n)
		p.mu.Unlock()
		writeError(w, p.requestID(), cancelledBody(conflicts))
		return
	}
	f := p.admitLocked(nil)
	p.mu.Unlock()
	p.forward(w, r, f)
}

// singleWrite refuses a PutItem, UpdateItem or DeleteItem on an item a write
// transaction holds; other single writes never stand in its way.
func (p *Proxy) singleWrite(w http.ResponseWriter, r *http.Request, ids []*itemID) {
	p.mu.Lock()
	if len(ids) == 1 && ids[0] != nil && p.held[*ids[0]] > 0 {
		p.counts.singleWritesRefused++
		p.mu.Unlock()
		writeError(w, p.requestID(), conflictBody())
		return
	}
	f := p.admitLocked(ids)
	p.mu.Unlock()
	p.forward(w, r, f)
}

// admit gives a request its turn in the lane; writes lists the items it
// writes outside a transaction.
func (p *Proxy) admit(writes []*itemID) *flight {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.admitLocked(writes)
}

func (p *Proxy) admitLocked(writes []*itemID) *flight {
	f := &flight{after: p.tail, done: make(chan struct{}), writes: distinct(writes)}
	p.tail = f.done
	return f
}

// markWriting counts the items of single and batch writes while the
// emulator applies them: that is when they are ongoing for a read
// transaction.
func (p *Proxy) markWriting(ids []itemID, delta int) {
	if len(ids) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		if p.writing[id] += delta; p.writing[id] <= 0 {
			delete(p.writing, id)
		}
	}
}

// distinct drops unnamed items and repeats: a transaction naming one item
// twice is the emulator's to refuse, and holds it once.
func distinct(ids []*itemID) []itemID {
	var out []itemID
	seen := map[itemID]bool{}
	for _, id := range ids {
		if id != nil && !seen[*id] {
			seen[*id] = true
			out = append(out, *id)
		}
	}
	return out
}

// regionOf reads the region from a SigV4 Authorization header
// ("... Credential=KEY/DATE/REGION/SERVICE/aws4_request, ..."); the
// emulator keeps one database per region.
func regionOf(authorization string) string {
	_, credential, ok := strings.Cut(authorization, "Credential=")
	if !ok {
		return ""
	}
	credential, _, _ = strings.Cut(credential, ",")
	parts := strings.Split(credential, "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[2]
}
