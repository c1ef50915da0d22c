// Package audiostream carries speakers' audio to the translation pipeline
// over an Amazon Kinesis Data Stream: the record format (the contract with
// the pipeline, record.go), the producer that implements session.AudioSink,
// and the reader local mode's loopback uses in place of the pipeline. It is
// the only package that knows Kinesis, as store is the only one that knows
// DynamoDB.
package audiostream
