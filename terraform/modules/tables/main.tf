# The three tables of the session service. The application owns the attribute
# names (package store); the keys, the GSI and the TTL attribute below must
# match it. All tables are on-demand: traffic follows live events, not a curve.

locals {
  # Every item carries an epoch-seconds expiry in this attribute (docs/SPEC.md R6/R20).
  ttl_attribute = "ttl"

  # "Listeners of session S in language L" is one Query on this index (docs/SPEC.md R9).
  connections_index_name = "sessionId-targetLanguage-index"

  # Sparse index of live sessions: the application sets `live` while a
  # session is active and removes it when the session ends, so the sweep's
  # Query costs what the live sessions cost. Keys only: updates to a
  # session's counters never write to it.
  sessions_live_index_name = "live-sessions-index"
}

#tfsec:ignore:aws-dynamodb-table-customer-key The AWS managed key is the default; pass kms_key_arn for a customer managed key.
#tfsec:ignore:aws-dynamodb-enable-recovery Point-in-time recovery is per environment (point_in_time_recovery): on in staging and prod.
resource "aws_dynamodb_table" "sessions" {
  name                        = "${var.name_prefix}-sessions"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "sessionId"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "sessionId"
    type = "S"
  }

  attribute {
    name = "live"
    type = "S"
  }

  global_secondary_index {
    name            = local.sessions_live_index_name
    hash_key        = "live"
    projection_type = "KEYS_ONLY"
  }

  ttl {
    attribute_name = local.ttl_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

#tfsec:ignore:aws-dynamodb-table-customer-key The AWS managed key is the default; pass kms_key_arn for a customer managed key.
#tfsec:ignore:aws-dynamodb-enable-recovery Point-in-time recovery is per environment (point_in_time_recovery): on in staging and prod.
resource "aws_dynamodb_table" "connections" {
  name                        = "${var.name_prefix}-connections"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "connectionId"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "connectionId"
    type = "S"
  }

  attribute {
    name = "sessionId"
    type = "S"
  }

  attribute {
    name = "targetLanguage"
    type = "S"
  }

  global_secondary_index {
    name            = local.connections_index_name
    hash_key        = "sessionId"
    range_key       = "targetLanguage"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = local.ttl_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

#tfsec:ignore:aws-dynamodb-table-customer-key The AWS managed key is the default; pass kms_key_arn for a customer managed key.
#tfsec:ignore:aws-dynamodb-enable-recovery Point-in-time recovery is per environment (point_in_time_recovery): on in staging and prod.
resource "aws_dynamodb_table" "rate_limits" {
  name                        = "${var.name_prefix}-rate-limits"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "identifier"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "identifier"
    type = "S"
  }

  ttl {
    attribute_name = local.ttl_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}
