# Offline unit tests: terraform test (from this directory) with a mocked AWS provider.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:123456789012:dev-livecast-alarms"
    }
  }
}

variables {
  name_prefix       = "dev-livecast"
  function_name     = "dev-livecast-session-service"
  api_id            = "a1b2c3d4e5"
  stage_name        = "dev"
  metrics_namespace = "SessionService/dev"
}

run "alarms_page_for_faults_only" {
  command = apply

  assert {
    condition = toset(output.alarm_names) == toset([
      "dev-livecast-function-errors", "dev-livecast-function-throttles", "dev-livecast-api-execution-errors",
      "dev-livecast-internal-errors", "dev-livecast-service-unavailable", "dev-livecast-session-creation-latency-p95",
      "dev-livecast-sweep-stopped", "dev-livecast-async-events-dropped", "dev-livecast-connections-quota",
    ])
    error_message = "Expected the nine alarms, prefixed with the environment (no queue given: no queue alarm)."
  }

  assert {
    condition = (
      output.alarms["dev-livecast-connections-quota"].metric == "ConnectionsApiCalls" &&
      output.alarms["dev-livecast-connections-quota"].statistic == "Sum" &&
      output.alarms["dev-livecast-connections-quota"].threshold == 480000 &&
      output.alarms["dev-livecast-connections-quota"].datapoints_to_alarm == 2 &&
      output.alarms["dev-livecast-connections-quota"].evaluation_periods == 3
    )
    error_message = "The quota alarm pages at 80% of 10,000 @connections calls a second, summed over a minute, in 2 minutes of 3."
  }

  assert {
    condition     = alltrue([for a in values(output.alarms) : a.actions == toset(["arn:aws:sns:eu-west-1:123456789012:dev-livecast-alarms"])])
    error_message = "Every alarm must notify the alarm topic."
  }

  assert {
    condition = alltrue([
      for name in ["function-errors", "function-throttles", "api-execution-errors", "internal-errors", "service-unavailable", "session-creation-latency-p95"] :
      output.alarms["dev-livecast-${name}"].datapoints_to_alarm == 2 && output.alarms["dev-livecast-${name}"].evaluation_periods == 3
    ])
    error_message = "Rate and latency alarms fire on 2 breaching periods out of 3, never on one."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.session_creation_latency.evaluate_low_sample_count_percentiles == "ignore"
    error_message = "A p95 over a handful of creations must not page."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.sweep_heartbeat[0].namespace == "SessionService/dev" &&
      aws_cloudwatch_metric_alarm.sweep_heartbeat[0].metric_name == "SweepCompleted" &&
      aws_cloudwatch_metric_alarm.sweep_heartbeat[0].statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.sweep_heartbeat[0].comparison_operator == "LessThanThreshold" &&
      aws_cloudwatch_metric_alarm.sweep_heartbeat[0].threshold == 1 &&
      aws_cloudwatch_metric_alarm.sweep_heartbeat[0].treat_missing_data == "breaching" &&
      aws_cloudwatch_metric_alarm.sweep_heartbeat[0].evaluation_periods == 2 &&
      aws_cloudwatch_metric_alarm.sweep_heartbeat[0].datapoints_to_alarm == 2
    )
    error_message = "Ten minutes without a finished sweep must page, silence included."
  }

  assert {
    condition = (
      output.alarms["dev-livecast-async-events-dropped"].namespace == "AWS/Lambda" &&
      output.alarms["dev-livecast-async-events-dropped"].metric == "AsyncEventsDropped" &&
      output.alarms["dev-livecast-async-events-dropped"].dimensions == tomap({ FunctionName = "dev-livecast-session-service" }) &&
      output.alarms["dev-livecast-async-events-dropped"].threshold == 0 &&
      output.alarms["dev-livecast-async-events-dropped"].evaluation_periods == 1
    )
    error_message = "One dropped asynchronous event must page."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.fault["function-errors"].namespace == "AWS/Lambda" &&
      aws_cloudwatch_metric_alarm.fault["function-errors"].metric_name == "Errors" &&
      aws_cloudwatch_metric_alarm.fault["function-errors"].dimensions == tomap({ FunctionName = "dev-livecast-session-service" }) &&
      aws_cloudwatch_metric_alarm.fault["function-errors"].threshold == 5 &&
      aws_cloudwatch_metric_alarm.fault["function-throttles"].metric_name == "Throttles" &&
      aws_cloudwatch_metric_alarm.fault["function-throttles"].threshold == 0
    )
    error_message = "Function errors (> 5) and throttles (> 0) must be watched by default."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.fault["api-execution-errors"].namespace == "AWS/ApiGateway" &&
      aws_cloudwatch_metric_alarm.fault["api-execution-errors"].metric_name == "ExecutionError" &&
      aws_cloudwatch_metric_alarm.fault["api-execution-errors"].dimensions == tomap({ ApiId = "a1b2c3d4e5", Stage = "dev" })
    )
    error_message = "API Gateway's failures to call the function must be watched on this stage."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.fault : !contains(["IntegrationError", "ClientError", "RateLimitExceeded"], a.metric_name)])
    error_message = "Refusals (IntegrationError counts every 4xx the function returns, ClientError, rate limits) must not page."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.fault["internal-errors"].namespace == "SessionService/dev" &&
      aws_cloudwatch_metric_alarm.fault["internal-errors"].metric_name == "ConnectionErrors" &&
      aws_cloudwatch_metric_alarm.fault["internal-errors"].dimensions == tomap({ ErrorCode = "INTERNAL_ERROR" }) &&
      aws_cloudwatch_metric_alarm.fault["service-unavailable"].namespace == "SessionService/dev" &&
      aws_cloudwatch_metric_alarm.fault["service-unavailable"].metric_name == "ConnectionErrors" &&
      aws_cloudwatch_metric_alarm.fault["service-unavailable"].dimensions == tomap({ ErrorCode = "SERVICE_UNAVAILABLE" }) &&
      aws_cloudwatch_metric_alarm.fault["internal-errors"].threshold == 5 &&
      aws_cloudwatch_metric_alarm.fault["service-unavailable"].threshold == 5
    )
    error_message = "The service's own INTERNAL_ERROR and SERVICE_UNAVAILABLE answers page, each by its ErrorCode, in this environment's namespace."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.session_creation_latency.namespace == "SessionService/dev" &&
      aws_cloudwatch_metric_alarm.session_creation_latency.metric_name == "SessionCreationLatency" &&
      aws_cloudwatch_metric_alarm.session_creation_latency.extended_statistic == "p95" &&
      aws_cloudwatch_metric_alarm.session_creation_latency.threshold == 2000 &&
      aws_cloudwatch_metric_alarm.session_creation_latency.comparison_operator == "GreaterThanThreshold"
    )
    error_message = "SessionCreationLatency p95 > 2000 ms must alarm."
  }

  assert {
    condition     = length(aws_sns_topic_subscription.email) == 0
    error_message = "No e-mail subscription without alarm_email."
  }

  assert {
    condition = alltrue([
      for m in ["SessionCreationLatency", "ListenerJoinLatency", "HeartbeatLatency", "ActiveSessions", "TotalListeners", "SweepCompleted", "ConnectionErrors", "RateLimitExceeded", "IntegrationError", "ClientError", "AsyncEventsDropped"] :
      strcontains(aws_cloudwatch_dashboard.this.dashboard_body, m)
    ])
    error_message = "The dashboard must show every application metric and the refusals that do not page."
  }

  assert {
    condition     = aws_cloudwatch_dashboard.this.dashboard_name == "dev-livecast-sessions" && strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "\"region\":\"eu-west-1\"")
    error_message = "The dashboard must be named for the environment and show this region."
  }

  assert {
    condition     = !strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "AWS/Kinesis")
    error_message = "Without an audio stream the dashboard has no stream widget."
  }
}

