variable "function_name" {
  description = "Name of the Lambda function, starting with the environment (e.g. \"dev-livecast-session-service\")."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "package_path" {
  description = "Path of the deployment zip holding the arm64 Linux executable named \"bootstrap\" at its root (make package builds build/bootstrap.zip)."
  type        = string

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "package_path must name a .zip file."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB (CPU scales with it)."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout_seconds" {
  description = "Function timeout in seconds; bounds the sweep and the fan-out to listeners."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout_seconds >= 3 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be between 3 and 900."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions of the function; -1 leaves it unreserved (uses the account pool)."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrency == -1 || var.reserved_concurrency >= 0
    error_message = "reserved_concurrency must be -1 (unreserved) or a non-negative number."
  }
}

variable "tracing_mode" {
  description = "AWS X-Ray tracing mode: PassThrough (no sampling by the function) or Active (adds the X-Ray write permissions)."
  type        = string
  default     = "PassThrough"

  validation {
    condition     = contains(["PassThrough", "Active"], var.tracing_mode)
    error_message = "tracing_mode must be PassThrough or Active."
  }
}

variable "environment_variables" {
  description = "Environment of the function: the whole configuration of the binary. AWS_REGION and other reserved names are set by Lambda and rejected here."
  type        = map(string)

  validation {
    condition = alltrue([
      for k in keys(var.environment_variables) :
      can(regex("^[A-Za-z][A-Za-z0-9_]*$", k)) && !contains([
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
      ], k)
    ])
    error_message = "environment_variables keys must be valid names and not reserved by Lambda (AWS_REGION, AWS_LAMBDA_FUNCTION_NAME, _HANDLER, ...): Lambda sets those itself."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group in days. CloudWatch Logs keeps whole days only: the design's 12 hours maps to 1, the smallest allowed value."
  type        = number
  default     = 1

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "log_kms_key_arn" {
  description = "ARN of a KMS key encrypting the log group; null keeps CloudWatch Logs' default encryption."
  type        = string
  default     = null
}

variable "dynamodb_table_arns" {
  description = "ARNs of the tables the function reads and writes (item actions and DescribeTable)."
  type        = list(string)

  validation {
    condition     = length(var.dynamodb_table_arns) > 0 && alltrue([for a in var.dynamodb_table_arns : can(regex("^arn:[a-z-]+:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]+$", a))])
    error_message = "dynamodb_table_arns must be a non-empty list of DynamoDB table ARNs."
  }
}

variable "dynamodb_index_arns" {
  description = "ARNs of the secondary indexes the function queries (Query only)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.dynamodb_index_arns : can(regex("^arn:[a-z-]+:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]+/index/[A-Za-z0-9_.-]+$", a))])
    error_message = "dynamodb_index_arns must be DynamoDB index ARNs (.../table/NAME/index/INDEX)."
  }
}

variable "dynamodb_scan_table_arns" {
  description = "ARNs of the tables the scheduled sweep may Scan (a subset of dynamodb_table_arns; empty grants no Scan)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.dynamodb_scan_table_arns : can(regex("^arn:[a-z-]+:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]+$", a))])
    error_message = "dynamodb_scan_table_arns must be DynamoDB table ARNs."
  }
}

variable "audio_stream_arns" {
  description = "ARNs of the Kinesis streams the function puts the speaker's audio on (PutRecord and PutRecords only); empty grants nothing."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.audio_stream_arns : can(regex("^arn:[a-z-]+:kinesis:[a-z0-9-]+:[0-9]{12}:stream/[A-Za-z0-9_.-]+$", a))])
    error_message = "audio_stream_arns must be Kinesis stream ARNs."
  }
}

variable "websocket_execution_arn" {
  description = "Execution ARN of the WebSocket API (arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID); the function may manage connections of this API's stage only."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:execute-api:[a-z0-9-]+:[0-9]{12}:[a-z0-9]+$", var.websocket_execution_arn))
    error_message = "websocket_execution_arn must be an API Gateway execution ARN without a trailing path."
  }
}

variable "websocket_stage_name" {
  description = "Stage of the WebSocket API whose @connections the function may use."
  type        = string
}

variable "schedule_expression" {
  description = "EventBridge schedule that invokes the function for the sweep (heartbeat timeouts, refresh warnings, stale records); null disables it."
  type        = string
  default     = "rate(1 minute)"

  validation {
    condition     = var.schedule_expression == null || can(regex("^(rate|cron)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be a rate(...) or cron(...) expression, or null."
  }
}

variable "async_maximum_retry_attempts" {
  description = "Retries of a failed asynchronous invocation (the welcome after $connect, the sweep); Lambda waits about a minute before the first."
  type        = number
  default     = 1

  validation {
    condition     = contains([0, 1, 2], var.async_maximum_retry_attempts)
    error_message = "async_maximum_retry_attempts must be 0, 1 or 2."
  }
}

variable "async_maximum_event_age_seconds" {
  description = "Age after which Lambda stops retrying an asynchronous event (throttled or failed) and sends it to the on-failure queue."
  type        = number
  default     = 300

  validation {
    condition     = var.async_maximum_event_age_seconds >= 60 && var.async_maximum_event_age_seconds <= 21600
    error_message = "async_maximum_event_age_seconds must be between 60 and 21600."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
