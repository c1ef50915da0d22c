# Offline unit tests: terraform test (from this directory) with a mocked AWS provider.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:user/test"
      user_id    = "AIDATEST"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/dev-livecast-session-service-role"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/dev-livecast-session-service"
    }
  }

  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:123456789012:rule/dev-livecast-session-service-sweep"
    }
  }

  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-1:123456789012:dev-livecast-session-service-async-failures"
    }
  }

  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:dev-livecast-session-service"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:dev-livecast-session-service/invocations"
    }
  }
}

variables {
  function_name = "dev-livecast-session-service"
  package_path  = "../../tests/fixtures/bootstrap.zip"
  environment_variables = {
    SESSIONS_TABLE    = "dev-livecast-sessions"
    CONNECTIONS_TABLE = "dev-livecast-connections"
    LOG_LEVEL         = "info"
  }
  dynamodb_table_arns = [
    "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-sessions",
    "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-connections",
    "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-rate-limits",
  ]
  dynamodb_index_arns = [
    "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-sessions/index/live-sessions-index",
    "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-connections/index/sessionId-targetLanguage-index",
  ]
  dynamodb_scan_table_arns = [
    "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-connections",
  ]
  websocket_execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
  websocket_stage_name    = "dev"
}

run "function_is_an_arm64_custom_runtime_with_its_configuration" {
  command = apply

  assert {
    condition = (
      aws_lambda_function.this.function_name == "dev-livecast-session-service" &&
      aws_lambda_function.this.runtime == "provided.al2023" &&
      aws_lambda_function.this.architectures == tolist(["arm64"]) &&
      aws_lambda_function.this.handler == "bootstrap"
    )
    error_message = "The function must be provided.al2023 on arm64 with handler bootstrap."
  }

  assert {
    condition     = aws_lambda_function.this.source_code_hash == filebase64sha256("../../tests/fixtures/bootstrap.zip")
    error_message = "source_code_hash must follow the package so a new build redeploys."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables == var.environment_variables
    error_message = "The environment must be exactly the given variables."
  }

  assert {
    condition     = aws_lambda_function.this.role == aws_iam_role.this.arn
    error_message = "The function must run with its own role."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/dev-livecast-session-service" && aws_cloudwatch_log_group.this.retention_in_days == 1
    error_message = "The function's log group must be /aws/lambda/<name> with 1 day retention by default."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Principal.Service == "lambda.amazonaws.com"
    error_message = "Only Lambda may assume the role."
  }

  assert {
    condition = (
      aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 1 &&
      aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds == 300
    )
    error_message = "A failed welcome or sweep is retried once, and a throttled one kept five minutes, not six hours."
  }

  assert {
    condition = (
      aws_lambda_function_event_invoke_config.this.destination_config[0].on_failure[0].destination == aws_sqs_queue.async_failures.arn &&
      aws_sqs_queue.async_failures.name == "dev-livecast-session-service-async-failures" &&
      aws_sqs_queue.async_failures.message_retention_seconds == 1209600 &&
      aws_sqs_queue.async_failures.sqs_managed_sse_enabled
    )
    error_message = "Asynchronous events that fail for good go to an encrypted queue that keeps them 14 days."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s
      if s.Sid == "AsyncFailureDestination"
      ]) == {
      Sid      = "AsyncFailureDestination", Effect = "Allow", Action = ["sqs:SendMessage"]
      Resource = ["arn:aws:sqs:eu-west-1:123456789012:dev-livecast-session-service-async-failures"]
    }
    error_message = "The role may send to its own failure queue only (Lambda delivers with the function's role)."
  }
}

