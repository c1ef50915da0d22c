# Every environment: the root module applied against a mocked AWS provider
# with envs/<env>.tfvars. Run from terraform/ once per environment with
#   terraform test -test-directory=tests/envs -var-file=../envs/<env>.tfvars
# (make tf-test does). It lives outside tests/ because it needs a var file:
# a bare `terraform test` runs tests/ only.
# What must differ between environments is stated once, in `expected`.
# Assertions read module outputs: a test may not address a child's resources.

mock_provider "aws" {
  source = "./tests/mocks"
}

# No environment reserves concurrency (README, "Reserved concurrency"), and
# each has its own metrics namespace and audio stream.

# Override values may not use variables: the mocked table and function ARNs
# carry the fixed name prefix "mocked", and the assertions that read those
# ARNs (table and index resources, the integration URI) expect exactly them.
# What the policy builds from names (itself, its logs) keeps the environment.

variables {
  package_path = "tests/fixtures/bootstrap.zip"

  expected = {
    dev = {
      point_in_time_recovery        = false, deletion_protection = false
      memory_size                   = 256, tracing_mode = "PassThrough", xray_statement = false
      max_listeners                 = "50", sessions_per_hour = "200", joins_per_min = "60", attempts_per_min = "120", heartbeats_per_min = "4"
      log_level                     = "debug", log_retention_days = 1, audio_retention_hours = 24
      throttling_burst              = 100, throttling_rate = 50, detailed_metrics = false, execution_logging = "INFO"
      alarm_function_errors         = 20, alarm_function_throttles = 10, alarm_api_errors = 50, alarm_fault_responses = 20
      user_pool_deletion_protection = "INACTIVE"
    }
    staging = {
      point_in_time_recovery        = true, deletion_protection = false
      memory_size                   = 512, tracing_mode = "Active", xray_statement = true
      max_listeners                 = "500", sessions_per_hour = "50", joins_per_min = "600", attempts_per_min = "1200", heartbeats_per_min = "2"
      log_level                     = "info", log_retention_days = 3, audio_retention_hours = 24
      throttling_burst              = 200, throttling_rate = 200, detailed_metrics = false, execution_logging = "ERROR"
      alarm_function_errors         = 10, alarm_function_throttles = 5, alarm_api_errors = 20, alarm_fault_responses = 10
      user_pool_deletion_protection = "INACTIVE"
    }
    prod = {
      point_in_time_recovery        = true, deletion_protection = true
      memory_size                   = 1024, tracing_mode = "Active", xray_statement = true
      max_listeners                 = "500", sessions_per_hour = "50", joins_per_min = "600", attempts_per_min = "1200", heartbeats_per_min = "2"
      log_level                     = "info", log_retention_days = 7, audio_retention_hours = 48
      throttling_burst              = 2000, throttling_rate = 1000, detailed_metrics = true, execution_logging = "ERROR"
      alarm_function_errors         = 5, alarm_function_throttles = 0, alarm_api_errors = 10, alarm_fault_responses = 5
      user_pool_deletion_protection = "ACTIVE"
    }
  }
}

override_resource {
  target = module.tables.aws_dynamodb_table.sessions
  values = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/mocked-livecast-sessions" }
}

override_resource {
  target = module.tables.aws_dynamodb_table.connections
  values = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/mocked-livecast-connections" }
}

override_resource {
  target = module.tables.aws_dynamodb_table.rate_limits
  values = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/mocked-livecast-rate-limits" }
}

override_resource {
  target = module.function.aws_lambda_function.this
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:mocked-livecast-session-service"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:mocked-livecast-session-service/invocations"
  }
}

run "tables" {
  command = apply

  assert {
    condition     = output.sessions_table_name == "${var.environment}-livecast-sessions" && output.connections_table_name == "${var.environment}-livecast-connections" && output.rate_limits_table_name == "${var.environment}-livecast-rate-limits"
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
      t.point_in_time_recovery == var.expected[var.environment].point_in_time_recovery && t.deletion_protection == var.expected[var.environment].deletion_protection && t.ttl_attribute == "ttl" && t.billing_mode == "PAY_PER_REQUEST"
    ])
    error_message = "Every table must be on-demand with TTL on ttl, and PITR and deletion protection as the environment requires."
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

