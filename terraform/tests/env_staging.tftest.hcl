# Staging: the root module applied against a mocked AWS provider with
# envs/staging.tfvars. Run from terraform/ with
#   terraform test -filter=tests/env_staging.tftest.hcl -var-file=../envs/staging.tfvars
# (make tf-test does); without that var file, environment is unset and it fails.
# Assertions read module outputs: a test may not address a child's resources.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  package_path = "tests/fixtures/bootstrap.zip"
}

override_resource {
  target = module.tables.aws_dynamodb_table.sessions
  values = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/staging-livecast-sessions" }
}

override_resource {
  target = module.tables.aws_dynamodb_table.connections
  values = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/staging-livecast-connections" }
}

override_resource {
  target = module.tables.aws_dynamodb_table.rate_limits
  values = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/staging-livecast-rate-limits" }
}

override_resource {
  target = module.function.aws_lambda_function.this
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:staging-livecast-session-service"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:staging-livecast-session-service/invocations"
  }
}

run "staging_tables" {
  command = apply

  assert {
    condition     = output.sessions_table_name == "staging-livecast-sessions" && output.connections_table_name == "staging-livecast-connections" && output.rate_limits_table_name == "staging-livecast-rate-limits"
    error_message = "Table names must start with the environment."
  }

  assert {
    condition = (
      module.tables.tables.sessions.hash_key == "sessionId" &&
      module.tables.tables.connections.hash_key == "connectionId" &&
      module.tables.tables.rate_limits.hash_key == "identifier"
    )
    error_message = "Tables must be keyed by sessionId, connectionId and identifier."
  }

  assert {
    condition = alltrue([
      for t in values(module.tables.tables) :
      t.point_in_time_recovery == true && t.deletion_protection == false && t.ttl_attribute == "ttl" && t.billing_mode == "PAY_PER_REQUEST"
    ])
    error_message = "staging: every table must be on-demand with TTL on ttl, PITR true and deletion protection false."
  }

  assert {
    condition = (
      keys(module.tables.tables.sessions.global_secondary_indexes) == ["live-sessions-index"] &&
      module.tables.tables.sessions.global_secondary_indexes["live-sessions-index"].hash_key == "live" &&
      module.tables.tables.sessions.global_secondary_indexes["live-sessions-index"].range_key == null &&
      module.tables.tables.sessions.global_secondary_indexes["live-sessions-index"].projection_type == "KEYS_ONLY"
    )
    error_message = "Sessions must have the sparse live-sessions-index GSI (live, KEYS_ONLY)."
  }

  assert {
    condition = module.tables.tables.connections.global_secondary_indexes == {
      "sessionId-targetLanguage-index" = { hash_key = "sessionId", range_key = "targetLanguage", projection_type = "ALL" }
    }
    error_message = "Connections must have the sessionId-targetLanguage-index GSI (sessionId, targetLanguage, ALL)."
  }
}

