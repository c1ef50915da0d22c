# Alarms to an SNS topic and a dashboard for the session service: the
# function, the WebSocket API, the audio stream and the application's own EMF
# metrics.

data "aws_region" "current" {}

locals {
  region = data.aws_region.current.name

  function_dimensions = { FunctionName = var.function_name }
  api_dimensions      = { ApiId = var.api_id, Stage = var.stage_name }

  ns = var.metrics_namespace

  # The environment's own topic, or the existing one alarms were pointed at.
  topic_arn = var.alarm_topic_arn != null ? var.alarm_topic_arn : aws_sns_topic.alarms[0].arn

  # Alarms page for faults only: the service failing (its own INTERNAL_ERROR
  # and SERVICE_UNAVAILABLE answers, function errors, throttles, API Gateway
  # failing to call the function). Refusals are the service working as
  # designed and go to the dashboard: UNAUTHORIZED, SESSION_NOT_FOUND,
  # SESSION_FULL (a 503 by the protocol), RATE_LIMIT_EXCEEDED, ... API
  # Gateway's IntegrationError counts every 4xx and 5xx the function returns,
  # refusals included, so it is charted, not alarmed.
  fault_alarms = {
    "function-errors" = {
      description = "The session service function failed invocations (crashes, timeouts)."
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      dimensions  = local.function_dimensions
      threshold   = var.function_errors_threshold
    }
    "function-throttles" = {
      description = "The session service function was throttled (reserved or account concurrency exhausted)."
      namespace   = "AWS/Lambda"
      metric      = "Throttles"
      dimensions  = local.function_dimensions
      threshold   = var.function_throttles_threshold
    }
    "api-execution-errors" = {
      description = "API Gateway failed to call the function integration."
      namespace   = "AWS/ApiGateway"
      metric      = "ExecutionError"
      dimensions  = local.api_dimensions
      threshold   = var.api_errors_threshold
    }
    "internal-errors" = {
      description = "The service answered INTERNAL_ERROR (a bug or an unexpected failure)."
      namespace   = local.ns
      metric      = "ConnectionErrors"
      dimensions  = { ErrorCode = "INTERNAL_ERROR" }
      threshold   = var.fault_responses_threshold
    }
    "service-unavailable" = {
      description = "The service answered SERVICE_UNAVAILABLE (DynamoDB, Kinesis or API Gateway unreachable or throttling)."
      namespace   = local.ns
      metric      = "ConnectionErrors"
      dimensions  = { ErrorCode = "SERVICE_UNAVAILABLE" }
      threshold   = var.fault_responses_threshold
    }
  }
}

#tfsec:ignore:aws-sns-topic-encryption-use-cmk CloudWatch cannot publish to a topic under the AWS managed key; pass sns_kms_key_id for a customer managed key.
#tfsec:ignore:aws-sns-enable-topic-encryption Alarm notifications carry no secrets; pass sns_kms_key_id to encrypt with a customer managed key.
resource "aws_sns_topic" "alarms" {
  count = var.alarm_topic_arn == null ? 1 : 0

  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = var.sns_kms_key_id
  tags              = var.tags
}

# The topic became optional (alarm_topic_arn): existing states keep theirs.
moved {
  from = aws_sns_topic.alarms
  to   = aws_sns_topic.alarms[0]
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "fault" {
  for_each = local.fault_alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = "Sum"
  period              = var.period_seconds
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topic_arn]
  ok_actions          = [local.topic_arn]
  tags                = var.tags
}

# API Gateway's account throttle (requests per second per Region) counts
# @connections calls too, and the fan-out makes one per listener per message.
# The function publishes ConnectionsApiCalls (every POST and DELETE of an
# invocation, retries included); their sum per minute over the quota's share
# of a minute pages before listeners start missing audio to 429s. One minute,
# two of three: a surge of joins is not a trend, a talk at the limit is.
resource "aws_cloudwatch_metric_alarm" "connections_quota" {
  alarm_name          = "${var.name_prefix}-connections-quota"
  alarm_description   = "@connections calls above ${var.connections_quota_alarm_share * 100}% of the account's ${var.connections_quota_per_second} requests/s: ask AWS for a higher API Gateway quota, or send fewer messages per second."
  namespace           = local.ns
  metric_name         = "ConnectionsApiCalls"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = floor(var.connections_quota_per_second * var.connections_quota_alarm_share * 60)
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topic_arn]
  ok_actions          = [local.topic_arn]
  tags                = var.tags
}