run "function" {
  command = apply

  assert {
    condition = (
      output.function_name == "${var.environment}-livecast-session-service" &&
      module.function.configuration.runtime == "provided.al2023" &&
      module.function.configuration.architectures == tolist(["arm64"]) &&
      module.function.configuration.handler == "bootstrap" &&
      module.function.configuration.memory_size == var.expected[var.environment].memory_size &&
      module.function.configuration.reserved_concurrency == -1 &&
      module.function.configuration.tracing_mode == var.expected[var.environment].tracing_mode
    )
    error_message = "The function must be provided.al2023/arm64/bootstrap with the environment's memory and tracing, and reserve no concurrency."
  }

  assert {
    condition = module.function.configuration.environment == tomap({
      SESSIONS_TABLE                         = "${var.environment}-livecast-sessions"
      CONNECTIONS_TABLE                      = "${var.environment}-livecast-connections"
      RATE_LIMITS_TABLE                      = "${var.environment}-livecast-rate-limits"
      MAX_LISTENERS_PER_SESSION              = var.expected[var.environment].max_listeners
      SESSION_MAX_DURATION_HOURS             = "2"
      CONNECTION_MAX_DURATION_HOURS          = "2"
      CONNECTION_REFRESH_MINUTES             = "100"
      CONNECTION_WARNING_MINUTES             = "105"
      HEARTBEAT_INTERVAL_SECONDS             = "30"
      HEARTBEAT_TIMEOUT_SECONDS              = "90"
      RATE_LIMIT_SESSIONS_PER_HOUR           = var.expected[var.environment].sessions_per_hour
      RATE_LIMIT_LISTENER_JOINS_PER_MIN      = var.expected[var.environment].joins_per_min
      RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN = var.expected[var.environment].attempts_per_min
      RATE_LIMIT_HEARTBEATS_PER_MIN          = var.expected[var.environment].heartbeats_per_min
      USER_POOL_ID                           = "eu-west-1_MockPool1"
      CLIENT_ID                              = "mockclient0123456789abcdef"
      LOG_LEVEL                              = var.expected[var.environment].log_level
      WEBSOCKET_ENDPOINT                     = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/${var.environment}"
      METRICS_NAMESPACE                      = "SessionService/${var.environment}"
      AUDIO_STREAM_NAME                      = "${var.environment}-livecast-audio"
    })
    error_message = "The function's environment must carry every setting of the environment's tfvars."
  }

  assert {
    condition     = module.function.configuration.log_retention_days == var.expected[var.environment].log_retention_days && module.websocket_api.configuration.access_log_retention_days == var.expected[var.environment].log_retention_days
    error_message = "Function and access logs must be kept as long as the environment requires."
  }

  assert {
    condition     = module.function.configuration.sweep_schedule_expression == "rate(1 minute)"
    error_message = "The sweep must run every minute."
  }
}

