output "sessions_table_name" {
  description = "Name of the Sessions table (SESSIONS_TABLE)."
  value       = aws_dynamodb_table.sessions.name
}

output "sessions_table_arn" {
  description = "ARN of the Sessions table."
  value       = aws_dynamodb_table.sessions.arn
}

output "connections_table_name" {
  description = "Name of the Connections table (CONNECTIONS_TABLE)."
  value       = aws_dynamodb_table.connections.name
}

output "connections_table_arn" {
  description = "ARN of the Connections table."
  value       = aws_dynamodb_table.connections.arn
}

output "connections_index_name" {
  description = "Name of the Connections GSI keyed by (sessionId, targetLanguage)."
  value       = local.connections_index_name
}

output "connections_index_arn" {
  description = "ARN of the Connections GSI, for IAM policies that Query it."
  value       = "${aws_dynamodb_table.connections.arn}/index/${local.connections_index_name}"
}

output "sessions_live_index_name" {
  description = "Name of the sparse Sessions GSI holding live sessions (hash key live)."
  value       = local.sessions_live_index_name
}

output "sessions_live_index_arn" {
  description = "ARN of the live-sessions GSI, for IAM policies that Query it."
  value       = "${aws_dynamodb_table.sessions.arn}/index/${local.sessions_live_index_name}"
}

output "index_arns" {
  description = "ARNs of every secondary index: live-sessions (Sessions), then sessionId-targetLanguage (Connections)."
  value = [
    "${aws_dynamodb_table.sessions.arn}/index/${local.sessions_live_index_name}",
    "${aws_dynamodb_table.connections.arn}/index/${local.connections_index_name}",
  ]
}

output "rate_limits_table_name" {
  description = "Name of the RateLimits table (RATE_LIMITS_TABLE)."
  value       = aws_dynamodb_table.rate_limits.name
}

output "rate_limits_table_arn" {
  description = "ARN of the RateLimits table."
  value       = aws_dynamodb_table.rate_limits.arn
}

output "table_arns" {
  description = "ARNs of the three tables, Sessions, Connections, RateLimits in that order."
  value = [
    aws_dynamodb_table.sessions.arn,
    aws_dynamodb_table.connections.arn,
    aws_dynamodb_table.rate_limits.arn,
  ]
}

output "tables" {
  description = "What was built, by logical table: name, ARN, keys, TTL attribute and protection settings."
  value = {
    for k, t in {
      sessions    = aws_dynamodb_table.sessions
      connections = aws_dynamodb_table.connections
      rate_limits = aws_dynamodb_table.rate_limits
      } : k => {
      name                   = t.name
      arn                    = t.arn
      hash_key               = t.hash_key
      range_key              = t.range_key
      billing_mode           = t.billing_mode
      ttl_attribute          = one([for x in t.ttl : x.attribute_name if x.enabled])
      point_in_time_recovery = one(t.point_in_time_recovery[*].enabled)
      deletion_protection    = t.deletion_protection_enabled
      global_secondary_indexes = {
        for g in t.global_secondary_index : g.name => {
          hash_key        = g.hash_key
          range_key       = g.range_key
          projection_type = g.projection_type
        }
      }
    }
  }
}
