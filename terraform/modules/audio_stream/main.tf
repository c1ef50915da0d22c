# The speaker's audio, on its way to the translation pipeline: the function
# puts each accepted sendAudio chunk on this stream with the session id as
# partition key (chunks of one session stay in order on one shard); the
# pipeline reads it. On-demand: a broadcast's audio arrives in bursts nobody
# can size shards for in advance.

resource "aws_kinesis_stream" "audio" {
  name             = "${var.name_prefix}-audio"
  retention_period = var.retention_hours

  stream_mode_details {
    stream_mode = "ON_DEMAND"
  }

  # Encrypted at rest; with the AWS managed key (the default) producers and
  # consumers need no KMS permissions of their own.
  encryption_type = "KMS"
  kms_key_id      = var.kms_key_id

  tags = var.tags
}
