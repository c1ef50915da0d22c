variable "name_prefix" {
  description = "Prefix of every name, starting with the environment (e.g. \"dev-livecast\")."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 2-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "stage_name" {
  description = "Name of the API stage; it is the last path segment of the wss:// URL."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name)) && var.stage_name != "$default"
    error_message = "stage_name must be 1-128 letters, digits, hyphens or underscores."
  }
}

variable "function_name" {
  description = "Name of the Lambda function serving every route (and the authorizer)."
  type        = string
}

variable "function_invoke_arn" {
  description = "Invoke ARN of that function."
  type        = string
}

variable "enable_authorizer" {
  description = "Put a Lambda REQUEST authorizer (served by the same function) in front of $connect. Off by default: the function verifies speakers inside $connect anyway, and an authorizer adds one invocation per connection."
  type        = bool
  default     = false
}

variable "authorizer_identity_sources" {
  description = "Identity sources of the REQUEST authorizer. API Gateway refuses with 401, without invoking the authorizer, every $connect missing one of them; anonymous listeners carry no token, so the default is none (the authorizer runs on every $connect). Query string sources are rejected for that reason; route.request.header.Host is a safe non-empty choice if an account requires one."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for s in var.authorizer_identity_sources :
      can(regex("^(route\\.request\\.header\\.[A-Za-z0-9._-]+|stageVariables\\.[A-Za-z0-9._-]+|context\\.[A-Za-z0-9._-]+)$", s))
    ])
    error_message = "authorizer_identity_sources must be route.request.header.NAME, stageVariables.NAME or context.NAME expressions; query string sources would refuse tokenless listeners."
  }
}

variable "two_way_routes" {
  description = "Return the function's response body to the client on message routes (a $default route response on every route but $connect and $disconnect). Off: the function answers through @connections, and its route results carry no body."
  type        = bool
  default     = false
}

variable "create_deployment" {
  description = "Create an API deployment and attach it to the stage. Set false only for emulators without the CreateDeployment API (moto)."
  type        = bool
  default     = true
}

variable "throttling_burst_limit" {
  description = "Stage-wide burst limit (requests) for every route, connection attempts and messages alike."
  type        = number
  default     = 500

  validation {
    condition     = var.throttling_burst_limit >= 0 && var.throttling_burst_limit <= 5000
    error_message = "throttling_burst_limit must be between 0 and 5000."
  }
}

variable "throttling_rate_limit" {
  description = "Stage-wide steady-state limit (requests per second) for every route."
  type        = number
  default     = 1000

  validation {
    condition     = var.throttling_rate_limit >= 0 && var.throttling_rate_limit <= 10000
    error_message = "throttling_rate_limit must be between 0 and 10000."
  }
}

variable "detailed_metrics_enabled" {
  description = "Publish per-route CloudWatch metrics for the stage."
  type        = bool
  default     = false
}

variable "execution_logging_level" {
  description = "API Gateway execution logging level (OFF, ERROR or INFO). Like access logs, it needs the account's API Gateway CloudWatch role (terraform/account). Full message data tracing is never enabled: messages and query strings may carry tokens."
  type        = string
  default     = "OFF"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.execution_logging_level)
    error_message = "execution_logging_level must be OFF, ERROR or INFO."
  }
}

variable "access_log_retention_days" {
  description = "Retention of the stage's access log group in days (whole days only: 1 is the smallest)."
  type        = number
  default     = 1

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.access_log_retention_days)
    error_message = "access_log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "log_kms_key_arn" {
  description = "ARN of a KMS key encrypting the access log group; null keeps CloudWatch Logs' default encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
