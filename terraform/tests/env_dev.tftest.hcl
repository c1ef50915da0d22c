# Development: the root module applied against a mocked AWS provider with
# envs/dev.tfvars. Run from terraform/ with
#   terraform test -filter=tests/env_dev.tftest.hcl -var-file=../envs/dev.tfvars
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
  values = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-sessions" }
}

override_resource {
  target = module.tables.aws_dynamodb_table.connections
  values = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-connections" }
}

override_resource {
  target = module.tables.aws_dynamodb_table.rate_limits
  values = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-rate-limits" }
}

override_resource {
  target = module.function.aws_lambda_function.this
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:dev-livecast-session-service"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:dev-livecast-session-service/invocations"
  }
}

run "dev_tables" {
  command = apply

  assert {
    condition     = output.sessions_table_name == "dev-livecast-sessions" && output.connections_table_name == "dev-livecast-connections" && output.rate_limits_table_name == "dev-livecast-rate-limits"
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
      t.point_in_time_recovery == false && t.deletion_protection == false && t.ttl_attribute == "ttl" && t.billing_mode == "PAY_PER_REQUEST"
    ])
    error_message = "dev: every table must be on-demand with TTL on ttl, PITR false and deletion protection false."
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

run "dev_function" {
  command = apply

  assert {
    condition = (
      output.function_name == "dev-livecast-session-service" &&
      module.function.configuration.runtime == "provided.al2023" &&
      module.function.configuration.architectures == tolist(["arm64"]) &&
      module.function.configuration.handler == "bootstrap" &&
      module.function.configuration.memory_size == 256 &&
      module.function.configuration.reserved_concurrency == -1 &&
      module.function.configuration.tracing_mode == "PassThrough"
    )
    error_message = "dev: the function must be provided.al2023/arm64/bootstrap with 256 MB, reserved concurrency -1, tracing PassThrough."
  }

  assert {
    condition = module.function.configuration.environment == tomap({
      SESSIONS_TABLE                         = "dev-livecast-sessions"
      CONNECTIONS_TABLE                      = "dev-livecast-connections"
      RATE_LIMITS_TABLE                      = "dev-livecast-rate-limits"
      MAX_LISTENERS_PER_SESSION              = "50"
      SESSION_MAX_DURATION_HOURS             = "2"
      CONNECTION_MAX_DURATION_HOURS          = "2"
      CONNECTION_REFRESH_MINUTES             = "100"
      CONNECTION_WARNING_MINUTES             = "105"
      HEARTBEAT_INTERVAL_SECONDS             = "30"
      HEARTBEAT_TIMEOUT_SECONDS              = "90"
      RATE_LIMIT_SESSIONS_PER_HOUR           = "200"
      RATE_LIMIT_LISTENER_JOINS_PER_MIN      = "60"
      RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN = "120"
      RATE_LIMIT_HEARTBEATS_PER_MIN          = "4"
      USER_POOL_ID                           = "eu-west-1_MockPool1"
      CLIENT_ID                              = "mockclient0123456789abcdef"
      LOG_LEVEL                              = "debug"
      WEBSOCKET_ENDPOINT                     = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev"
      METRICS_NAMESPACE                      = "SessionService"
    })
    error_message = "dev: the function's environment must carry every setting of envs/dev.tfvars."
  }

  assert {
    condition     = module.function.configuration.log_retention_days == 1 && module.websocket_api.configuration.access_log_retention_days == 1
    error_message = "dev: function and access logs must be kept 1 day(s)."
  }

  assert {
    condition     = module.function.configuration.sweep_schedule_expression == "rate(1 minute)"
    error_message = "The sweep must run every minute."
  }
}

