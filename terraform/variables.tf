# ---------------------------------------------------------------------------
# Deployment
# ---------------------------------------------------------------------------

variable "environment" {
  description = "Environment name; prefixes every resource name (dev, staging or prod)."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "project" {
  description = "Project name, second part of every resource name (<environment>-<project>-...)."
  type        = string
  default     = "livecast"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region to deploy to; null takes it from the AWS settings (AWS_REGION, the profile)."
  type        = string
  default     = null

  validation {
    condition     = var.region == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1, or null."
  }
}

variable "tags" {
  description = "Extra tags for every resource (Environment, Project and ManagedBy are always set)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------
# Function
# ---------------------------------------------------------------------------

variable "package_path" {
  description = "Deployment zip with the arm64 executable \"bootstrap\" at its root; null means build/bootstrap.zip at the repository root (what make package builds)."
  type        = string
  default     = null
}

variable "function_memory_mb" {
  description = "Memory of the function in MB."
  type        = number
  default     = 256

  validation {
    condition     = var.function_memory_mb >= 128 && var.function_memory_mb <= 10240
    error_message = "function_memory_mb must be between 128 and 10240."
  }
}

variable "function_timeout_seconds" {
  description = "Timeout of the function in seconds (bounds the sweep and fan-out)."
  type        = number
  default     = 30

  validation {
    condition     = var.function_timeout_seconds >= 3 && var.function_timeout_seconds <= 900
    error_message = "function_timeout_seconds must be between 3 and 900."
  }
}

variable "function_reserved_concurrency" {
  description = "Reserved concurrency of the function; -1 (the default) leaves it unreserved. Reserving N needs an account concurrency quota of at least N + 100 (Lambda keeps 100 unreserved): check it first (README, \"Reserved concurrency\")."
  type        = number
  default     = -1

  validation {
    condition     = var.function_reserved_concurrency >= -1 && floor(var.function_reserved_concurrency) == var.function_reserved_concurrency
    error_message = "function_reserved_concurrency must be -1 or a whole number of executions."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing of the function: PassThrough or Active."
  type        = string
  default     = "PassThrough"

  validation {
    condition     = contains(["PassThrough", "Active"], var.tracing_mode)
    error_message = "tracing_mode must be PassThrough or Active."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's and the API's log groups in days. The design asks for 12 hours, but CloudWatch Logs keeps whole days only: 1 day is the smallest allowed value and the default."
  type        = number
  default     = 1

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of the function: debug, info, warn or error."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be debug, info, warn or error."
  }
}

variable "sweep_schedule_expression" {
  description = "EventBridge schedule of the sweep (heartbeat timeouts, refresh warnings, expired sessions); null disables it."
  type        = string
  default     = "rate(1 minute)"
}

# ---------------------------------------------------------------------------
# Application settings (passed to the function as environment variables)
# ---------------------------------------------------------------------------

variable "max_listeners_per_session" {
  description = "MAX_LISTENERS_PER_SESSION: listeners one session admits."
  type        = number
  default     = 500

  validation {
    condition     = var.max_listeners_per_session >= 1 && floor(var.max_listeners_per_session) == var.max_listeners_per_session
    error_message = "max_listeners_per_session must be a positive whole number."
  }
}

variable "session_max_duration_hours" {
  description = "SESSION_MAX_DURATION_HOURS: lifetime of a session unless refreshed."
  type        = number
  default     = 2

  validation {
    condition     = var.session_max_duration_hours >= 1 && var.session_max_duration_hours <= 24 && floor(var.session_max_duration_hours) == var.session_max_duration_hours
    error_message = "session_max_duration_hours must be a whole number between 1 and 24."
  }
}

variable "connection_max_duration_hours" {
  description = "CONNECTION_MAX_DURATION_HOURS: API Gateway's connection limit (2 hours on AWS)."
  type        = number
  default     = 2

  validation {
    condition     = var.connection_max_duration_hours >= 1 && var.connection_max_duration_hours <= 2 && floor(var.connection_max_duration_hours) == var.connection_max_duration_hours
    error_message = "connection_max_duration_hours must be 1 or 2 (API Gateway closes connections after 2 hours)."
  }
}

variable "connection_refresh_minutes" {
  description = "CONNECTION_REFRESH_MINUTES: connection age at which clients are asked to refresh."
  type        = number
  default     = 100

  validation {
    condition     = var.connection_refresh_minutes >= 1 && floor(var.connection_refresh_minutes) == var.connection_refresh_minutes
    error_message = "connection_refresh_minutes must be a positive whole number."
  }

  # Cross-variable validations (Terraform >= 1.9) keep every rule on the
  # variable it is about.
  validation {
    condition     = var.connection_refresh_minutes < var.connection_warning_minutes && var.connection_warning_minutes < var.connection_max_duration_hours * 60
    error_message = "Need connection_refresh_minutes < connection_warning_minutes < connection_max_duration_hours * 60: clients refresh before the speaker's warning, and both before API Gateway closes the connection."
  }
}

variable "connection_warning_minutes" {
  description = "CONNECTION_WARNING_MINUTES: connection age at which a speaker is warned of the coming close."
  type        = number
  default     = 105

  validation {
    condition     = var.connection_warning_minutes >= 1 && floor(var.connection_warning_minutes) == var.connection_warning_minutes
    error_message = "connection_warning_minutes must be a positive whole number."
  }
}

variable "heartbeat_interval_seconds" {
  description = "HEARTBEAT_INTERVAL_SECONDS: how often clients send heartbeats."
  type        = number
  default     = 30

  validation {
    condition     = var.heartbeat_interval_seconds >= 1 && floor(var.heartbeat_interval_seconds) == var.heartbeat_interval_seconds
    error_message = "heartbeat_interval_seconds must be a positive whole number."
  }

  validation {
    condition     = var.heartbeat_interval_seconds < var.heartbeat_timeout_seconds
    error_message = "heartbeat_interval_seconds must be smaller than heartbeat_timeout_seconds, or every connection times out between two heartbeats."
  }
}

variable "heartbeat_timeout_seconds" {
  description = "HEARTBEAT_TIMEOUT_SECONDS: silence after which the service closes a connection."
  type        = number
  default     = 90

  validation {
    condition     = var.heartbeat_timeout_seconds >= 1 && floor(var.heartbeat_timeout_seconds) == var.heartbeat_timeout_seconds
    error_message = "heartbeat_timeout_seconds must be a positive whole number."
  }
}

variable "rate_limit_sessions_per_hour" {
  description = "RATE_LIMIT_SESSIONS_PER_HOUR: session creations per speaker per hour."
  type        = number
  default     = 50

  validation {
    condition     = var.rate_limit_sessions_per_hour >= 1 && floor(var.rate_limit_sessions_per_hour) == var.rate_limit_sessions_per_hour
    error_message = "rate_limit_sessions_per_hour must be a positive whole number."
  }
}

variable "rate_limit_listener_joins_per_min" {
  description = "RATE_LIMIT_LISTENER_JOINS_PER_MIN: new seats (joins, token-less refreshes) per client IP and session per minute."
  type        = number
  default     = 10

  validation {
    condition     = var.rate_limit_listener_joins_per_min >= 1 && floor(var.rate_limit_listener_joins_per_min) == var.rate_limit_listener_joins_per_min
    error_message = "rate_limit_listener_joins_per_min must be a positive whole number."
  }
}

variable "rate_limit_connection_attempts_per_min" {
  description = "RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN: connection attempts per client IP per minute."
  type        = number
  default     = 20

  validation {
    condition     = var.rate_limit_connection_attempts_per_min >= 1 && floor(var.rate_limit_connection_attempts_per_min) == var.rate_limit_connection_attempts_per_min
    error_message = "rate_limit_connection_attempts_per_min must be a positive whole number."
  }
}

variable "rate_limit_heartbeats_per_min" {
  description = "RATE_LIMIT_HEARTBEATS_PER_MIN: heartbeats per connection per minute."
  type        = number
  default     = 2

  validation {
    condition     = var.rate_limit_heartbeats_per_min >= 1 && floor(var.rate_limit_heartbeats_per_min) == var.rate_limit_heartbeats_per_min
    error_message = "rate_limit_heartbeats_per_min must be a positive whole number."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the application's metrics (the function's METRICS_NAMESPACE), read by the alarms and the dashboard; null means SessionService/<environment>, so that environments sharing an account keep their metrics apart."
  type        = string
  default     = null

  validation {
    condition     = var.metrics_namespace == null || (can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(coalesce(var.metrics_namespace, "-"), "AWS/"))
    error_message = "metrics_namespace must be a custom CloudWatch namespace (not AWS/...), or null."
  }
}

# ---------------------------------------------------------------------------
# Speaker audio (Kinesis)
# ---------------------------------------------------------------------------

variable "audio_stream_retention_hours" {
  description = "Retention of the audio stream in hours (24 to 8760): how long the translation pipeline can replay a speaker's audio after an outage."
  type        = number
  default     = 24

  validation {
    condition     = var.audio_stream_retention_hours >= 24 && var.audio_stream_retention_hours <= 8760 && floor(var.audio_stream_retention_hours) == var.audio_stream_retention_hours
    error_message = "audio_stream_retention_hours must be a whole number of hours between 24 and 8760."
  }
}

# ---------------------------------------------------------------------------
# Speaker identity (Cognito)
# ---------------------------------------------------------------------------

variable "create_user_pool" {
  description = "Create a Cognito user pool and app client for speakers. When false, user_pool_id and client_id of an existing pool must be given."
  type        = bool
  default     = false

  validation {
    condition     = var.create_user_pool || (var.user_pool_id != null && var.client_id != null)
    error_message = "Speakers need a Cognito user pool: set create_user_pool = true, or give user_pool_id and client_id of an existing pool."
  }
}

variable "user_pool_id" {
  description = "USER_POOL_ID of an existing Cognito user pool (region_suffix form, e.g. eu-west-1_AbCdEf123); ignored when create_user_pool is true."
  type        = string
  default     = null

  validation {
    condition     = var.user_pool_id == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]_[0-9A-Za-z]+$", var.user_pool_id))
    error_message = "user_pool_id must look like <region>_<id>, e.g. eu-west-1_AbCdEf123."
  }
}

variable "client_id" {
  description = "CLIENT_ID of the speakers' app client in that pool; ignored when create_user_pool is true."
  type        = string
  default     = null

  validation {
    condition     = var.client_id == null || can(regex("^[0-9a-z]{1,128}$", var.client_id))
    error_message = "client_id must be a Cognito app client id (lowercase letters and digits)."
  }
}

variable "cognito_email_from_address" {
  description = "Sender of the user pool's mail (verification codes, invitations) when it goes through Amazon SES, e.g. \"Livecast <no-reply@example.org>\"; null keeps Cognito's default sender (dev). Needs cognito_ses_identity_arn."
  type        = string
  default     = null

  validation {
    condition     = var.cognito_email_from_address == null || can(regex("^([^<>]+<)?[^@\\s<>]+@[^@\\s<>]+\\.[^@\\s<>]+>?$", var.cognito_email_from_address))
    error_message = "cognito_email_from_address must be an address, optionally with a display name (Name <address>)."
  }

  validation {
    condition     = (var.cognito_email_from_address == null) == (var.cognito_ses_identity_arn == null)
    error_message = "Give both cognito_email_from_address and cognito_ses_identity_arn (mail through SES), or neither (Cognito's default sender)."
  }
}

variable "cognito_ses_identity_arn" {
  description = "ARN of a verified Amazon SES identity (the from-address's domain or address) the user pool sends mail with (email_sending_account = DEVELOPER): AWS calls Cognito's default sender unfit for production volume. Null keeps the default sender."
  type        = string
  default     = null

  validation {
    condition     = var.cognito_ses_identity_arn == null || can(regex("^arn:[a-z-]+:ses:[a-z0-9-]+:[0-9]{12}:identity/.+$", var.cognito_ses_identity_arn))
    error_message = "cognito_ses_identity_arn must be an SES identity ARN (arn:aws:ses:REGION:ACCOUNT:identity/NAME)."
  }
}

variable "user_pool_deletion_protection" {
  description = "Protect a created user pool from deletion."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

variable "point_in_time_recovery" {
  description = "Point-in-time recovery on the three tables."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Deletion protection on the three tables."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------
# WebSocket API
# ---------------------------------------------------------------------------

variable "stage_name" {
  description = "Stage of the WebSocket API (last segment of the URL); null uses the environment name."
  type        = string
  default     = null
}

variable "throttling_burst_limit" {
  description = "Stage burst limit for every route (requests)."
  type        = number
  default     = 500
}

variable "throttling_rate_limit" {
  description = "Stage steady-state limit for every route (requests per second)."
  type        = number
  default     = 1000
}

variable "detailed_metrics_enabled" {
  description = "Per-route API Gateway metrics."
  type        = bool
  default     = false
}

variable "execution_logging_level" {
  description = "API Gateway execution logging of the stage: OFF, ERROR or INFO (one line per step of each request, to API-Gateway-Execution-Logs_<api id>/<stage>). Message bodies are never logged (data tracing stays off)."
  type        = string
  default     = "OFF"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.execution_logging_level)
    error_message = "execution_logging_level must be OFF, ERROR or INFO."
  }
}

variable "enable_authorizer" {
  description = "Put a Lambda REQUEST authorizer (the same function) in front of $connect. It declares no identity source, so anonymous listeners still reach it."
  type        = bool
  default     = false
}

variable "authorizer_identity_sources" {
  description = "Identity sources of the authorizer; empty (the default) lets tokenless listeners through to the function. Never a query string parameter: API Gateway would refuse every listener without a token before the function runs."
  type        = list(string)
  default     = []

  validation {
    condition     = !anytrue([for s in var.authorizer_identity_sources : strcontains(s, "querystring")])
    error_message = "authorizer_identity_sources must not name a query string parameter: anonymous listeners send no token."
  }
}

variable "two_way_routes" {
  description = "Return the function's response body to the client on message routes (route responses). Off by default: the function answers through @connections."
  type        = bool
  default     = false
}

variable "create_api_deployment" {
  description = "Create the API deployment the stage serves. Only false against emulators lacking CreateDeployment (moto); a real deployment needs true."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------
# Monitoring
# ---------------------------------------------------------------------------

variable "alarm_email" {
  description = "E-mail subscribed to the environment's alarm topic (the recipient must confirm the subscription). Staging and prod need it or alarm_topic_arn; dev may go without."
  type        = string
  default     = null

  validation {
    condition     = var.environment == "dev" || var.alarm_email != null || var.alarm_topic_arn != null
    error_message = "Staging and prod alarms must reach a person: set alarm_email (an on-call address) or alarm_topic_arn (an existing SNS topic, e.g. the team's pager) in envs/<environment>.tfvars."
  }
}

variable "alarm_topic_arn" {
  description = "Existing SNS topic every alarm notifies instead of the environment's own topic (e.g. a pager integration); exclusive with alarm_email."
  type        = string
  default     = null
}

variable "alarm_evaluation_periods" {
  description = "N of the alarms' M-of-N rule: the most recent 5-minute periods a fault or latency alarm looks at."
  type        = number
  default     = 3
}

variable "alarm_datapoints_to_alarm" {
  description = "M of the alarms' M-of-N rule: breaching 5-minute periods among the last alarm_evaluation_periods before a fault or latency alarm fires."
  type        = number
  default     = 2

  validation {
    condition     = var.alarm_datapoints_to_alarm >= 1 && var.alarm_datapoints_to_alarm <= var.alarm_evaluation_periods
    error_message = "alarm_datapoints_to_alarm must be between 1 and alarm_evaluation_periods."
  }
}

variable "alarm_function_errors_threshold" {
  description = "Function errors per 5 minutes above which an alarm fires."
  type        = number
  default     = 5
}

variable "alarm_function_throttles_threshold" {
  description = "Function throttles per 5 minutes above which an alarm fires."
  type        = number
  default     = 0
}

variable "alarm_api_errors_threshold" {
  description = "API Gateway ExecutionError (failures to call the function) per 5 minutes above which an alarm fires."
  type        = number
  default     = 10
}

variable "alarm_session_creation_p95_ms" {
  description = "SessionCreationLatency p95 (ms) above which an alarm fires."
  type        = number
  default     = 2000
}

variable "alarm_fault_responses_threshold" {
  description = "INTERNAL_ERROR answers, and separately SERVICE_UNAVAILABLE answers, per 5 minutes above which an alarm fires. Refusals (SESSION_FULL, RATE_LIMIT_EXCEEDED, 4xx) never page: they are on the dashboard."
  type        = number
  default     = 5
}

variable "api_gateway_request_quota" {
  description = "The account's API Gateway request quota in this Region (requests per second). @connections calls count against it: the connections-quota alarm pages at alarm_connections_quota_share of it."
  type        = number
  default     = 10000

  validation {
    condition     = var.api_gateway_request_quota >= 1
    error_message = "api_gateway_request_quota must be at least 1."
  }
}

variable "alarm_connections_quota_share" {
  description = "Share of api_gateway_request_quota at which the connections-quota alarm pages."
  type        = number
  default     = 0.8

  validation {
    condition     = var.alarm_connections_quota_share > 0 && var.alarm_connections_quota_share <= 1
    error_message = "alarm_connections_quota_share must be in (0, 1]."
  }
}
