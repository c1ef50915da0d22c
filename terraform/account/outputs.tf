output "cloudwatch_role_arn" {
  description = "Role registered in the account's API Gateway settings for this region."
  value       = aws_api_gateway_account.this.cloudwatch_role_arn
}

output "policy_json" {
  description = "The role's inline policy document (for review and tests)."
  value       = aws_iam_role_policy.cloudwatch.policy
}
