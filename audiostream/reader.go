package audiostream

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// FollowOptions tune Follow.
type FollowOptions struct {
	// From is the arrival time of the first record wanted (AT_TIMESTAMP):
	// records put after it are read even if Follow's iterators are made
	// later. Zero reads each shard from its oldest record (TRIM_HORIZON).
	From time.Time
	// Poll is the least time between two reads of a shard; 0 → 200 ms,
	// Kinesis's limit of five reads a second per shard.
	Poll   time.Duration
	Logger *slog.Logger // nil: discard
}

// Follow reads every shard of the stream until ctx ends, handing each record
// to handle in stream order: one goroutine per shard, and a session's records
// are all on one shard (partition key), so a session's chunks arrive in the
// order they were put. A shard that closes (a resharding) is followed by its
// children. Records that do not decode are logged and skipped; read failures
// are logged and retried after Poll.
func (s *Stream) Follow(ctx context.Context, o FollowOptions, handle func(context.Context, Record)) error {
	if o.Poll <= 0 {
		o.Poll = 200 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	start := types.ShardIteratorTypeTrimHorizon
	if !o.From.IsZero() {
		start = types.ShardIteratorTypeAtTimestamp
	}
	f := &follower{stream: s, opts: o, handle: handle, followed: map[string]bool{}}
	if err := f.followNewShards(ctx, start); err != nil {
		return err
	}
	f.wg.Wait()
	return ctx.Err()
}

type follower struct {
	stream *Stream
	opts   FollowOptions
	handle func(context.Context, Record)

	mu       sync.Mutex
	followed map[string]bool
	wg       sync.WaitGroup
}

// followNewShards starts a reader for every shard not followed yet.
func (f *follower) followNewShards(ctx context.Context, start types.ShardIteratorType) error {
	shards, err := f.stream.shards(ctx)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range shards {
		if f.followed[id] {
			continue
		}
		f.followed[id] = true
		f.wg.Go(func() { f.readShard(ctx, id, start) })
	}
	return nil
}

func (s *Stream) shards(ctx context.Context) ([]string, error) {
	var ids []string
	in := &kinesis.ListShardsInput{StreamName: aws.String(s.name)}
	for {
		out, err := s.api.ListShards(ctx, in, controlRetries)
		if err != nil {
			return nil, failure("list shards", err)
		}
		for _, sh := range out.Shards {
			ids = append(ids, aws.ToString(sh.ShardId))
		}
		if out.NextToken == nil {
			return ids, nil
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
}

// readShard polls one shard until ctx ends or the shard closes.
func (f *follower) readShard(ctx context.Context, shardID string, start types.ShardIteratorType) {
	log := f.opts.Logger.With("shard", shardID)
	var iterator *string
	var last *string // sequence number of the last record handled
	var lastRead time.Time
	for ctx.Err() == nil {
		if iterator == nil {
			in := &kinesis.GetShardIteratorInput{StreamName: aws.String(f.stream.name), ShardId: aws.String(shardID), ShardIteratorType: start}
			if start == types.ShardIteratorTypeAtTimestamp {
				in.Timestamp = aws.Time(f.opts.From)
			}
			if last != nil {
				in.ShardIteratorType, in.StartingSequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, last
			}
			out, err := f.stream.api.GetShardIterator(ctx, in)
			if err != nil {
				log.WarnContext(ctx, "audio stream: get shard iterator failed", "error", err.Error())
				_ = sleepCtx(ctx, f.opts.Poll)
				continue
			}
			iterator = out.ShardIterator
		}
		if err := sleepCtx(ctx, time.Until(lastRead.Add(f.opts.Poll))); err != nil {
			return
		}
		lastRead = time.Now()
		out, err := f.stream.api.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iterator, Limit: aws.Int32(500)})
		var expired *types.ExpiredIteratorException
		switch {
		case errors.As(err, &expired):
			iterator = nil
			continue
		case err != nil:
			if ctx.Err() == nil {
				log.WarnContext(ctx, "audio stream: read failed", "error", err.Error())
			}
			continue
		}
		for _, rec := range out.Records {
			last = rec.SequenceNumber
			r, err := DecodeRecord(rec.Data)
			if err != nil {
				log.WarnContext(ctx, "audio stream: record skipped", "error", err.Error())
				continue
			}
			f.handle(ctx, r)
		}
		if out.NextShardIterator == nil {
			// Closed by a resharding: its children continue from their start.
			if err := f.followNewShards(ctx, types.ShardIteratorTypeTrimHorizon); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "audio stream: listing child shards failed", "error", err.Error())
			}
			return
		}
		iterator = out.NextShardIterator
	}
}
