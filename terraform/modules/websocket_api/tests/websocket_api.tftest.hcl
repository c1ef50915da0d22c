# Offline unit tests: terraform test (from this directory) with a mocked AWS provider.

mock_provider "aws" {
  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      id            = "a1b2c3d4e5"
      arn           = "arn:aws:apigateway:eu-west-1::/apis/a1b2c3d4e5"
      execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
      api_endpoint  = "wss://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
    }
  }

  mock_resource "aws_apigatewayv2_integration" {
    defaults = {
      id = "integ01"
    }
  }

  mock_resource "aws_apigatewayv2_authorizer" {
    defaults = {
      id = "auth01"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/dev-livecast-websocket/dev"
    }
  }
}

variables {
  name_prefix         = "dev-livecast"
  stage_name          = "dev"
  function_name       = "dev-livecast-session-service"
  function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:dev-livecast-session-service/invocations"
}

run "api_routes_every_action_to_the_function" {
  command = apply

  assert {
    condition = (
      aws_apigatewayv2_api.this.name == "dev-livecast-websocket" &&
      aws_apigatewayv2_api.this.protocol_type == "WEBSOCKET" &&
      aws_apigatewayv2_api.this.route_selection_expression == "$request.body.action"
    )
    error_message = "The API must be a WebSocket API selecting routes on $request.body.action."
  }

  assert {
    condition     = toset(keys(aws_apigatewayv2_route.this)) == toset(["$connect", "$disconnect", "heartbeat", "getSessionStatus", "speakerControl", "controlSession", "changeLanguage", "endSession", "sendAudio", "$default"])
    error_message = "The API must have exactly the application's ten routes."
  }

  assert {
    condition     = alltrue([for k, r in aws_apigatewayv2_route.this : r.route_key == k && r.target == "integrations/integ01"])
    error_message = "Every route must target the one function integration."
  }

  assert {
    condition = (
      aws_apigatewayv2_integration.function.integration_type == "AWS_PROXY" &&
      aws_apigatewayv2_integration.function.integration_method == "POST" &&
      aws_apigatewayv2_integration.function.integration_uri == var.function_invoke_arn
    )
    error_message = "The integration must be AWS_PROXY (POST) to the function's invoke ARN."
  }

  assert {
    condition     = alltrue([for r in aws_apigatewayv2_route.this : r.authorization_type == "NONE" && r.authorizer_id == null]) && length(aws_apigatewayv2_authorizer.this) == 0
    error_message = "Without enable_authorizer no route has an authorizer."
  }

  assert {
    condition     = length(aws_apigatewayv2_route_response.this) == 0 && alltrue([for r in aws_apigatewayv2_route.this : r.route_response_selection_expression == null])
    error_message = "By default the function answers through @connections: no route responses."
  }

  assert {
    condition     = output.websocket_url == "wss://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev"
    error_message = "websocket_url must be the stage's wss:// URL."
  }

  assert {
    condition     = output.connections_endpoint == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev"
    error_message = "connections_endpoint must be the stage's https:// @connections endpoint."
  }
}