run "email_subscription_thresholds_and_stream_follow_variables" {
  command = apply

  variables {
    alarm_email                       = "oncall@example.com"
    function_errors_threshold         = 1
    session_creation_p95_threshold_ms = 1500
    fault_responses_threshold         = 0
    metrics_namespace                 = "SessionService/prod"
    audio_stream_name                 = "prod-livecast-audio"
    async_failures_queue_name         = "prod-livecast-session-service-async-failures"
    evaluation_periods                = 5
    datapoints_to_alarm               = 3
  }

  assert {
    condition = (
      output.alarms["dev-livecast-async-failures-queued"].namespace == "AWS/SQS" &&
      output.alarms["dev-livecast-async-failures-queued"].metric == "ApproximateNumberOfMessagesVisible" &&
      output.alarms["dev-livecast-async-failures-queued"].dimensions == tomap({ QueueName = "prod-livecast-session-service-async-failures" }) &&
      output.alarms["dev-livecast-async-failures-queued"].statistic == "Maximum" &&
      output.alarms["dev-livecast-async-failures-queued"].threshold == 0
    )
    error_message = "A message in the on-failure queue must page."
  }

  assert {
    condition     = output.alarms["dev-livecast-internal-errors"].datapoints_to_alarm == 3 && output.alarms["dev-livecast-internal-errors"].evaluation_periods == 5
    error_message = "M and N follow the variables."
  }

  assert {
    condition     = aws_sns_topic_subscription.email[0].protocol == "email" && aws_sns_topic_subscription.email[0].endpoint == "oncall@example.com"
    error_message = "alarm_email must be subscribed to the topic."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.fault["function-errors"].threshold == 1 &&
      aws_cloudwatch_metric_alarm.session_creation_latency.threshold == 1500 &&
      aws_cloudwatch_metric_alarm.session_creation_latency.namespace == "SessionService/prod" &&
      aws_cloudwatch_metric_alarm.fault["internal-errors"].namespace == "SessionService/prod" &&
      aws_cloudwatch_metric_alarm.fault["internal-errors"].threshold == 0
    )
    error_message = "Thresholds and namespace must follow the variables."
  }

  assert {
    condition     = strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "\"AWS/Kinesis\",\"IncomingRecords\",\"StreamName\",\"prod-livecast-audio\"")
    error_message = "The audio stream's incoming records are charted."
  }
}

