# Values the mocked AWS provider returns in the root module's tests, shaped
# like real ones so that ARNs, URLs and ids can be asserted exactly.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/terraform"
    user_id    = "AIDATERRAFORM"
  }
}

mock_data "aws_region" {
  defaults = {
    name        = "eu-west-1"
    description = "Europe (Ireland)"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition  = "aws"
    dns_suffix = "amazonaws.com"
  }
}

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

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/mocked-role"
  }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:mocked"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:mocked/invocations"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:mocked"
  }
}

mock_resource "aws_cloudwatch_event_rule" {
  defaults = {
    arn = "arn:aws:events:eu-west-1:123456789012:rule/mocked"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:eu-west-1:123456789012:mocked-alarms"
  }
}

mock_resource "aws_cognito_user_pool" {
  defaults = {
    id       = "eu-west-1_MockPool1"
    arn      = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_MockPool1"
    endpoint = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_MockPool1"
  }
}

mock_resource "aws_cognito_user_pool_client" {
  defaults = {
    id = "mockclient0123456789abcdef"
  }
}

mock_resource "aws_kinesis_stream" {
  defaults = {
    arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/mocked-livecast-audio"
  }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:mocked-async-failures"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/mocked-async-failures"
  }
}
