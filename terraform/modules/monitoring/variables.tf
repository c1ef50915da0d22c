variable "name_prefix" {
  description = "Prefix of every name, starting with the environment (e.g. \"dev-livecast\")."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 2-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "function_name" {
  description = "Name of the session service's Lambda function."
  type        = string
}

variable "api_id" {
  description = "Id of the WebSocket API."
  type        = string
}

variable "stage_name" {
  description = "Stage of the WebSocket API."
  type        = string
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the application's EMF metrics (SessionCreationLatency, ListenerJoinLatency, HeartbeatLatency, ActiveSessions, TotalListeners, SweepCompleted, ConnectionErrors by ErrorCode, RateLimitExceeded): the function's METRICS_NAMESPACE, one per environment."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be a valid custom CloudWatch namespace (not AWS/...)."
  }
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (the recipient must confirm); null subscribes nobody."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address or null."
  }
}

variable "alarm_topic_arn" {
  description = "ARN of an existing SNS topic (the team's pager, for example) every alarm notifies instead of a topic of this module; null creates <name_prefix>-alarms."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_arn == null || can(regex("^arn:[a-z-]+:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME) or null."
  }

  validation {
    condition     = var.alarm_topic_arn == null || var.alarm_email == null
    error_message = "Give alarm_email or alarm_topic_arn, not both: this module subscribes addresses only to a topic of its own."
  }
}

variable "sns_kms_key_id" {
  description = "KMS key (id, ARN or alias of a customer managed key whose policy lets CloudWatch use it) encrypting the alarm topic; null leaves it unencrypted. The AWS managed alias/aws/sns cannot be used: CloudWatch could not publish."
  type        = string
  default     = null
}

variable "period_seconds" {
  description = "Period of every alarm's evaluation window in seconds."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 300, 900, 3600], var.period_seconds)
    error_message = "period_seconds must be 60, 300, 900 or 3600."
  }
}

variable "evaluation_periods" {
  description = "N of the M-of-N rule of the fault and latency alarms: the most recent periods looked at."
  type        = number
  default     = 3

  validation {
    condition     = var.evaluation_periods >= 1 && var.evaluation_periods <= 10
    error_message = "evaluation_periods must be between 1 and 10."
  }
}

variable "datapoints_to_alarm" {
  description = "M of the M-of-N rule: breaching periods among the last evaluation_periods before a fault or latency alarm fires (one bad period alone does not page)."
  type        = number
  default     = 2

  validation {
    condition     = var.datapoints_to_alarm >= 1 && var.datapoints_to_alarm <= var.evaluation_periods
    error_message = "datapoints_to_alarm must be between 1 and evaluation_periods."
  }
}

variable "sweep_enabled" {
  description = "The sweep is scheduled: alarm when its SweepCompleted heartbeat stops."
  type        = bool
  default     = true
}

variable "sweep_silence_periods" {
  description = "Periods in a row without a finished sweep before the sweep-stopped alarm fires (the sweep runs every minute)."
  type        = number
  default     = 2

  validation {
    condition     = var.sweep_silence_periods >= 1 && var.sweep_silence_periods <= 10
    error_message = "sweep_silence_periods must be between 1 and 10."
  }
}

variable "async_failures_queue_name" {
  description = "Name of the function's on-failure SQS queue; any message there alarms. Null: no such alarm."
  type        = string
  default     = null
}

variable "function_errors_threshold" {
  description = "Function errors per period above which the alarm fires."
  type        = number
  default     = 5

  validation {
    condition     = var.function_errors_threshold >= 0
    error_message = "function_errors_threshold must not be negative."
  }
}

variable "function_throttles_threshold" {
  description = "Function throttles per period above which the alarm fires."
  type        = number
  default     = 0

  validation {
    condition     = var.function_throttles_threshold >= 0
    error_message = "function_throttles_threshold must not be negative."
  }
}

variable "api_errors_threshold" {
  description = "API Gateway ExecutionError (failures to call the function) per period above which an alarm fires. WebSocket APIs report no 5XXError, and their IntegrationError counts refusals too."
  type        = number
  default     = 10

  validation {
    condition     = var.api_errors_threshold >= 0
    error_message = "api_errors_threshold must not be negative."
  }
}

variable "session_creation_p95_threshold_ms" {
  description = "p95 of SessionCreationLatency (ms) above which the alarm fires."
  type        = number
  default     = 2000

  validation {
    condition     = var.session_creation_p95_threshold_ms > 0
    error_message = "session_creation_p95_threshold_ms must be positive."
  }
}

variable "fault_responses_threshold" {
  description = "INTERNAL_ERROR answers, and separately SERVICE_UNAVAILABLE answers, per period above which an alarm fires (the service's ConnectionErrors metric for that ErrorCode)."
  type        = number
  default     = 5

  validation {
    condition     = var.fault_responses_threshold >= 0
    error_message = "fault_responses_threshold must not be negative."
  }
}

variable "audio_stream_name" {
  description = "Kinesis stream of the speaker's audio, charted on the dashboard; null leaves the widget out."
  type        = string
  default     = null
}

variable "connections_quota_per_second" {
  description = "The account's API Gateway request quota in this Region (requests per second; @connections calls count). 10,000 unless AWS raised it."
  type        = number
  default     = 10000

  validation {
    condition     = var.connections_quota_per_second >= 1
    error_message = "connections_quota_per_second must be at least 1."
  }
}

variable "connections_quota_alarm_share" {
  description = "Share of connections_quota_per_second at which the connections-quota alarm pages."
  type        = number
  default     = 0.8

  validation {
    condition     = var.connections_quota_alarm_share > 0 && var.connections_quota_alarm_share <= 1
    error_message = "connections_quota_alarm_share must be in (0, 1]."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
