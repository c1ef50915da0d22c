output "stream_name" {
  description = "Name of the audio stream (AUDIO_STREAM_NAME of the function)."
  value       = aws_kinesis_stream.audio.name
}

output "stream_arn" {
  description = "ARN of the audio stream, for the function's put permission and the pipeline's read permission."
  value       = aws_kinesis_stream.audio.arn
}

output "configuration" {
  description = "What was built: capacity mode, retention and encryption."
  value = {
    stream_mode     = one(aws_kinesis_stream.audio.stream_mode_details[*].stream_mode)
    retention_hours = aws_kinesis_stream.audio.retention_period
    encryption_type = aws_kinesis_stream.audio.encryption_type
    kms_key_id      = aws_kinesis_stream.audio.kms_key_id
  }
}