run "an_existing_topic_replaces_the_own_topic" {
  command = apply

  variables {
    alarm_topic_arn = "arn:aws:sns:eu-west-1:123456789012:team-pager"
    sweep_enabled   = false
  }

  assert {
    condition = (
      length(aws_sns_topic.alarms) == 0 && length(aws_sns_topic_subscription.email) == 0 &&
      output.alarm_topic_arn == "arn:aws:sns:eu-west-1:123456789012:team-pager" && output.alarm_topic_name == "team-pager" &&
      alltrue([for a in values(output.alarms) : a.actions == toset(["arn:aws:sns:eu-west-1:123456789012:team-pager"])])
    )
    error_message = "With alarm_topic_arn every alarm notifies that topic, and no topic of our own is made."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.sweep_heartbeat) == 0
    error_message = "No schedule, no sweep heartbeat to miss."
  }
}

run "email_and_topic_are_exclusive" {
  command = plan

  variables {
    alarm_email     = "oncall@example.com"
    alarm_topic_arn = "arn:aws:sns:eu-west-1:123456789012:team-pager"
  }

  expect_failures = [var.alarm_topic_arn]
}

run "m_cannot_exceed_n" {
  command = plan

  variables {
    evaluation_periods  = 2
    datapoints_to_alarm = 3
  }

  expect_failures = [var.datapoints_to_alarm]
}

run "a_bad_email_is_rejected" {
  command = plan

  variables {
    alarm_email = "not-an-address"
  }

  expect_failures = [var.alarm_email]
}

run "an_aws_namespace_is_rejected" {
  command = plan

  variables {
    metrics_namespace = "AWS/Lambda"
  }

  expect_failures = [var.metrics_namespace]
}
