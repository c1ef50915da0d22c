# The account stack against a mocked AWS provider: terraform test (from
# terraform/account).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/livecast-apigateway-logs-eu-west-1"
    }
  }
}

run "registers_a_role_for_this_region" {
  command = apply

  assert {
    condition     = aws_iam_role.cloudwatch.name == "livecast-apigateway-logs-eu-west-1"
    error_message = "The role is named for the region whose setting it fills (IAM names are account-wide)."
  }

  assert {
    condition     = jsondecode(aws_iam_role.cloudwatch.assume_role_policy).Statement[0].Principal.Service == "apigateway.amazonaws.com"
    error_message = "Only API Gateway may assume the role."
  }

  assert {
    condition     = output.cloudwatch_role_arn == aws_iam_role.cloudwatch.arn
    error_message = "The account's API Gateway settings must point at the role."
  }

  assert {
    condition     = aws_api_gateway_account.this.reset_on_delete
    error_message = "Destroying the stack must clear the setting, never leave it pointing at a deleted role."
  }

  assert {
    condition = (
      jsondecode(output.policy_json).Statement[0].Resource == ["arn:aws:logs:eu-west-1:123456789012:*"] &&
      !contains(jsondecode(output.policy_json).Statement[0].Action, "*")
    )
    error_message = "The role may write logs of this account in this region only."
  }
}

run "project_names_must_be_short_lowercase" {
  command = plan

  variables {
    project = "Livecast_Sessions"
  }

  expect_failures = [var.project]
}