run "dev_iam" {
  command = apply

  assert {
    condition     = [for s in jsondecode(module.function.configuration.policy_json).Statement : s.Sid] == ["TableItems", "IndexQuery", "SweepScan", "ManageConnections", "InvokeSelf", "OwnLogs"]
    error_message = "dev: unexpected policy statements."
  }

  assert {
    condition = (
      jsondecode(module.function.configuration.policy_json).Statement[0].Action == ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"] &&
      jsondecode(module.function.configuration.policy_json).Statement[0].Resource == ["arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-sessions", "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-connections", "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-rate-limits"]
    )
    error_message = "dev: item actions must be exactly those the application uses, on its three tables only."
  }

  assert {
    condition = (
      jsondecode(module.function.configuration.policy_json).Statement[1].Action == ["dynamodb:Query"] &&
      jsondecode(module.function.configuration.policy_json).Statement[1].Resource == ["arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-sessions/index/live-sessions-index", "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-connections/index/sessionId-targetLanguage-index"] &&
      jsondecode(module.function.configuration.policy_json).Statement[2].Action == ["dynamodb:Scan"] &&
      jsondecode(module.function.configuration.policy_json).Statement[2].Resource == ["arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-connections"]
    )
    error_message = "dev: the two indexes may be queried and Connections scanned, nothing more."
  }

  assert {
    condition = (
      jsondecode(module.function.configuration.policy_json).Statement[3].Action == ["execute-api:ManageConnections"] &&
      jsondecode(module.function.configuration.policy_json).Statement[3].Resource == [
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/POST/@connections/*",
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/GET/@connections/*",
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/DELETE/@connections/*",
      ]
    )
    error_message = "dev: ManageConnections must be limited to this API's dev stage."
  }

  assert {
    condition = (
      jsondecode(module.function.configuration.policy_json).Statement[4].Action == ["lambda:InvokeFunction"] &&
      jsondecode(module.function.configuration.policy_json).Statement[4].Resource == ["arn:aws:lambda:eu-west-1:123456789012:function:dev-livecast-session-service"] &&
      jsondecode(module.function.configuration.policy_json).Statement[5].Action == ["logs:CreateLogStream", "logs:PutLogEvents"] &&
      jsondecode(module.function.configuration.policy_json).Statement[5].Resource == ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/dev-livecast-session-service:*"]
    )
    error_message = "dev: the function may invoke only itself and write only its own logs."
  }

  assert {
    condition     = module.websocket_api.configuration.routes_permission_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/*"
    error_message = "dev: API Gateway may invoke the function from this API's stage only."
  }

  assert {
    condition = (
      module.function.configuration.sweep_permission.principal == "events.amazonaws.com" &&
      module.function.configuration.sweep_permission.source_arn == module.function.configuration.sweep_permission.rule_arn
    )
    error_message = "dev: EventBridge may invoke the function from the sweep rule only."
  }
}

run "dev_api" {
  command = apply

  assert {
    condition     = output.websocket_url == "wss://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev" && output.connections_endpoint == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev"
    error_message = "dev: unexpected URLs."
  }

  assert {
    condition = (
      module.websocket_api.configuration.route_selection_expression == "$request.body.action" &&
      toset(keys(module.websocket_api.configuration.routes)) == toset(["$connect", "$disconnect", "heartbeat", "getSessionStatus", "speakerControl", "controlSession", "changeLanguage", "$default"]) &&
      alltrue([for r in values(module.websocket_api.configuration.routes) : r.target == "integrations/integ01" && r.authorization_type == "NONE"])
    )
    error_message = "dev: the eight routes, all to the function integration, no authorizer by default."
  }

  assert {
    condition = (
      module.websocket_api.configuration.integration.type == "AWS_PROXY" &&
      module.websocket_api.configuration.integration.uri == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:dev-livecast-session-service/invocations"
    )
    error_message = "dev: the integration must proxy to the function."
  }

  assert {
    condition = (
      output.stage_name == "dev" &&
      module.websocket_api.configuration.deployment_id != null &&
      module.websocket_api.configuration.stage_deployment_id == module.websocket_api.configuration.deployment_id &&
      module.websocket_api.configuration.throttling_burst_limit == 100 &&
      module.websocket_api.configuration.throttling_rate_limit == 50 &&
      module.websocket_api.configuration.detailed_metrics_enabled == false
    )
    error_message = "dev: the stage must be deployed and throttled at burst 100, rate 50."
  }

  assert {
    condition     = !strcontains(module.websocket_api.configuration.access_log_format, "querystring") && !strcontains(module.websocket_api.configuration.access_log_format, "requestOverride")
    error_message = "dev: access logs must never contain the query string."
  }

  assert {
    condition     = module.websocket_api.configuration.manages_account_logging == true
    error_message = "dev: unexpected management of the account-wide API Gateway logging role."
  }
}

run "dev_monitoring_and_identity" {
  command = apply

  assert {
    condition = (
      module.monitoring.alarms["dev-livecast-function-errors"].threshold == 20 &&
      module.monitoring.alarms["dev-livecast-function-throttles"].threshold == 10 &&
      module.monitoring.alarms["dev-livecast-api-integration-errors"].threshold == 50 &&
      module.monitoring.alarms["dev-livecast-api-execution-errors"].threshold == 50 &&
      module.monitoring.alarms["dev-livecast-session-creation-latency-p95"].threshold == 2000 &&
      module.monitoring.alarms["dev-livecast-connection-errors"].threshold == 100 &&
      length(module.monitoring.alarms) == 6
    )
    error_message = "dev: alarm thresholds must follow envs/dev.tfvars."
  }

  assert {
    condition     = module.monitoring.alarm_topic_name == "dev-livecast-alarms" && output.dashboard_name == "dev-livecast-sessions"
    error_message = "dev: monitoring names must start with the environment."
  }

  assert {
    condition     = length(module.identity) == 1 && module.identity[0].deletion_protection == "INACTIVE" && output.user_pool_id == "eu-west-1_MockPool1"
    error_message = "dev: a user pool of its own with deletion protection INACTIVE."
  }
}