run "staging_function" {
  command = apply

  assert {
    condition = (
      output.function_name == "staging-livecast-session-service" &&
      module.function.configuration.runtime == "provided.al2023" &&
      module.function.configuration.architectures == tolist(["arm64"]) &&
      module.function.configuration.handler == "bootstrap" &&
      module.function.configuration.memory_size == 512 &&
      module.function.configuration.reserved_concurrency == 50 &&
      module.function.configuration.tracing_mode == "Active"
    )
    error_message = "staging: the function must be provided.al2023/arm64/bootstrap with 512 MB, reserved concurrency 50, tracing Active."
  }

  assert {
    condition = module.function.configuration.environment == tomap({
      SESSIONS_TABLE                         = "staging-livecast-sessions"
      CONNECTIONS_TABLE                      = "staging-livecast-connections"
      RATE_LIMITS_TABLE                      = "staging-livecast-rate-limits"
      MAX_LISTENERS_PER_SESSION              = "500"
      SESSION_MAX_DURATION_HOURS             = "2"
      CONNECTION_MAX_DURATION_HOURS          = "2"
      CONNECTION_REFRESH_MINUTES             = "100"
      CONNECTION_WARNING_MINUTES             = "105"
      HEARTBEAT_INTERVAL_SECONDS             = "30"
      HEARTBEAT_TIMEOUT_SECONDS              = "90"
      RATE_LIMIT_SESSIONS_PER_HOUR           = "50"
      RATE_LIMIT_LISTENER_JOINS_PER_MIN      = "10"
      RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN = "20"
      RATE_LIMIT_HEARTBEATS_PER_MIN          = "2"
      USER_POOL_ID                           = "eu-west-1_MockPool1"
      CLIENT_ID                              = "mockclient0123456789abcdef"
      LOG_LEVEL                              = "info"
      WEBSOCKET_ENDPOINT                     = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/staging"
      METRICS_NAMESPACE                      = "SessionService"
    })
    error_message = "staging: the function's environment must carry every setting of envs/staging.tfvars."
  }

  assert {
    condition     = module.function.configuration.log_retention_days == 3 && module.websocket_api.configuration.access_log_retention_days == 3
    error_message = "staging: function and access logs must be kept 3 day(s)."
  }

  assert {
    condition     = module.function.configuration.sweep_schedule_expression == "rate(1 minute)"
    error_message = "The sweep must run every minute."
  }
}