# Slowness is a fault too: speakers waiting seconds for their session is the
# service failing them, whatever status they finally get.
resource "aws_cloudwatch_metric_alarm" "session_creation_latency" {
  alarm_name          = "${var.name_prefix}-session-creation-latency-p95"
  alarm_description   = "p95 of SessionCreationLatency is above ${var.session_creation_p95_threshold_ms} ms."
  namespace           = local.ns
  metric_name         = "SessionCreationLatency"
  extended_statistic  = "p95"
  unit                = "Milliseconds"
  period              = var.period_seconds
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.session_creation_p95_threshold_ms
  treat_missing_data  = "notBreaching"
  # A p95 of five creations is one slow speaker, not a fault: periods with
  # too few samples for a percentile are neither breaching nor OK.
  evaluate_low_sample_count_percentiles = "ignore"
  alarm_actions                         = [local.topic_arn]
  ok_actions                            = [local.topic_arn]
  tags                                  = var.tags
}

# The sweep publishes SweepCompleted (1) after every sweep that finished,
# every minute. Silence is the fault: a disabled or deleted schedule, a
# missing permission, a sweep that fails or times out. Missing data therefore
# breaches, and sweep_silence_periods empty periods in a row page.
resource "aws_cloudwatch_metric_alarm" "sweep_heartbeat" {
  count = var.sweep_enabled ? 1 : 0

  alarm_name          = "${var.name_prefix}-sweep-stopped"
  alarm_description   = "No sweep finished for ${var.sweep_silence_periods * var.period_seconds / 60} minutes: silent connections are not closed, expired sessions not ended, counts not repaired."
  namespace           = local.ns
  metric_name         = "SweepCompleted"
  statistic           = "Sum"
  period              = var.period_seconds
  evaluation_periods  = var.sweep_silence_periods
  datapoints_to_alarm = var.sweep_silence_periods
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [local.topic_arn]
  ok_actions          = [local.topic_arn]
  tags                = var.tags
}

locals {
  # Work that is lost or parked: one occurrence is worth a look, so these
  # alarm on a single period, unlike the rates above.
  lost_work_alarms = merge(
    {
      "async-events-dropped" = {
        description = "Lambda dropped asynchronous events (welcomes, sweeps) it could neither run nor deliver to the on-failure queue."
        namespace   = "AWS/Lambda"
        metric      = "AsyncEventsDropped"
        dimensions  = local.function_dimensions
        statistic   = "Sum"
      }
    },
    var.async_failures_queue_name == null ? {} : {
      "async-failures-queued" = {
        description = "Failed asynchronous events wait in ${var.async_failures_queue_name} (kept 14 days): read them, fix the cause, then purge the queue."
        namespace   = "AWS/SQS"
        metric      = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = var.async_failures_queue_name }
        statistic   = "Maximum"
      }
    },
  )
}

