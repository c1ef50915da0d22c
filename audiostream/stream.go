package audiostream

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/livecast/sessions/session"
)

// API is the part of the Kinesis client this package uses.
type API interface {
	PutRecord(ctx context.Context, in *kinesis.PutRecordInput, opts ...func(*kinesis.Options)) (*kinesis.PutRecordOutput, error)
	CreateStream(ctx context.Context, in *kinesis.CreateStreamInput, opts ...func(*kinesis.Options)) (*kinesis.CreateStreamOutput, error)
	DescribeStreamSummary(ctx context.Context, in *kinesis.DescribeStreamSummaryInput, opts ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error)
	DeleteStream(ctx context.Context, in *kinesis.DeleteStreamInput, opts ...func(*kinesis.Options)) (*kinesis.DeleteStreamOutput, error)
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, opts ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, opts ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, opts ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// NewClient builds the Kinesis client. Its endpoint comes from the SDK's
// standard variables (AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL). The SDK's
// own retries are off: Stream.Put retries with its own backoff, bounded by
// the request's deadline, and one policy is easier to reason about than two
// stacked ones.
func NewClient(cfg aws.Config, opts ...func(*kinesis.Options)) *kinesis.Client {
	return kinesis.NewFromConfig(cfg, append([]func(*kinesis.Options){func(o *kinesis.Options) { o.RetryMaxAttempts = 1 }}, opts...)...)
}

// Retry bounds Put's retries of throttling and transient failures. Live
// audio that is seconds late is of little use to a listener, and the speaker
// sends several chunks a second, so a chunk gets a short budget rather than
// the function's whole deadline.
type Retry struct {
	Attempts       int           // at most this many requests per chunk; 0 → 5
	Base           time.Duration // first backoff; 0 → 25 ms
	Max            time.Duration // longest backoff; 0 → 400 ms
	AttemptTimeout time.Duration // one request (PutRecord takes ~20 ms); 0 → 1 s
	Budget         time.Duration // no retry starts after this long; 0 → 2 s
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 5
	}
	if r.Base <= 0 {
		r.Base = 25 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 400 * time.Millisecond
	}
	if r.AttemptTimeout <= 0 {
		r.AttemptTimeout = time.Second
	}
	if r.Budget <= 0 {
		r.Budget = 2 * time.Second
	}
	return r
}

// backoff is the wait before retry n (1-based): exponential with full
// jitter, so speakers throttled together do not retry together.
func (r Retry) backoff(n int) time.Duration {
	d := min(r.Base<<(n-1), r.Max)
	return d/2 + rand.N(d/2+1)
}

// Stream is one Kinesis Data Stream of audio records.
type Stream struct {
	api   API
	name  string
	retry Retry
	sleep func(ctx context.Context, d time.Duration) error
}

var _ session.AudioSink = (*Stream)(nil)

// New returns the stream called name.
func New(api API, name string, retry Retry) *Stream {
	return &Stream{api: api, name: name, retry: retry.withDefaults(), sleep: sleepCtx}
}

// Name is the stream's name.
func (s *Stream) Name() string { return s.name }

// Put writes one chunk with the session id as partition key. Throttling
// (ProvisionedThroughputExceededException) and transient failures are
// retried with backoff within the retry budget and the request's deadline;
// what still fails wraps session.ErrUnavailable, so the speaker hears of it.
func (s *Stream) Put(ctx context.Context, chunk session.AudioChunk) error {
	data, err := EncodeRecord(chunk)
	if err != nil {
		return err
	}
	in := &kinesis.PutRecordInput{StreamName: aws.String(s.name), PartitionKey: aws.String(chunk.SessionID), Data: data}
	return s.put(ctx, in, "put audio record")
}

// put writes one record, retrying as Put says.
func (s *Stream) put(ctx context.Context, in *kinesis.PutRecordInput, op string) error {
	var err error
	giveUp := time.Now().Add(s.retry.Budget)
	if deadline, ok := ctx.Deadline(); ok && deadline.Before(giveUp) {
		giveUp = deadline
	}
	for attempt := 1; ; attempt++ {
		if err = s.putOnce(ctx, in, attempt); err == nil {
			return nil
		}
		if ctx.Err() != nil || !retryable(err) || attempt >= s.retry.Attempts {
			break
		}
		wait := s.retry.backoff(attempt)
		if time.Now().Add(wait).After(giveUp) || s.sleep(ctx, wait) != nil {
			break
		}
	}
	return failure(op, err)
}

func (s *Stream) putOnce(ctx context.Context, in *kinesis.PutRecordInput, attempt int) error {
	if attempt > 1 {
		ctx = context.WithValue(ctx, retryKey{}, true)
	}
	ctx, cancel := context.WithTimeout(ctx, s.retry.AttemptTimeout)
	defer cancel()
	_, err := s.api.PutRecord(ctx, in)
	return err
}

// retryable reports whether another attempt may succeed: throttling, the
// service's own failures, and the network.
func retryable(err error) bool {
	var throughput *types.ProvisionedThroughputExceededException
	var kmsThrottled *types.KMSThrottlingException
	var apiErr smithy.APIError
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded): // the attempt's own timeout
		return true
	case errors.Is(err, context.Canceled):
		return false
	case errors.As(err, &throughput), errors.As(err, &kmsThrottled):
		return true
	case errors.As(err, &apiErr):
		switch apiErr.ErrorCode() {
		case "InternalFailure", "ServiceUnavailable", "ThrottlingException", "LimitExceededException":
			return true
		}
		return false
	case errors.As(err, &netErr):
		return true
	default:
		var opErr *smithy.OperationError
		return errors.As(err, &opErr) // a transport failure the SDK wrapped
	}
}

// failure turns a Kinesis error into one the domain understands: anything
// but a malformed request (a bug) means the stream cannot take audio now.
func failure(op string, err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "ValidationException", "InvalidArgumentException", "SerializationException":
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	return fmt.Errorf("%s: %w: %w", op, session.ErrUnavailable, err)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// controlRetries gives the stream's control-plane calls (create, describe,
// list shards: set-up and the loopback's start, never a chunk's path) the
// SDK's own retries of throttling and dropped connections, which NewClient
// switches off for Put. Without them one reset connection fails a start.
func controlRetries(o *kinesis.Options) { o.RetryMaxAttempts = 5 }

// Create makes the stream on-demand (local mode and tests; Terraform owns it
// on AWS) and waits until it is active. An existing stream is success, so a
// retried create whose first attempt landed is done too.
func (s *Stream) Create(ctx context.Context) error {
	_, err := s.api.CreateStream(ctx, &kinesis.CreateStreamInput{
		StreamName:        aws.String(s.name),
		StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand},
	}, controlRetries)
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create stream %s: %w", s.name, err)
	}
	for {
		out, err := s.api.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(s.name)}, controlRetries)
		if err != nil {
			return fmt.Errorf("describe stream %s: %w", s.name, err)
		}
		if out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return nil
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return fmt.Errorf("stream %s not active: %w", s.name, err)
		}
	}
}

// Delete removes the stream (tests only); a missing stream is success.
func (s *Stream) Delete(ctx context.Context) error {
	_, err := s.api.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String(s.name), EnforceConsumerDeletion: aws.Bool(true)}, controlRetries)
	var missing *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &missing) {
		return fmt.Errorf("delete stream %s: %w", s.name, err)
	}
	return nil
}
