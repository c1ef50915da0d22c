# The root module's switches and cross-variable checks, against a mocked AWS
# provider and without any tfvars file: a bare `terraform test` in terraform/
# runs this file. The environments' own test is tests/envs (it needs a var
# file).

mock_provider "aws" {
  source = "./tests/mocks"
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

variables {
  environment  = "dev"
  package_path = "tests/fixtures/bootstrap.zip"
  user_pool_id = "eu-west-1_AbCdEf123"
  client_id    = "1example23456789abcdefghij"
}

run "defaults_follow_the_design" {
  command = apply

  assert {
    condition     = length(module.identity) == 0 && output.user_pool_id == "eu-west-1_AbCdEf123" && output.client_id == "1example23456789abcdefghij"
    error_message = "An existing pool is used when create_user_pool is false."
  }

  assert {
    condition = (
      module.function.configuration.environment["USER_POOL_ID"] == "eu-west-1_AbCdEf123" &&
      module.function.configuration.environment["CLIENT_ID"] == "1example23456789abcdefghij" &&
      module.function.configuration.environment["MAX_LISTENERS_PER_SESSION"] == "500" &&
      module.function.configuration.environment["SESSION_MAX_DURATION_HOURS"] == "2" &&
      module.function.configuration.environment["CONNECTION_MAX_DURATION_HOURS"] == "2" &&
      module.function.configuration.environment["CONNECTION_REFRESH_MINUTES"] == "100" &&
      module.function.configuration.environment["CONNECTION_WARNING_MINUTES"] == "105" &&
      module.function.configuration.environment["HEARTBEAT_INTERVAL_SECONDS"] == "30" &&
      module.function.configuration.environment["HEARTBEAT_TIMEOUT_SECONDS"] == "90" &&
      module.function.configuration.environment["RATE_LIMIT_SESSIONS_PER_HOUR"] == "50" &&
      module.function.configuration.environment["RATE_LIMIT_LISTENER_JOINS_PER_MIN"] == "10" &&
      module.function.configuration.environment["RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN"] == "20" &&
      module.function.configuration.environment["RATE_LIMIT_HEARTBEATS_PER_MIN"] == "2" &&
      module.function.configuration.environment["LOG_LEVEL"] == "info" &&
      module.function.configuration.environment["METRICS_NAMESPACE"] == "SessionService/dev" &&
      module.function.configuration.environment["AUDIO_STREAM_NAME"] == "dev-livecast-audio" &&
      !contains(keys(module.function.configuration.environment), "AWS_REGION")
    )
    error_message = "Without tfvars the function gets the design's defaults (and never AWS_REGION)."
  }

  assert {
    condition     = module.function.configuration.reserved_concurrency == -1
    error_message = "Concurrency is unreserved by default: reserving fails on accounts with a small quota."
  }

  assert {
    condition = (
      module.function.configuration.async_retry_attempts == 1 && module.function.configuration.async_max_event_age == 300 &&
      module.function.configuration.async_on_failure == module.function.configuration.async_failures_queue.arn &&
      module.function.configuration.async_failures_queue.retention_seconds == 1209600 &&
      module.function.configuration.async_failures_queue.sse
    )
    error_message = "The function's own asynchronous events (welcomes, sweeps) are retried once, kept five minutes, and then parked 14 days in an encrypted queue."
  }

  assert {
    condition     = module.audio_stream.configuration.retention_hours == 24 && output.audio_stream_name == "dev-livecast-audio"
    error_message = "The audio stream keeps records the minimum 24 hours by default."
  }

  assert {
    condition     = module.function.configuration.log_retention_days == 1 && module.websocket_api.configuration.access_log_retention_days == 1
    error_message = "The design's 12-hour retention maps to 1 day by default."
  }

  assert {
    condition     = alltrue([for t in values(module.tables.tables) : !t.point_in_time_recovery && !t.deletion_protection])
    error_message = "PITR and deletion protection are opt-in."
  }

  assert {
    condition     = module.websocket_api.configuration.routes["$connect"].authorization_type == "NONE" && module.websocket_api.configuration.authorizer_permission_arn == null
    error_message = "The authorizer is off by default."
  }
}

run "authorizer_on_connect_when_enabled" {
  command = apply

  variables {
    enable_authorizer = true
  }

  assert {
    condition = (
      module.websocket_api.configuration.routes["$connect"].authorization_type == "CUSTOM" &&
      module.websocket_api.configuration.routes["$connect"].authorizer_id == "auth01" &&
      module.websocket_api.configuration.routes["heartbeat"].authorization_type == "NONE"
    )
    error_message = "enable_authorizer puts the authorizer on $connect only."
  }

  assert {
    condition     = module.websocket_api.configuration.authorizer_permission_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/authorizers/auth01"
    error_message = "API Gateway may invoke the authorizer only as this API's authorizer."
  }
}

run "a_given_metrics_namespace_is_used_everywhere" {
  command = apply

  variables {
    metrics_namespace = "Livecast/Sessions"
  }

  assert {
    condition = (
      module.function.configuration.environment["METRICS_NAMESPACE"] == "Livecast/Sessions" &&
      module.monitoring.alarms["dev-livecast-internal-errors"].namespace == "Livecast/Sessions" &&
      module.monitoring.alarms["dev-livecast-session-creation-latency-p95"].namespace == "Livecast/Sessions"
    )
    error_message = "The function publishes where the alarms read."
  }
}

run "emulator_mode_skips_the_deployment" {
  command = apply

  variables {
    create_api_deployment = false
  }

  assert {
    condition     = module.websocket_api.configuration.deployment_id == null
    error_message = "create_api_deployment = false must not create a deployment."
  }
}

run "a_pool_is_required" {
  command = plan

  variables {
    user_pool_id = null
    client_id    = null
  }

  expect_failures = [var.create_user_pool]
}

run "refresh_must_come_before_the_warning" {
  command = plan

  variables {
    connection_refresh_minutes = 110
  }

  expect_failures = [var.connection_refresh_minutes]
}

run "heartbeats_must_come_before_the_timeout" {
  command = plan

  variables {
    heartbeat_interval_seconds = 90
  }

  expect_failures = [var.heartbeat_interval_seconds]
}

run "staging_needs_an_alarm_destination" {
  command = plan

  variables {
    environment = "staging"
  }

  expect_failures = [var.alarm_email]
}

run "prod_with_an_existing_topic_plans" {
  command = plan

  variables {
    environment     = "prod"
    alarm_topic_arn = "arn:aws:sns:eu-west-1:123456789012:team-pager"
  }

  assert {
    condition     = output.alarm_topic_arn == "arn:aws:sns:eu-west-1:123456789012:team-pager"
    error_message = "An existing topic is a destination."
  }
}

run "m_of_n_must_be_possible" {
  command = plan

  variables {
    alarm_evaluation_periods  = 1
    alarm_datapoints_to_alarm = 2
  }

  expect_failures = [var.alarm_datapoints_to_alarm]
}

run "cognito_mail_through_ses" {
  command = apply

  variables {
    create_user_pool           = true
    cognito_email_from_address = "no-reply@example.org"
    cognito_ses_identity_arn   = "arn:aws:ses:eu-west-1:123456789012:identity/example.org"
    execution_logging_level    = "ERROR"
  }

  assert {
    condition     = module.identity[0].email_sending_account == "DEVELOPER"
    error_message = "An SES identity sends the pool's mail."
  }

  assert {
    condition     = module.websocket_api.configuration.execution_logging_level == "ERROR"
    error_message = "The stage logs executions at the level given."
  }
}

run "ses_needs_both_settings" {
  command = plan

  variables {
    create_user_pool         = true
    cognito_ses_identity_arn = "arn:aws:ses:eu-west-1:123456789012:identity/example.org"
  }

  expect_failures = [var.cognito_email_from_address]
}

run "unknown_execution_logging_levels_are_rejected" {
  command = plan

  variables {
    execution_logging_level = "DEBUG"
  }

  expect_failures = [var.execution_logging_level]
}

run "short_audio_retention_is_rejected" {
  command = plan

  variables {
    audio_stream_retention_hours = 1
  }

  expect_failures = [var.audio_stream_retention_hours]
}

run "unknown_environments_are_rejected" {
  command = plan

  variables {
    environment = "qa"
  }

  expect_failures = [var.environment]
}

run "query_string_identity_sources_are_rejected" {
  command = plan

  variables {
    enable_authorizer           = true
    authorizer_identity_sources = ["route.request.querystring.token"]
  }

  expect_failures = [var.authorizer_identity_sources]
}
