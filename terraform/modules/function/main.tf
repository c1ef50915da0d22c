# The session service's single function (a "lambdalith"): every WebSocket
# route, the optional REQUEST authorizer, its own asynchronous welcome event,
# the audio pipeline's fan-out and the scheduled sweep all reach this binary.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # Built from the name rather than read from the function so that the role's
  # policy exists before the function does (no dependency cycle, and the first
  # invocation already has its permissions).
  function_arn  = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${var.function_name}"
  log_group_arn = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${aws_cloudwatch_log_group.this.name}"
  # Built from the name too, for the same reason.
  async_failures_arn = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${var.function_name}-async-failures"

  # @connections management API of this API's stage only: post (send), get
  # (connection info) and delete (close).
  manage_connections_arns = [
    for method in ["POST", "GET", "DELETE"] :
    "${var.websocket_execution_arn}/${var.websocket_stage_name}/${method}/@connections/*"
  ]

  # TransactWriteItems has no IAM action of its own: each item of a
  # transaction is authorized as PutItem, UpdateItem, DeleteItem or
  # ConditionCheckItem on its table. BatchGetItem reads the sweep's live
  # sessions; DescribeTable serves start-up checks.
  dynamodb_item_actions = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
  ]

  policy_statements = concat(
    [
      {
        Sid      = "TableItems"
        Effect   = "Allow"
        Action   = local.dynamodb_item_actions
        Resource = var.dynamodb_table_arns
      },
    ],
    length(var.dynamodb_index_arns) == 0 ? [] : [
      {
        Sid      = "IndexQuery"
        Effect   = "Allow"
        Action   = ["dynamodb:Query"]
        Resource = var.dynamodb_index_arns
      },
    ],
    length(var.dynamodb_scan_table_arns) == 0 ? [] : [
      {
        Sid      = "SweepScan"
        Effect   = "Allow"
        Action   = ["dynamodb:Scan"]
        Resource = var.dynamodb_scan_table_arns
      },
    ],
    length(var.audio_stream_arns) == 0 ? [] : [
      {
        # The speaker's sendAudio chunks, one record each (or a batch).
        Sid      = "AudioStreamPut"
        Effect   = "Allow"
        Action   = ["kinesis:PutRecord", "kinesis:PutRecords"]
        Resource = var.audio_stream_arns
      },
    ],
    [
      {
        Sid      = "ManageConnections"
        Effect   = "Allow"
        Action   = ["execute-api:ManageConnections"]
        Resource = local.manage_connections_arns
      },
      {
        # The welcome message after $connect is sent by an asynchronous
        # invocation of the function itself.
        Sid      = "InvokeSelf"
        Effect   = "Allow"
        Action   = ["lambda:InvokeFunction"]
        Resource = [local.function_arn]
      },
      {
        Sid      = "OwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${local.log_group_arn}:*"]
      },
      {
        # Lambda delivers failed asynchronous events to the on-failure
        # destination with the function's own role.
        Sid      = "AsyncFailureDestination"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = [local.async_failures_arn]
      },
    ],
    var.tracing_mode != "Active" ? [] : [
      {
        # X-Ray's write actions support no resource-level permissions.
        Sid      = "XRayWrite"
        Effect   = "Allow"
        Action   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
        Resource = ["*"]
      },
    ],
  )
}

#tfsec:ignore:aws-cloudwatch-log-group-customer-key CloudWatch Logs encrypts at rest by default; pass log_kms_key_arn for a customer managed key.
resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_iam_role" "this" {
  name = "${var.function_name}-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

# Resources ending in /* are as narrow as IAM allows: connection ids and log
# stream names are only known at run time.
#tfsec:ignore:aws-iam-no-policy-wildcards Wildcards only for @connections ids of one stage, log streams of one group, and X-Ray (no resource-level permissions).
resource "aws_iam_role_policy" "this" {
  name = "${var.function_name}-policy"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.policy_statements
  })
}

#tfsec:ignore:aws-lambda-enable-tracing Tracing is per environment (tracing_mode): Active in staging and prod.
resource "aws_lambda_function" "this" {
  function_name    = var.function_name
  role             = aws_iam_role.this.arn
  runtime          = "provided.al2023"
  architectures    = ["arm64"]
  handler          = "bootstrap"
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  memory_size      = var.memory_size
  timeout          = var.timeout_seconds

  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = var.environment_variables
  }

  tracing_config {
    mode = var.tracing_mode
  }

  tags = var.tags

  # The log group and the permissions exist before the first invocation.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}

# Asynchronous invocations are the function's own welcome messages and
# EventBridge's sweep. Lambda retries a function error after about a minute
# (then two minutes more), and keeps a throttled event queued, retrying from
# one second with exponential backoff, for up to six hours. A welcome is worth
# sending while its client may still be connected, and the sweep is
# idempotent: one retry (async_maximum_retry_attempts) and five minutes of
# age (async_maximum_event_age_seconds) ride out a transient fault or a burst
# of throttling without delivering hour-old welcomes. What still fails is not
# only logged: Lambda sends the event, with the error, to the on-failure
# queue, where it stays 14 days for whoever answers the queue-depth alarm.
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.async_maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_maximum_event_age_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.async_failures.arn
    }
  }

  # Lambda checks the execution role's sqs:SendMessage when the destination
  # is set.
  depends_on = [aws_iam_role_policy.this]
}

# Encrypted with SQS-managed keys (SSE-SQS): no KMS key or permission to
# manage, and failed events may carry session ids.
#tfsec:ignore:aws-sqs-queue-encryption-use-cmk SSE-SQS encrypts at rest without a key policy to maintain; the events hold no secrets.
resource "aws_sqs_queue" "async_failures" {
  name                      = "${var.function_name}-async-failures"
  message_retention_seconds = 1209600 # 14 days, the most SQS keeps
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

# Scheduled sweep: EventBridge delivers its envelope
# ({"source":"aws.events","detail-type":"Scheduled Event",...}) to the function.
resource "aws_cloudwatch_event_rule" "sweep" {
  count = var.schedule_expression == null ? 0 : 1

  name                = "${var.function_name}-sweep"
  description         = "Runs the session service's sweep (heartbeat timeouts, refresh warnings, expired sessions)."
  schedule_expression = var.schedule_expression
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "sweep" {
  count = var.schedule_expression == null ? 0 : 1

  rule      = aws_cloudwatch_event_rule.sweep[0].name
  target_id = "sweep"
  arn       = aws_lambda_function.this.arn
}

resource "aws_lambda_permission" "sweep" {
  count = var.schedule_expression == null ? 0 : 1

  statement_id  = "AllowEventBridgeSweep"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.sweep[0].arn
}
