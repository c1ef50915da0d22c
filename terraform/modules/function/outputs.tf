output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "invoke_arn" {
  description = "Invoke ARN of the function, for API Gateway integrations and authorizers."
  value       = aws_lambda_function.this.invoke_arn
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "Name of the function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "async_failures_queue_name" {
  description = "Name of the SQS queue receiving asynchronous invocations that failed for good (on-failure destination)."
  value       = aws_sqs_queue.async_failures.name
}

output "async_failures_queue_url" {
  description = "URL of that queue, to read the failed events."
  value       = aws_sqs_queue.async_failures.url
}

output "policy_statements" {
  description = "Statements of the execution role's inline policy (for review and tests)."
  value       = local.policy_statements
}

output "sweep_rule_name" {
  description = "Name of the EventBridge rule running the sweep, or null when the schedule is disabled."
  value       = one(aws_cloudwatch_event_rule.sweep[*].name)
}

output "configuration" {
  description = "What was built: runtime settings, environment, log retention, the execution role's policy document (JSON) and the sweep schedule."
  value = {
    runtime                   = aws_lambda_function.this.runtime
    architectures             = aws_lambda_function.this.architectures
    handler                   = aws_lambda_function.this.handler
    memory_size               = aws_lambda_function.this.memory_size
    timeout                   = aws_lambda_function.this.timeout
    reserved_concurrency      = aws_lambda_function.this.reserved_concurrent_executions
    tracing_mode              = one(aws_lambda_function.this.tracing_config[*].mode)
    environment               = one(aws_lambda_function.this.environment[*].variables)
    log_retention_days        = aws_cloudwatch_log_group.this.retention_in_days
    policy_json               = aws_iam_role_policy.this.policy
    sweep_schedule_expression = one(aws_cloudwatch_event_rule.sweep[*].schedule_expression)
    async_retry_attempts      = aws_lambda_function_event_invoke_config.this.maximum_retry_attempts
    async_max_event_age       = aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds
    async_on_failure          = one(aws_lambda_function_event_invoke_config.this.destination_config[0].on_failure[*].destination)
    async_failures_queue = {
      arn               = aws_sqs_queue.async_failures.arn
      retention_seconds = aws_sqs_queue.async_failures.message_retention_seconds
      sse               = aws_sqs_queue.async_failures.sqs_managed_sse_enabled
    }
    sweep_permission = one([for p in aws_lambda_permission.sweep : {
      principal  = p.principal
      source_arn = p.source_arn
      rule_arn   = aws_cloudwatch_event_rule.sweep[0].arn
    }])
  }
}
