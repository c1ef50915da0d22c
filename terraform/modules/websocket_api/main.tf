# API Gateway WebSocket API in front of the session service's function.
# Every route reaches the same function through one AWS_PROXY integration.
# The stage's access logs need the account's API Gateway CloudWatch role,
# which this module never manages: it is one setting per account and region,
# owned by the stack in terraform/account.

locals {
  # route_keys: must equal router.RouteKeys() in the Go module
  # (tests/terraform compares the two without running Terraform).
  route_keys = [
    "$connect",
    "$disconnect",
    "heartbeat",
    "getSessionStatus",
    "speakerControl",
    "controlSession",
    "changeLanguage",
    "endSession",
    "sendAudio",
    "$default",
  ]

  # Host name of the API ({api_id}.execute-api.{region}.amazonaws.com on AWS);
  # the scheme of api_endpoint is dropped (AWS reports wss://, moto https://).
  api_host = replace(aws_apigatewayv2_api.this.api_endpoint, "/^[a-z]+:\\/\\//", "")

  # $connect's response body never reaches the client and $disconnect has no
  # client left: only message routes can answer.
  two_way_route_keys = var.two_way_routes ? [for k in local.route_keys : k if !contains(["$connect", "$disconnect"], k)] : []

  # One JSON object per line. Deliberately absent: anything from the query
  # string (speakers' tokens travel there), request overrides, message bodies,
  # the client's IP address and the connection id (docs/SPEC.md R19: no tokens, full
  # IPs or raw connection ids in logs).
  access_log_format = jsonencode({
    requestId          = "$context.requestId"
    extendedRequestId  = "$context.extendedRequestId"
    requestTime        = "$context.requestTime"
    requestTimeEpoch   = "$context.requestTimeEpoch"
    apiId              = "$context.apiId"
    stage              = "$context.stage"
    routeKey           = "$context.routeKey"
    eventType          = "$context.eventType"
    messageId          = "$context.messageId"
    status             = "$context.status"
    connectedAt        = "$context.connectedAt"
    userAgent          = "$context.identity.userAgent"
    integrationStatus  = "$context.integration.status"
    integrationLatency = "$context.integration.latency"
    integrationError   = "$context.integration.error"
    authorizerStatus   = "$context.authorizer.status"
    authorizerError    = "$context.authorizer.error"
    errorMessage       = "$context.error.message"
    errorResponseType  = "$context.error.responseType"
  })
}

resource "aws_apigatewayv2_api" "this" {
  name                       = "${var.name_prefix}-websocket"
  description                = "Session service WebSocket API (${var.name_prefix})"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
  tags                       = var.tags
}

resource "aws_apigatewayv2_integration" "function" {
  api_id             = aws_apigatewayv2_api.this.id
  integration_type   = "AWS_PROXY"
  integration_method = "POST"
  integration_uri    = var.function_invoke_arn
  description        = "Every route to the session service function"
}

resource "aws_apigatewayv2_authorizer" "this" {
  count = var.enable_authorizer ? 1 : 0

  api_id          = aws_apigatewayv2_api.this.id
  name            = "${var.name_prefix}-connect-authorizer"
  authorizer_type = "REQUEST"
  authorizer_uri  = var.function_invoke_arn
  # No identity source by default: a listener has no token, and API Gateway
  # refuses a $connect lacking any listed source before the function runs.
  identity_sources = length(var.authorizer_identity_sources) == 0 ? null : var.authorizer_identity_sources
}

resource "aws_apigatewayv2_route" "this" {
  for_each = toset(local.route_keys)

  api_id         = aws_apigatewayv2_api.this.id
  route_key      = each.key
  operation_name = each.key == "$connect" ? "connect" : each.key == "$disconnect" ? "disconnect" : each.key == "$default" ? "default" : each.key
  target         = "integrations/${aws_apigatewayv2_integration.function.id}"

  # Authorizers run on $connect only (a WebSocket API has no other place).
  authorization_type = each.key == "$connect" && var.enable_authorizer ? "CUSTOM" : "NONE"
  authorizer_id      = each.key == "$connect" && var.enable_authorizer ? aws_apigatewayv2_authorizer.this[0].id : null

  route_response_selection_expression = contains(local.two_way_route_keys, each.key) ? "$default" : null
}

resource "aws_apigatewayv2_route_response" "this" {
  for_each = toset(local.two_way_route_keys)

  api_id             = aws_apigatewayv2_api.this.id
  route_id           = aws_apigatewayv2_route.this[each.key].id
  route_response_key = "$default"
}

resource "aws_apigatewayv2_deployment" "this" {
  count = var.create_deployment ? 1 : 0

  api_id      = aws_apigatewayv2_api.this.id
  description = "Session service routes"

  # A new deployment whenever what a deployment snapshots changes.
  triggers = {
    redeployment = sha1(jsonencode([
      aws_apigatewayv2_integration.function,
      aws_apigatewayv2_route.this,
      aws_apigatewayv2_route_response.this,
      aws_apigatewayv2_authorizer.this,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

#tfsec:ignore:aws-cloudwatch-log-group-customer-key CloudWatch Logs encrypts at rest by default; pass log_kms_key_arn for a customer managed key.
resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${aws_apigatewayv2_api.this.name}/${var.stage_name}"
  retention_in_days = var.access_log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_apigatewayv2_stage" "this" {
  api_id        = aws_apigatewayv2_api.this.id
  name          = var.stage_name
  description   = "Session service stage (${var.name_prefix})"
  deployment_id = var.create_deployment ? aws_apigatewayv2_deployment.this[0].id : null

  default_route_settings {
    throttling_burst_limit   = var.throttling_burst_limit
    throttling_rate_limit    = var.throttling_rate_limit
    detailed_metrics_enabled = var.detailed_metrics_enabled
    logging_level            = var.execution_logging_level
    # Never: full request/response logging would write tokens and messages.
    data_trace_enabled = false
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = local.access_log_format
  }

  tags = var.tags
}

# API Gateway may invoke the function only from this API's stage (routes) and,
# when enabled, from this API's authorizer.
resource "aws_lambda_permission" "routes" {
  statement_id  = "AllowWebSocketRoutes-${var.stage_name}"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/${var.stage_name}/*"
}

resource "aws_lambda_permission" "authorizer" {
  count = var.enable_authorizer ? 1 : 0

  statement_id  = "AllowWebSocketAuthorizer"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/authorizers/${aws_apigatewayv2_authorizer.this[0].id}"
}
