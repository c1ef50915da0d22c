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
  name_prefix   = "dev-livecast"
  function_name = "dev-livecast-session-service"
  api_id        = "a1b2c3d4e5"
  stage_name    = "dev"
}

run "alarms_watch_function_api_and_application_metrics" {
  command = apply

  assert {
    condition     = toset(output.alarm_names) == toset(["dev-livecast-function-errors", "dev-livecast-function-throttles", "dev-livecast-api-integration-errors", "dev-livecast-api-execution-errors", "dev-livecast-session-creation-latency-p95", "dev-livecast-connection-errors"])
    error_message = "Expected the six alarms, prefixed with the environment."
  }

  assert {
    condition = alltrue(concat(
      [for a in aws_cloudwatch_metric_alarm.simple : a.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:dev-livecast-alarms"])],
      [aws_cloudwatch_metric_alarm.session_creation_latency.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:dev-livecast-alarms"])],
      [aws_cloudwatch_metric_alarm.connection_errors.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:dev-livecast-alarms"])],
    ))
    error_message = "Every alarm must notify the alarm topic."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.simple["function-errors"].namespace == "AWS/Lambda" &&
      aws_cloudwatch_metric_alarm.simple["function-errors"].metric_name == "Errors" &&
      aws_cloudwatch_metric_alarm.simple["function-errors"].dimensions == tomap({ FunctionName = "dev-livecast-session-service" }) &&
      aws_cloudwatch_metric_alarm.simple["function-errors"].threshold == 5 &&
      aws_cloudwatch_metric_alarm.simple["function-throttles"].metric_name == "Throttles" &&
      aws_cloudwatch_metric_alarm.simple["function-throttles"].threshold == 0
    )
    error_message = "Function errors (> 5) and throttles (> 0) must be watched by default."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.simple["api-integration-errors"].namespace == "AWS/ApiGateway" &&
      aws_cloudwatch_metric_alarm.simple["api-integration-errors"].metric_name == "IntegrationError" &&
      aws_cloudwatch_metric_alarm.simple["api-integration-errors"].dimensions == tomap({ ApiId = "a1b2c3d4e5", Stage = "dev" }) &&
      aws_cloudwatch_metric_alarm.simple["api-execution-errors"].metric_name == "ExecutionError"
    )
    error_message = "API integration and execution errors of this stage must be watched."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.session_creation_latency.namespace == "SessionService" &&
      aws_cloudwatch_metric_alarm.session_creation_latency.metric_name == "SessionCreationLatency" &&
      aws_cloudwatch_metric_alarm.session_creation_latency.extended_statistic == "p95" &&
      aws_cloudwatch_metric_alarm.session_creation_latency.threshold == 2000 &&
      aws_cloudwatch_metric_alarm.session_creation_latency.comparison_operator == "GreaterThanThreshold"
    )
    error_message = "SessionCreationLatency p95 > 2000 ms must alarm."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.connection_errors.threshold == 100 &&
      one(aws_cloudwatch_metric_alarm.connection_errors.metric_query).expression == "SELECT SUM(ConnectionErrors) FROM SCHEMA(\"SessionService\", ErrorCode)" &&
      one(aws_cloudwatch_metric_alarm.connection_errors.metric_query).period == 300
    )
    error_message = "More than 100 ConnectionErrors (all codes) in 5 minutes must alarm."
  }

  assert {
    condition     = length(aws_sns_topic_subscription.email) == 0
    error_message = "No e-mail subscription without alarm_email."
  }

  assert {
    condition = alltrue([
      for m in ["SessionCreationLatency", "ListenerJoinLatency", "HeartbeatLatency", "ActiveSessions", "TotalListeners", "ConnectionErrors", "RateLimitExceeded"] :
      strcontains(aws_cloudwatch_dashboard.this.dashboard_body, m)
    ])
    error_message = "The dashboard must show every application metric."
  }

  assert {
    condition     = aws_cloudwatch_dashboard.this.dashboard_name == "dev-livecast-sessions" && strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "\"region\":\"eu-west-1\"")
    error_message = "The dashboard must be named for the environment and show this region."
  }
}

run "email_subscription_and_thresholds_follow_variables" {
  command = apply

  variables {
    alarm_email                       = "oncall@example.com"
    function_errors_threshold         = 1
    session_creation_p95_threshold_ms = 1500
    connection_errors_threshold       = 50
    metrics_namespace                 = "SessionService/prod"
  }

  assert {
    condition     = aws_sns_topic_subscription.email[0].protocol == "email" && aws_sns_topic_subscription.email[0].endpoint == "oncall@example.com"
    error_message = "alarm_email must be subscribed to the topic."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.simple["function-errors"].threshold == 1 &&
      aws_cloudwatch_metric_alarm.session_creation_latency.threshold == 1500 &&
      aws_cloudwatch_metric_alarm.session_creation_latency.namespace == "SessionService/prod" &&
      aws_cloudwatch_metric_alarm.connection_errors.threshold == 50
    )
    error_message = "Thresholds and namespace must follow the variables."
  }
}

run "a_bad_email_is_rejected" {
  command = plan

  variables {
    alarm_email = "not-an-address"
  }

  expect_failures = [var.alarm_email]
}