run "role_policy_is_least_privilege" {
  command = apply

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid] == ["TableItems", "IndexQuery", "SweepScan", "ManageConnections", "InvokeSelf", "OwnLogs", "AsyncFailureDestination"]
    error_message = "The policy must have exactly the statements TableItems, IndexQuery, SweepScan, ManageConnections, InvokeSelf, OwnLogs, AsyncFailureDestination."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Effect == "Allow" && !contains(s.Action, "*") && !contains(s.Resource, "*")])
    error_message = "No statement may allow every action or every resource."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement[0].Action == [
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
    error_message = "Table item actions must be exactly the ones the application uses."
  }

  assert {
    condition     = tolist(jsondecode(aws_iam_role_policy.this.policy).Statement[0].Resource) == var.dynamodb_table_arns
    error_message = "Item actions must be granted on the three tables only."
  }

  assert {
    condition = (
      jsondecode(aws_iam_role_policy.this.policy).Statement[1].Action == ["dynamodb:Query"] &&
      jsondecode(aws_iam_role_policy.this.policy).Statement[1].Resource == [
        "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-sessions/index/live-sessions-index",
        "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-connections/index/sessionId-targetLanguage-index",
      ]
    )
    error_message = "The indexes may only be queried."
  }

  assert {
    condition = (
      jsondecode(aws_iam_role_policy.this.policy).Statement[2].Action == ["dynamodb:Scan"] &&
      jsondecode(aws_iam_role_policy.this.policy).Statement[2].Resource == [
        "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-livecast-connections",
      ]
    )
    error_message = "Scan is for the sweep, on the tables it is given only."
  }

  assert {
    condition = (
      jsondecode(aws_iam_role_policy.this.policy).Statement[3].Action == ["execute-api:ManageConnections"] &&
      jsondecode(aws_iam_role_policy.this.policy).Statement[3].Resource == [
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/POST/@connections/*",
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/GET/@connections/*",
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/DELETE/@connections/*",
      ]
    )
    error_message = "ManageConnections must be limited to this API's stage @connections (POST, GET, DELETE)."
  }

  assert {
    condition = (
      jsondecode(aws_iam_role_policy.this.policy).Statement[4].Action == ["lambda:InvokeFunction"] &&
      jsondecode(aws_iam_role_policy.this.policy).Statement[4].Resource == ["arn:aws:lambda:eu-west-1:123456789012:function:dev-livecast-session-service"]
    )
    error_message = "The function may invoke itself only."
  }

  assert {
    condition = (
      jsondecode(aws_iam_role_policy.this.policy).Statement[5].Action == ["logs:CreateLogStream", "logs:PutLogEvents"] &&
      jsondecode(aws_iam_role_policy.this.policy).Statement[5].Resource == ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/dev-livecast-session-service:*"]
    )
    error_message = "The function may write to its own log group only."
  }
}

run "sweep_runs_every_minute_from_eventbridge_only" {
  command = apply

  assert {
    condition     = aws_cloudwatch_event_rule.sweep[0].schedule_expression == "rate(1 minute)" && aws_cloudwatch_event_rule.sweep[0].name == "dev-livecast-session-service-sweep"
    error_message = "The sweep must be scheduled every minute."
  }

  assert {
    condition     = aws_cloudwatch_event_target.sweep[0].arn == aws_lambda_function.this.arn && aws_cloudwatch_event_target.sweep[0].input == null
    error_message = "The schedule must target the function with EventBridge's own envelope."
  }

  assert {
    condition = (
      aws_lambda_permission.sweep[0].principal == "events.amazonaws.com" &&
      aws_lambda_permission.sweep[0].action == "lambda:InvokeFunction" &&
      aws_lambda_permission.sweep[0].source_arn == aws_cloudwatch_event_rule.sweep[0].arn
    )
    error_message = "EventBridge may invoke the function only from the sweep rule."
  }
}

run "audio_streams_may_only_be_put_to" {
  command = apply

  variables {
    audio_stream_arns = ["arn:aws:kinesis:eu-west-1:123456789012:stream/dev-livecast-audio"]
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid] == ["TableItems", "IndexQuery", "SweepScan", "AudioStreamPut", "ManageConnections", "InvokeSelf", "OwnLogs", "AsyncFailureDestination"]
    error_message = "An audio stream adds exactly one statement."
  }

  assert {
    condition = (
      jsondecode(aws_iam_role_policy.this.policy).Statement[3].Action == ["kinesis:PutRecord", "kinesis:PutRecords"] &&
      jsondecode(aws_iam_role_policy.this.policy).Statement[3].Resource == ["arn:aws:kinesis:eu-west-1:123456789012:stream/dev-livecast-audio"]
    )
    error_message = "The function may put records on the audio stream, and do nothing else with it."
  }
}

run "audio_stream_arns_must_be_streams" {
  command = plan

  variables {
    audio_stream_arns = ["arn:aws:kinesis:eu-west-1:123456789012:*"]
  }

  expect_failures = [var.audio_stream_arns]
}

run "no_schedule_means_no_rule_and_no_permission" {
  command = apply

  variables {
    schedule_expression = null
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.sweep) == 0 && length(aws_lambda_permission.sweep) == 0 && output.sweep_rule_name == null
    error_message = "A null schedule must create neither a rule nor a permission."
  }
}

run "active_tracing_adds_xray_write_only" {
  command = apply

  variables {
    tracing_mode = "Active"
  }

  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "Active"
    error_message = "Tracing must be Active."
  }

  assert {
    condition = (
      jsondecode(aws_iam_role_policy.this.policy).Statement[7].Sid == "XRayWrite" &&
      jsondecode(aws_iam_role_policy.this.policy).Statement[7].Action == ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    )
    error_message = "Active tracing needs the X-Ray write actions, and only those."
  }
}

run "reserved_environment_variables_are_rejected" {
  command = plan

  variables {
    environment_variables = {
      AWS_REGION = "eu-west-1"
    }
  }

  expect_failures = [var.environment_variables]
}

run "log_retention_must_be_a_cloudwatch_value" {
  command = plan

  variables {
    log_retention_days = 2
  }

  expect_failures = [var.log_retention_days]
}
