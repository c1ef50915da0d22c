# Staging: production's shape and limits at a smaller scale, with backups on
# so that restore procedures can be rehearsed.
environment = "staging"

log_retention_days = 3
log_level          = "info"

function_memory_mb       = 512
function_timeout_seconds = 30
# Unreserved: reserving N executions fails on accounts whose Lambda
# concurrency quota is below N + 100 (new accounts may start at 10).
# Check the quota first (terraform/README.md, "Reserved concurrency").
function_reserved_concurrency = -1
tracing_mode                  = "Active"

# The speaker's audio: how long the pipeline can replay it after an outage.
audio_stream_retention_hours = 24

point_in_time_recovery = true
deletion_protection    = false

create_user_pool              = true
user_pool_deletion_protection = false

# Cognito's mail (sign-up codes, password resets) goes through SES here
# once a verified identity exists (AWS calls the default sender unfit for
# production volume); until then the default sender is used:
# cognito_email_from_address = "Livecast <no-reply@your-domain>"
# cognito_ses_identity_arn   = "arn:aws:ses:<region>:<account>:identity/<your-domain>"

throttling_burst_limit = 200
throttling_rate_limit  = 200

# Execution logs: failures only, as in prod.
execution_logging_level = "ERROR"

max_listeners_per_session              = 500
rate_limit_sessions_per_hour           = 50
# A venue's room behind one address gets in (README, "Limits and the venue"):
# joins per address and session, attempts per address.
rate_limit_listener_joins_per_min      = 600
rate_limit_connection_attempts_per_min = 1200
rate_limit_heartbeats_per_min          = 2

# Alarms must reach a person: staging and prod refuse to plan without a
# destination. PLACEHOLDER: ops@example.com receives no mail. Replace it
# before the first deploy with the team's address (who must confirm the
# subscription), or set alarm_topic_arn = "<an existing SNS topic's ARN>"
# instead.
alarm_email = "ops@example.com"

# A rate or latency alarm fires on 2 bad 5-minute periods out of the last 3:
# one burst does not page, a fault lasting ten minutes does.
alarm_evaluation_periods           = 3
alarm_datapoints_to_alarm          = 2
alarm_function_errors_threshold    = 10
alarm_function_throttles_threshold = 5
alarm_api_errors_threshold         = 20
alarm_session_creation_p95_ms      = 2000
alarm_fault_responses_threshold    = 10
