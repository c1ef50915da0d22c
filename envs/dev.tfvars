# Development: cheap, short-lived, easy to tear down; relaxed rate limits so
# developers can script sessions and joins.
environment = "dev"

# Logs: the design's 12 hours, rounded up to CloudWatch's smallest value.
log_retention_days = 1
log_level          = "debug"

function_memory_mb       = 256
function_timeout_seconds = 30
# Unreserved: reserving N executions fails on accounts whose Lambda
# concurrency quota is below N + 100 (new accounts may start at 10).
# Check the quota first (terraform/README.md, "Reserved concurrency").
function_reserved_concurrency = -1
tracing_mode                  = "PassThrough"

# The speaker's audio: how long the pipeline can replay it after an outage.
audio_stream_retention_hours = 24

point_in_time_recovery = false
deletion_protection    = false

create_user_pool              = true
user_pool_deletion_protection = false

throttling_burst_limit = 100
throttling_rate_limit  = 50

# Execution logs: every step of every request, for debugging (low traffic).
execution_logging_level = "INFO"

max_listeners_per_session              = 50
rate_limit_sessions_per_hour           = 200
rate_limit_listener_joins_per_min      = 60
rate_limit_connection_attempts_per_min = 120
rate_limit_heartbeats_per_min          = 4

# Alarms: dev may go without a destination (the topic exists; subscribe
# yourself with alarm_email if you want the mail).
# A rate or latency alarm fires on 2 bad 5-minute periods out of the last 3:
# one burst does not page, a fault lasting ten minutes does.
alarm_evaluation_periods           = 3
alarm_datapoints_to_alarm          = 2
alarm_function_errors_threshold    = 20
alarm_function_throttles_threshold = 10
alarm_api_errors_threshold         = 50
alarm_session_creation_p95_ms      = 2000
alarm_fault_responses_threshold    = 20