run "staging_iam" {
  command = apply

  assert {
    condition     = [for s in jsondecode(module.function.configuration.policy_json).Statement : s.Sid] == ["TableItems", "IndexQuery", "SweepScan", "ManageConnections", "InvokeSelf", "OwnLogs", "XRayWrite"]
    error_message = "staging: unexpected policy statements."
  }

  assert {
    condition = (
      jsondecode(module.function.configuration.policy_json).Statement[0].Action == ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"] &&
      jsondecode(module.function.configuration.policy_json).Statement[0].Resource == ["arn:aws:dynamodb:eu-west-1:123456789012:table/staging-livecast-sessions", "arn:aws:dynamodb:eu-west-1:123456789012:table/staging-livecast-connections", "arn:aws:dynamodb:eu-west-1:123456789012:table/staging-livecast-rate-limits"]
    )
    error_message = "staging: item actions must be exactly those the application uses, on its three tables only."
  }

  assert {
    condition = (
      jsondecode(module.function.configuration.policy_json).Statement[1].Action == ["dynamodb:Query"] &&
      jsondecode(module.function.configuration.policy_json).Statement[1].Resource == ["arn:aws:dynamodb:eu-west-1:123456789012:table/staging-livecast-sessions/index/live-sessions-index", "arn:aws:dynamodb:eu-west-1:123456789012:table/staging-livecast-connections/index/sessionId-targetLanguage-index"] &&
      jsondecode(module.function.configuration.policy_json).Statement[2].Action == ["dynamodb:Scan"] &&
      jsondecode(module.function.configuration.policy_json).Statement[2].Resource == ["arn:aws:dynamodb:eu-west-1:123456789012:table/staging-livecast-connections"]
    )
    error_message = "staging: the two indexes may be queried and Connections scanned, nothing more."
  }

  assert {
    condition = (
      jsondecode(module.function.configuration.policy_json).Statement[3].Action == ["execute-api:ManageConnections"] &&
      jsondecode(module.function.configuration.policy_json).Statement[3].Resource == [
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/staging/POST/@connections/*",
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/staging/GET/@connections/*",
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/staging/DELETE/@connections/*",
      ]
    )
    error_message = "staging: ManageConnections must be limited to this API's staging stage."
  }

  assert {
    condition = (
      jsondecode(module.function.configuration.policy_json).Statement[4].Action == ["lambda:InvokeFunction"] &&
      jsondecode(module.function.configuration.policy_json).Statement[4].Resource == ["arn:aws:lambda:eu-west-1:123456789012:function:staging-livecast-session-service"] &&
      jsondecode(module.function.configuration.policy_json).Statement[5].Action == ["logs:CreateLogStream", "logs:PutLogEvents"] &&
      jsondecode(module.function.configuration.policy_json).Statement[5].Resource == ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/staging-livecast-session-service:*"]
    )
    error_message = "staging: the function may invoke only itself and write only its own logs."
  }

  assert {
    condition     = module.websocket_api.configuration.routes_permission_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/staging/*"
    error_message = "staging: API Gateway may invoke the function from this API's stage only."
  }

  assert {
    condition = (
      module.function.configuration.sweep_permission.principal == "events.amazonaws.com" &&
      module.function.configuration.sweep_permission.source_arn == module.function.configuration.sweep_permission.rule_arn
    )
    error_message = "staging: EventBridge may invoke the function from the sweep rule only."
  }
}

run "staging_api" {
  command = apply

  assert {
    condition     = output.websocket_url == "wss://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/staging" && output.connections_endpoint == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/staging"
    error_message = "staging: unexpected URLs."
  }

  assert {
    condition = (
      module.websocket_api.configuration.route_selection_expression == "$request.body.action" &&
      toset(keys(module.websocket_api.configuration.routes)) == toset(["$connect", "$disconnect", "heartbeat", "getSessionStatus", "speakerControl", "controlSession", "changeLanguage", "$default"]) &&
      alltrue([for r in values(module.websocket_api.configuration.routes) : r.target == "integrations/integ01" && r.authorization_type == "NONE"])
    )
    error_message = "staging: the eight routes, all to the function integration, no authorizer by default."
  }

  assert {
    condition = (
      module.websocket_api.configuration.integration.type == "AWS_PROXY" &&
      module.websocket_api.configuration.integration.uri == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:staging-livecast-session-service/invocations"
    )
    error_message = "staging: the integration must proxy to the function."
  }

  assert {
    condition = (
      output.stage_name == "staging" &&
      module.websocket_api.configuration.deployment_id != null &&
      module.websocket_api.configuration.stage_deployment_id == module.websocket_api.configuration.deployment_id &&
      module.websocket_api.configuration.throttling_burst_limit == 200 &&
      module.websocket_api.configuration.throttling_rate_limit == 200 &&
      module.websocket_api.configuration.detailed_metrics_enabled == false
    )
    error_message = "staging: the stage must be deployed and throttled at burst 200, rate 200."
  }

  assert {
    condition     = !strcontains(module.websocket_api.configuration.access_log_format, "querystring") && !strcontains(module.websocket_api.configuration.access_log_format, "requestOverride")
    error_message = "staging: access logs must never contain the query string."
  }

  assert {
    condition     = module.websocket_api.configuration.manages_account_logging == false
    error_message = "staging: unexpected management of the account-wide API Gateway logging role."
  }
}

run "staging_monitoring_and_identity" {
  command = apply

  assert {
    condition = (
      module.monitoring.alarms["staging-livecast-function-errors"].threshold == 10 &&
      module.monitoring.alarms["staging-livecast-function-throttles"].threshold == 5 &&
      module.monitoring.alarms["staging-livecast-api-integration-errors"].threshold == 20 &&
      module.monitoring.alarms["staging-livecast-api-execution-errors"].threshold == 20 &&
      module.monitoring.alarms["staging-livecast-session-creation-latency-p95"].threshold == 2000 &&
      module.monitoring.alarms["staging-livecast-connection-errors"].threshold == 100 &&
      length(module.monitoring.alarms) == 6
    )
    error_message = "staging: alarm thresholds must follow envs/staging.tfvars."
  }

  assert {
    condition     = module.monitoring.alarm_topic_name == "staging-livecast-alarms" && output.dashboard_name == "staging-livecast-sessions"
    error_message = "staging: monitoring names must start with the environment."
  }

  assert {
    condition     = length(module.identity) == 1 && module.identity[0].deletion_protection == "INACTIVE" && output.user_pool_id == "eu-west-1_MockPool1"
    error_message = "staging: a user pool of its own with deletion protection INACTIVE."
  }
}
