output "api_id" {
  description = "Id of the WebSocket API."
  value       = aws_apigatewayv2_api.this.id
}

output "execution_arn" {
  description = "Execution ARN of the API (arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID)."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the stage."
  value       = var.stage_name
}

output "websocket_url" {
  description = "wss:// URL clients connect to."
  value       = "wss://${local.api_host}/${var.stage_name}"
}

output "connections_endpoint" {
  description = "https:// endpoint of the @connections management API (WEBSOCKET_ENDPOINT of the function)."
  value       = "https://${local.api_host}/${var.stage_name}"
}

output "route_keys" {
  description = "Route keys of the API."
  value       = local.route_keys
}

output "route_ids" {
  description = "Route ids by route key."
  value       = { for k, r in aws_apigatewayv2_route.this : k => r.id }
}

output "integration_id" {
  description = "Id of the AWS_PROXY integration shared by every route."
  value       = aws_apigatewayv2_integration.function.id
}

output "authorizer_id" {
  description = "Id of the $connect REQUEST authorizer, or null when disabled."
  value       = one(aws_apigatewayv2_authorizer.this[*].id)
}

output "access_log_group_name" {
  description = "Name of the stage's access log group."
  value       = aws_cloudwatch_log_group.access.name
}

output "configuration" {
  description = "What was built: routes, stage settings, deployment, log retention and invoke permissions."
  value = {
    route_selection_expression = aws_apigatewayv2_api.this.route_selection_expression
    routes = {
      for k, r in aws_apigatewayv2_route.this : k => {
        target             = r.target
        authorization_type = r.authorization_type
        authorizer_id      = r.authorizer_id
      }
    }
    integration = {
      type = aws_apigatewayv2_integration.function.integration_type
      uri  = aws_apigatewayv2_integration.function.integration_uri
    }
    stage_deployment_id       = aws_apigatewayv2_stage.this.deployment_id
    deployment_id             = one(aws_apigatewayv2_deployment.this[*].id)
    throttling_burst_limit    = one(aws_apigatewayv2_stage.this.default_route_settings[*].throttling_burst_limit)
    throttling_rate_limit     = one(aws_apigatewayv2_stage.this.default_route_settings[*].throttling_rate_limit)
    detailed_metrics_enabled  = one(aws_apigatewayv2_stage.this.default_route_settings[*].detailed_metrics_enabled)
    execution_logging_level   = one(aws_apigatewayv2_stage.this.default_route_settings[*].logging_level)
    access_log_format         = one(aws_apigatewayv2_stage.this.access_log_settings[*].format)
    access_log_retention_days = aws_cloudwatch_log_group.access.retention_in_days
    routes_permission_arn     = aws_lambda_permission.routes.source_arn
    authorizer_permission_arn = one(aws_lambda_permission.authorizer[*].source_arn)
  }
}