resource "aws_cloudwatch_metric_alarm" "lost_work" {
  for_each = local.lost_work_alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = var.period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topic_arn]
  ok_actions          = [local.topic_arn]
  tags                = var.tags
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${var.name_prefix}-sessions"
  dashboard_body = jsonencode({
    widgets = concat([
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title  = "Session creation latency (ms)"
          region = local.region
          view   = "timeSeries"
          period = 60
          metrics = [
            [local.ns, "SessionCreationLatency", { stat = "p50", label = "p50" }],
            ["...", { stat = "p95", label = "p95" }],
            ["...", { stat = "p99", label = "p99" }],
          ]
          annotations = { horizontal = [{ label = "p95 alarm", value = var.session_creation_p95_threshold_ms }] }
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title  = "Listener join and heartbeat latency (ms)"
          region = local.region
          view   = "timeSeries"
          period = 60
          metrics = [
            [local.ns, "ListenerJoinLatency", { stat = "p50", label = "join p50" }],
            ["...", { stat = "p95", label = "join p95" }],
            ["...", { stat = "p99", label = "join p99" }],
            [local.ns, "HeartbeatLatency", { stat = "p50", label = "heartbeat p50" }],
            ["...", { stat = "p95", label = "heartbeat p95" }],
            ["...", { stat = "p99", label = "heartbeat p99" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "Active sessions and listeners"
          region = local.region
          view   = "timeSeries"
          period = 60
          metrics = [
            [local.ns, "ActiveSessions", { stat = "Maximum" }],
            [local.ns, "TotalListeners", { stat = "Maximum" }],
            [local.ns, "SweepCompleted", { stat = "Sum", label = "sweeps completed" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title  = "Faults (alarmed)"
          region = local.region
          view   = "timeSeries"
          period = 300
          metrics = [
            [local.ns, "ConnectionErrors", "ErrorCode", "INTERNAL_ERROR", { stat = "Sum" }],
            ["...", "SERVICE_UNAVAILABLE", { stat = "Sum" }],
            ["AWS/Lambda", "Errors", "FunctionName", var.function_name, { stat = "Sum" }],
            [".", "Throttles", ".", ".", { stat = "Sum" }],
            ["AWS/ApiGateway", "ExecutionError", "ApiId", var.api_id, "Stage", var.stage_name, { stat = "Sum" }],
          ]
          annotations = { horizontal = [{ label = "INTERNAL_ERROR / SERVICE_UNAVAILABLE alarm", value = var.fault_responses_threshold }] }
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 12, height = 6
        properties = {
          title  = "Refusals (not alarmed): connection errors by code, rate limits, API 4xx"
          region = local.region
          view   = "timeSeries"
          period = 300
          metrics = [
            [{ expression = "SEARCH('{${local.ns},ErrorCode} MetricName=\"ConnectionErrors\"', 'Sum', 300)", id = "codes" }],
            [local.ns, "RateLimitExceeded", { stat = "Sum", id = "ratelimited" }],
            ["AWS/ApiGateway", "IntegrationError", "ApiId", var.api_id, "Stage", var.stage_name, { stat = "Sum", id = "integration" }],
            [".", "ClientError", ".", ".", ".", ".", { stat = "Sum", id = "client" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 12, width = 12, height = 6
        properties = {
          title  = "Function"
          region = local.region
          view   = "timeSeries"
          period = 60
          metrics = [
            ["AWS/Lambda", "Invocations", "FunctionName", var.function_name, { stat = "Sum" }],
            [".", "Errors", ".", ".", { stat = "Sum" }],
            [".", "Throttles", ".", ".", { stat = "Sum" }],
            [".", "ConcurrentExecutions", ".", ".", { stat = "Maximum" }],
            [".", "AsyncEventsDropped", ".", ".", { stat = "Sum" }],
            [".", "Duration", ".", ".", { stat = "p95", yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 18, width = 12, height = 6
        properties = {
          title  = "WebSocket API"
          region = local.region
          view   = "timeSeries"
          period = 60
          metrics = [
            ["AWS/ApiGateway", "ConnectCount", "ApiId", var.api_id, "Stage", var.stage_name, { stat = "Sum" }],
            [".", "MessageCount", ".", ".", ".", ".", { stat = "Sum" }],
            [".", "IntegrationLatency", ".", ".", ".", ".", { stat = "p95", yAxis = "right" }],
          ]
        }
      },
      ], var.audio_stream_name == null ? [] : [
      {
        type = "metric", x = 12, y = 18, width = 12, height = 6
        properties = {
          title  = "Audio stream"
          region = local.region
          view   = "timeSeries"
          period = 60
          metrics = [
            ["AWS/Kinesis", "IncomingRecords", "StreamName", var.audio_stream_name, { stat = "Sum" }],
            [".", "WriteProvisionedThroughputExceeded", ".", ".", { stat = "Sum" }],
            [".", "PutRecord.Latency", ".", ".", { stat = "p95", yAxis = "right" }],
          ]
        }
      },
    ])
  })
}