run "iam" {
  command = apply

  assert {
    condition     = [for s in jsondecode(module.function.configuration.policy_json).Statement : s.Sid] == concat(["TableItems", "IndexQuery", "SweepScan", "AudioStreamPut", "ManageConnections", "InvokeSelf", "OwnLogs", "AsyncFailureDestination"], var.expected[var.environment].xray_statement ? ["XRayWrite"] : [])
    error_message = "Unexpected policy statements."
  }

  assert {
    condition = (
      jsondecode(module.function.configuration.policy_json).Statement[0].Action == ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"] &&
      jsondecode(module.function.configuration.policy_json).Statement[0].Resource == ["arn:aws:dynamodb:eu-west-1:123456789012:table/mocked-livecast-sessions", "arn:aws:dynamodb:eu-west-1:123456789012:table/mocked-livecast-connections", "arn:aws:dynamodb:eu-west-1:123456789012:table/mocked-livecast-rate-limits"]
    )
    error_message = "Item actions must be exactly those the application uses, on its three tables only."
  }

  assert {
    condition = (
      jsondecode(module.function.configuration.policy_json).Statement[1].Action == ["dynamodb:Query"] &&
      jsondecode(module.function.configuration.policy_json).Statement[1].Resource == ["arn:aws:dynamodb:eu-west-1:123456789012:table/mocked-livecast-sessions/index/live-sessions-index", "arn:aws:dynamodb:eu-west-1:123456789012:table/mocked-livecast-connections/index/sessionId-targetLanguage-index"] &&
      jsondecode(module.function.configuration.policy_json).Statement[2].Action == ["dynamodb:Scan"] &&
      jsondecode(module.function.configuration.policy_json).Statement[2].Resource == ["arn:aws:dynamodb:eu-west-1:123456789012:table/mocked-livecast-connections"]
    )
    error_message = "The two indexes may be queried and Connections scanned, nothing more."
  }

  assert {
    condition = (
      jsondecode(module.function.configuration.policy_json).Statement[3].Action == ["kinesis:PutRecord", "kinesis:PutRecords"] &&
      jsondecode(module.function.configuration.policy_json).Statement[3].Resource == ["arn:aws:kinesis:eu-west-1:123456789012:stream/mocked-livecast-audio"]
    )
    error_message = "The function may put records on its audio stream, nothing more."
  }

  assert {
    condition = (
      jsondecode(module.function.configuration.policy_json).Statement[4].Action == ["execute-api:ManageConnections"] &&
      jsondecode(module.function.configuration.policy_json).Statement[4].Resource == [
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/${var.environment}/POST/@connections/*",
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/${var.environment}/GET/@connections/*",
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/${var.environment}/DELETE/@connections/*",
      ]
    )
    error_message = "ManageConnections must be limited to this API's stage."
  }

  assert {
    condition = (
      jsondecode(module.function.configuration.policy_json).Statement[5].Action == ["lambda:InvokeFunction"] &&
      jsondecode(module.function.configuration.policy_json).Statement[5].Resource == ["arn:aws:lambda:eu-west-1:123456789012:function:${var.environment}-livecast-session-service"] &&
      jsondecode(module.function.configuration.policy_json).Statement[6].Action == ["logs:CreateLogStream", "logs:PutLogEvents"] &&
      jsondecode(module.function.configuration.policy_json).Statement[6].Resource == ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/${var.environment}-livecast-session-service:*"]
    )
    error_message = "The function may invoke only itself and write only its own logs."
  }

  assert {
    condition     = module.websocket_api.configuration.routes_permission_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/${var.environment}/*"
    error_message = "API Gateway may invoke the function from this API's stage only."
  }

  assert {
    condition = (
      module.function.configuration.sweep_permission.principal == "events.amazonaws.com" &&
      module.function.configuration.sweep_permission.source_arn == module.function.configuration.sweep_permission.rule_arn
    )
    error_message = "EventBridge may invoke the function from the sweep rule only."
  }
}

run "api" {
  command = apply

  assert {
    condition     = output.websocket_url == "wss://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/${var.environment}" && output.connections_endpoint == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/${var.environment}"
    error_message = "Unexpected URLs."
  }

  assert {
    condition = (
      module.websocket_api.configuration.route_selection_expression == "$request.body.action" &&
      toset(keys(module.websocket_api.configuration.routes)) == toset(["$connect", "$disconnect", "heartbeat", "getSessionStatus", "speakerControl", "controlSession", "changeLanguage", "endSession", "sendAudio", "$default"]) &&
      alltrue([for r in values(module.websocket_api.configuration.routes) : r.target == "integrations/integ01" && r.authorization_type == "NONE"])
    )
    error_message = "The ten routes, all to the function integration, no authorizer by default."
  }

  assert {
    condition = (
      module.websocket_api.configuration.integration.type == "AWS_PROXY" &&
      module.websocket_api.configuration.integration.uri == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:mocked-livecast-session-service/invocations"
    )
    error_message = "The integration must proxy to the function."
  }

  assert {
    condition = (
      output.stage_name == var.environment &&
      module.websocket_api.configuration.deployment_id != null &&
      module.websocket_api.configuration.stage_deployment_id == module.websocket_api.configuration.deployment_id &&
      module.websocket_api.configuration.throttling_burst_limit == var.expected[var.environment].throttling_burst &&
      module.websocket_api.configuration.throttling_rate_limit == var.expected[var.environment].throttling_rate &&
      module.websocket_api.configuration.detailed_metrics_enabled == var.expected[var.environment].detailed_metrics &&
      module.websocket_api.configuration.execution_logging_level == var.expected[var.environment].execution_logging
    )
    error_message = "The stage must be deployed and throttled as the environment requires."
  }

  assert {
    condition     = !strcontains(module.websocket_api.configuration.access_log_format, "querystring") && !strcontains(module.websocket_api.configuration.access_log_format, "requestOverride")
    error_message = "Access logs must never contain the query string."
  }
}

run "audio_stream" {
  command = apply

  assert {
    condition = (
      output.audio_stream_name == "${var.environment}-livecast-audio" &&
      output.audio_stream_arn == "arn:aws:kinesis:eu-west-1:123456789012:stream/mocked-livecast-audio" &&
      module.audio_stream.configuration.stream_mode == "ON_DEMAND" &&
      module.audio_stream.configuration.encryption_type == "KMS" &&
      module.audio_stream.configuration.retention_hours == var.expected[var.environment].audio_retention_hours
    )
    error_message = "An encrypted on-demand stream per environment, kept as long as the environment requires, named and located for the pipeline."
  }
}

run "monitoring_and_identity" {
  command = apply

  assert {
    condition = (
      module.monitoring.alarms["${var.environment}-livecast-function-errors"].threshold == var.expected[var.environment].alarm_function_errors &&
      module.monitoring.alarms["${var.environment}-livecast-function-throttles"].threshold == var.expected[var.environment].alarm_function_throttles &&
      module.monitoring.alarms["${var.environment}-livecast-api-execution-errors"].threshold == var.expected[var.environment].alarm_api_errors &&
      module.monitoring.alarms["${var.environment}-livecast-internal-errors"].threshold == var.expected[var.environment].alarm_fault_responses &&
      module.monitoring.alarms["${var.environment}-livecast-service-unavailable"].threshold == var.expected[var.environment].alarm_fault_responses &&
      module.monitoring.alarms["${var.environment}-livecast-session-creation-latency-p95"].threshold == 2000 &&
      module.monitoring.alarms["${var.environment}-livecast-connections-quota"].threshold == 480000 &&
      length(module.monitoring.alarms) == 10
    )
    error_message = "Alarm thresholds must follow the environment's tfvars (six fault and latency alarms, the @connections quota at 80% of 10,000/s over a minute, the sweep heartbeat, the two on lost asynchronous work)."
  }

  assert {
    condition = alltrue([
      for a in values(module.monitoring.alarms) : a.evaluation_periods == 3 && a.datapoints_to_alarm == 2
      if !contains(["AsyncEventsDropped", "ApproximateNumberOfMessagesVisible", "SweepCompleted"], a.metric)
    ])
    error_message = "Every environment pages on 2 bad periods out of 3."
  }

  assert {
    condition     = var.environment == "dev" || var.alarm_email != null || var.alarm_topic_arn != null
    error_message = "Staging and prod alarms have a destination."
  }

  assert {
    condition = alltrue([
      for name, a in module.monitoring.alarms : a.namespace == "SessionService/${var.environment}" if !startswith(a.namespace, "AWS/")
    ]) && output.metrics_namespace == "SessionService/${var.environment}"
    error_message = "Alarms on the application's metrics read this environment's namespace only."
  }

  assert {
    condition     = module.monitoring.alarm_topic_name == "${var.environment}-livecast-alarms" && output.dashboard_name == "${var.environment}-livecast-sessions"
    error_message = "Monitoring names must start with the environment."
  }

  assert {
    condition     = length(module.identity) == 1 && module.identity[0].deletion_protection == var.expected[var.environment].user_pool_deletion_protection && output.user_pool_id == "eu-west-1_MockPool1"
    error_message = "A user pool of its own, with deletion protection as the environment requires."
  }

  assert {
    condition     = module.identity[0].email_sending_account == (var.cognito_ses_identity_arn == null ? "COGNITO_DEFAULT" : "DEVELOPER")
    error_message = "The pool's mail goes through SES exactly when an SES identity is given."
  }
}
