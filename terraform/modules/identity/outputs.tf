output "user_pool_id" {
  description = "Id of the user pool (USER_POOL_ID)."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "ARN of the user pool."
  value       = aws_cognito_user_pool.this.arn
}

output "client_id" {
  description = "Id of the speakers' app client (CLIENT_ID)."
  value       = aws_cognito_user_pool_client.this.id
}

output "issuer" {
  description = "Issuer (iss claim) of the pool's tokens; its JWKS is at issuer + \"/.well-known/jwks.json\"."
  value       = "https://${aws_cognito_user_pool.this.endpoint}"
}

output "deletion_protection" {
  description = "Deletion protection of the pool (ACTIVE or INACTIVE)."
  value       = aws_cognito_user_pool.this.deletion_protection
}

output "email_sending_account" {
  description = "Who sends the pool's mail: COGNITO_DEFAULT, or DEVELOPER (through the SES identity)."
  value       = var.ses_identity_arn == null ? "COGNITO_DEFAULT" : one(aws_cognito_user_pool.this.email_configuration[*].email_sending_account)
}
