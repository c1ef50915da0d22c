output "websocket_url" {
  description = "wss:// URL speakers and listeners connect to."
  value       = module.websocket_api.websocket_url
}

output "connections_endpoint" {
  description = "https:// endpoint of the @connections management API (the function's WEBSOCKET_ENDPOINT)."
  value       = module.websocket_api.connections_endpoint
}

output "api_id" {
  description = "Id of the WebSocket API."
  value       = module.websocket_api.api_id
}

output "stage_name" {
  description = "Stage of the WebSocket API."
  value       = local.stage_name
}

output "function_name" {
  description = "Name of the session service function."
  value       = module.function.function_name
}

output "function_arn" {
  description = "ARN of the session service function (the audio pipeline invokes it for fan-out)."
  value       = module.function.function_arn
}

output "audio_stream_name" {
  description = "Kinesis stream the function puts the speaker's audio on (partition key: session id); the translation pipeline reads it."
  value       = module.audio_stream.stream_name
}

output "audio_stream_arn" {
  description = "ARN of the audio stream, for the pipeline's read permissions."
  value       = module.audio_stream.stream_arn
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the application's metrics in this environment."
  value       = local.metrics_namespace
}

output "sessions_table_name" {
  description = "Name of the Sessions table."
  value       = module.tables.sessions_table_name
}

output "connections_table_name" {
  description = "Name of the Connections table."
  value       = module.tables.connections_table_name
}

output "rate_limits_table_name" {
  description = "Name of the RateLimits table."
  value       = module.tables.rate_limits_table_name
}

output "user_pool_id" {
  description = "Cognito user pool the speakers sign in to."
  value       = local.user_pool_id
}

output "client_id" {
  description = "Cognito app client id of the speaker clients."
  value       = local.client_id
}

output "alarm_topic_arn" {
  description = "SNS topic receiving the alarms."
  value       = module.monitoring.alarm_topic_arn
}

output "async_failures_queue_url" {
  description = "SQS queue holding asynchronous invocations (welcomes, sweeps) that failed for good, 14 days; its depth alarms."
  value       = module.function.async_failures_queue_url
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the service."
  value       = module.monitoring.dashboard_name
}
