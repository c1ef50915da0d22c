variable "name_prefix" {
  description = "Prefix of every name, starting with the environment (e.g. \"dev-livecast\")."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 2-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "deletion_protection" {
  description = "Protect the user pool from deletion (terraform destroy then fails until it is turned off)."
  type        = bool
  default     = false
}

variable "mfa_configuration" {
  description = "MFA for speakers: OFF, OPTIONAL or ON (ON and OPTIONAL use TOTP software tokens)."
  type        = string
  default     = "OPTIONAL"

  validation {
    condition     = contains(["OFF", "OPTIONAL", "ON"], var.mfa_configuration)
    error_message = "mfa_configuration must be OFF, OPTIONAL or ON."
  }
}

variable "access_token_validity_minutes" {
  description = "Lifetime of access and ID tokens in minutes (speakers present one when they connect)."
  type        = number
  default     = 60

  validation {
    condition     = var.access_token_validity_minutes >= 5 && var.access_token_validity_minutes <= 1440
    error_message = "access_token_validity_minutes must be between 5 and 1440."
  }
}

variable "refresh_token_validity_days" {
  description = "Lifetime of refresh tokens in days."
  type        = number
  default     = 30

  validation {
    condition     = var.refresh_token_validity_days >= 1 && var.refresh_token_validity_days <= 3650
    error_message = "refresh_token_validity_days must be between 1 and 3650."
  }
}

variable "email_from_address" {
  description = "From address of the pool's mail when sent through SES (ses_identity_arn); null with ses_identity_arn null keeps Cognito's default sender."
  type        = string
  default     = null
}

variable "ses_identity_arn" {
  description = "Verified SES identity the pool sends its mail with (email_sending_account = DEVELOPER); null: Cognito's default sender, limited to a few dozen messages a day."
  type        = string
  default     = null

  validation {
    condition     = (var.ses_identity_arn == null) == (var.email_from_address == null)
    error_message = "ses_identity_arn and email_from_address go together."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
