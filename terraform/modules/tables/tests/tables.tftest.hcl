# Offline unit tests: terraform test (from this directory) with a mocked AWS provider.

mock_provider "aws" {}

variables {
  name_prefix = "dev-livecast"
}

run "tables_have_the_keys_index_and_ttl_the_application_uses" {
  command = apply

  assert {
    condition     = aws_dynamodb_table.sessions.name == "dev-livecast-sessions" && aws_dynamodb_table.connections.name == "dev-livecast-connections" && aws_dynamodb_table.rate_limits.name == "dev-livecast-rate-limits"
    error_message = "Table names must be <prefix>-sessions, <prefix>-connections and <prefix>-rate-limits."
  }

  assert {
    condition     = aws_dynamodb_table.sessions.hash_key == "sessionId" && aws_dynamodb_table.sessions.range_key == null
    error_message = "Sessions must be keyed by sessionId alone."
  }

  assert {
    condition     = aws_dynamodb_table.connections.hash_key == "connectionId" && aws_dynamodb_table.connections.range_key == null
    error_message = "Connections must be keyed by connectionId alone."
  }

  assert {
    condition     = aws_dynamodb_table.rate_limits.hash_key == "identifier" && aws_dynamodb_table.rate_limits.range_key == null
    error_message = "RateLimits must be keyed by identifier alone."
  }

  assert {
    condition     = toset([for a in aws_dynamodb_table.connections.attribute : "${a.name}:${a.type}"]) == toset(["connectionId:S", "sessionId:S", "targetLanguage:S"])
    error_message = "Connections must declare connectionId, sessionId and targetLanguage as strings."
  }

  assert {
    condition = (
      length(aws_dynamodb_table.connections.global_secondary_index) == 1 &&
      one(aws_dynamodb_table.connections.global_secondary_index).name == "sessionId-targetLanguage-index" &&
      one(aws_dynamodb_table.connections.global_secondary_index).hash_key == "sessionId" &&
      one(aws_dynamodb_table.connections.global_secondary_index).range_key == "targetLanguage" &&
      one(aws_dynamodb_table.connections.global_secondary_index).projection_type == "ALL"
    )
    error_message = "Connections needs exactly the GSI sessionId-targetLanguage-index (sessionId, targetLanguage), projecting ALL."
  }

  assert {
    condition = (
      toset([for a in aws_dynamodb_table.sessions.attribute : "${a.name}:${a.type}"]) == toset(["sessionId:S", "live:S"]) &&
      length(aws_dynamodb_table.sessions.global_secondary_index) == 1 &&
      one(aws_dynamodb_table.sessions.global_secondary_index).name == "live-sessions-index" &&
      one(aws_dynamodb_table.sessions.global_secondary_index).hash_key == "live" &&
      one(aws_dynamodb_table.sessions.global_secondary_index).range_key == null &&
      one(aws_dynamodb_table.sessions.global_secondary_index).projection_type == "KEYS_ONLY"
    )
    error_message = "Sessions needs the sparse GSI live-sessions-index (hash live), keys only."
  }

  assert {
    condition     = length(aws_dynamodb_table.rate_limits.global_secondary_index) == 0
    error_message = "RateLimits has no secondary index."
  }

  assert {
    condition = alltrue([
      for t in [aws_dynamodb_table.sessions, aws_dynamodb_table.connections, aws_dynamodb_table.rate_limits] :
      t.ttl[0].enabled && t.ttl[0].attribute_name == "ttl"
    ])
    error_message = "Every table must expire items through the ttl attribute."
  }

  assert {
    condition = alltrue([
      for t in [aws_dynamodb_table.sessions, aws_dynamodb_table.connections, aws_dynamodb_table.rate_limits] :
      t.billing_mode == "PAY_PER_REQUEST" && t.server_side_encryption[0].enabled
    ])
    error_message = "Every table must be on-demand and encrypted."
  }

  assert {
    condition = alltrue([
      for t in [aws_dynamodb_table.sessions, aws_dynamodb_table.connections, aws_dynamodb_table.rate_limits] :
      !t.point_in_time_recovery[0].enabled && !t.deletion_protection_enabled
    ])
    error_message = "PITR and deletion protection are off unless asked for."
  }

  assert {
    condition     = output.connections_index_arn == "${aws_dynamodb_table.connections.arn}/index/sessionId-targetLanguage-index"
    error_message = "The index ARN output must be the table ARN plus /index/<name>."
  }

  assert {
    condition     = output.index_arns == ["${aws_dynamodb_table.sessions.arn}/index/live-sessions-index", "${aws_dynamodb_table.connections.arn}/index/sessionId-targetLanguage-index"]
    error_message = "index_arns must list the live-sessions and listeners indexes."
  }

  assert {
    condition     = output.table_arns == [aws_dynamodb_table.sessions.arn, aws_dynamodb_table.connections.arn, aws_dynamodb_table.rate_limits.arn]
    error_message = "table_arns must list Sessions, Connections, RateLimits."
  }
}

run "production_switches_turn_on_pitr_and_deletion_protection" {
  command = apply

  variables {
    name_prefix            = "prod-livecast"
    point_in_time_recovery = true
    deletion_protection    = true
  }

  assert {
    condition = alltrue([
      for t in [aws_dynamodb_table.sessions, aws_dynamodb_table.connections, aws_dynamodb_table.rate_limits] :
      t.point_in_time_recovery[0].enabled && t.deletion_protection_enabled
    ])
    error_message = "PITR and deletion protection must be on for every table."
  }
}

run "a_malformed_prefix_is_rejected" {
  command = plan

  variables {
    name_prefix = "Dev_Livecast"
  }

  expect_failures = [var.name_prefix]
}
