# Offline unit tests: terraform test (from this directory) with a mocked AWS provider.

mock_provider "aws" {}

variables {
  name_prefix = "dev-livecast"
}

run "pool_and_public_client_for_speakers" {
  command = apply

  assert {
    condition     = aws_cognito_user_pool.this.name == "dev-livecast-speakers" && aws_cognito_user_pool.this.deletion_protection == "INACTIVE"
    error_message = "The pool is named for the environment and unprotected by default."
  }

  assert {
    condition = (
      aws_cognito_user_pool_client.this.user_pool_id == aws_cognito_user_pool.this.id &&
      aws_cognito_user_pool_client.this.generate_secret == false &&
      toset(aws_cognito_user_pool_client.this.explicit_auth_flows) == toset(["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    )
    error_message = "The speakers' client is public (no secret) and uses SRP and refresh tokens only."
  }

  assert {
    condition     = output.user_pool_id == aws_cognito_user_pool.this.id && output.client_id == aws_cognito_user_pool_client.this.id
    error_message = "Outputs must give the pool and client ids."
  }
}

run "protected_pool" {
  command = apply

  variables {
    deletion_protection = true
  }

  assert {
    condition     = aws_cognito_user_pool.this.deletion_protection == "ACTIVE"
    error_message = "deletion_protection must turn on the pool's protection."
  }
}

run "default_sender_without_ses" {
  command = apply

  assert {
    condition     = length(aws_cognito_user_pool.this.email_configuration) == 0 && output.email_sending_account == "COGNITO_DEFAULT"
    error_message = "Without an SES identity the pool keeps Cognito's default sender."
  }
}

run "mail_through_ses_when_given" {
  command = apply

  variables {
    email_from_address = "Livecast <no-reply@example.org>"
    ses_identity_arn   = "arn:aws:ses:eu-west-1:123456789012:identity/example.org"
  }

  assert {
    condition = (
      aws_cognito_user_pool.this.email_configuration[0].email_sending_account == "DEVELOPER" &&
      aws_cognito_user_pool.this.email_configuration[0].source_arn == "arn:aws:ses:eu-west-1:123456789012:identity/example.org" &&
      aws_cognito_user_pool.this.email_configuration[0].from_email_address == "Livecast <no-reply@example.org>" &&
      output.email_sending_account == "DEVELOPER"
    )
    error_message = "With an SES identity the pool sends its mail through SES from the given address."
  }
}

run "ses_needs_a_from_address" {
  command = plan

  variables {
    ses_identity_arn = "arn:aws:ses:eu-west-1:123456789012:identity/example.org"
  }

  expect_failures = [var.ses_identity_arn]
}