run "stage_is_deployed_throttled_and_logged_without_secrets" {
  command = apply

  variables {
    throttling_burst_limit = 100
    throttling_rate_limit  = 50
  }

  assert {
    condition     = length(aws_apigatewayv2_deployment.this) == 1 && aws_apigatewayv2_stage.this.deployment_id == aws_apigatewayv2_deployment.this[0].id
    error_message = "The stage must serve the module's deployment."
  }

  assert {
    condition     = length(aws_apigatewayv2_deployment.this[0].triggers.redeployment) == 40
    error_message = "The deployment must be triggered by a hash of routes and integrations."
  }

  assert {
    condition = (
      aws_apigatewayv2_stage.this.name == "dev" &&
      aws_apigatewayv2_stage.this.default_route_settings[0].throttling_burst_limit == 100 &&
      aws_apigatewayv2_stage.this.default_route_settings[0].throttling_rate_limit == 50 &&
      aws_apigatewayv2_stage.this.default_route_settings[0].data_trace_enabled == false
    )
    error_message = "The stage must apply the throttling limits and never trace message data."
  }

  assert {
    condition     = aws_apigatewayv2_stage.this.access_log_settings[0].destination_arn == aws_cloudwatch_log_group.access.arn && aws_cloudwatch_log_group.access.retention_in_days == 1
    error_message = "Access logs go to the module's log group, kept 1 day by default."
  }

  assert {
    condition     = can(jsondecode(aws_apigatewayv2_stage.this.access_log_settings[0].format).requestId) && jsondecode(aws_apigatewayv2_stage.this.access_log_settings[0].format).routeKey == "$context.routeKey"
    error_message = "The access log format must be JSON with request id and route key."
  }

  assert {
    condition = alltrue([
      for needle in ["querystring", "requestOverride", "sourceIp", "connectionId", "$input", "$request"] :
      !strcontains(aws_apigatewayv2_stage.this.access_log_settings[0].format, needle)
    ])
    error_message = "Access logs must not contain query strings (tokens), request overrides, IPs, raw connection ids or payloads."
  }

  assert {
    condition = (
      aws_lambda_permission.routes.principal == "apigateway.amazonaws.com" &&
      aws_lambda_permission.routes.function_name == "dev-livecast-session-service" &&
      aws_lambda_permission.routes.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/*"
    )
    error_message = "API Gateway may invoke the function only from this API's stage."
  }
}

run "two_way_routes_answer_on_message_routes_only" {
  command = apply

  variables {
    two_way_routes = true
  }

  assert {
    condition     = toset(keys(aws_apigatewayv2_route_response.this)) == toset(["heartbeat", "getSessionStatus", "speakerControl", "controlSession", "changeLanguage", "endSession", "sendAudio", "$default"])
    error_message = "Message routes (not $connect/$disconnect) return the function's answer to the client."
  }

  assert {
    condition     = aws_apigatewayv2_route.this["$connect"].route_response_selection_expression == null && aws_apigatewayv2_route.this["heartbeat"].route_response_selection_expression == "$default"
    error_message = "Only message routes select a route response."
  }
}

run "emulator_mode_has_no_deployment" {
  command = apply

  variables {
    create_deployment = false
  }

  assert {
    condition     = length(aws_apigatewayv2_deployment.this) == 0
    error_message = "create_deployment = false must not create a deployment."
  }
}

run "authorizer_lets_tokenless_listeners_reach_the_function" {
  command = apply

  variables {
    enable_authorizer = true
  }

  assert {
    condition = (
      aws_apigatewayv2_authorizer.this[0].authorizer_type == "REQUEST" &&
      aws_apigatewayv2_authorizer.this[0].authorizer_uri == var.function_invoke_arn &&
      aws_apigatewayv2_authorizer.this[0].identity_sources == null
    )
    error_message = "The authorizer is a REQUEST authorizer served by the function, with no identity source."
  }

  assert {
    condition     = aws_apigatewayv2_route.this["$connect"].authorization_type == "CUSTOM" && aws_apigatewayv2_route.this["$connect"].authorizer_id == "auth01"
    error_message = "$connect must use the authorizer."
  }

  assert {
    condition     = alltrue([for k, r in aws_apigatewayv2_route.this : r.authorization_type == "NONE" if k != "$connect"])
    error_message = "Only $connect can be authorized."
  }

  assert {
    condition     = aws_lambda_permission.authorizer[0].source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/authorizers/auth01"
    error_message = "API Gateway may invoke the function as an authorizer only for this authorizer."
  }
}

run "query_string_identity_sources_are_refused" {
  command = plan

  variables {
    enable_authorizer           = true
    authorizer_identity_sources = ["route.request.querystring.token"]
  }

  expect_failures = [var.authorizer_identity_sources]
}
