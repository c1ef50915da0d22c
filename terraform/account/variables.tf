variable "project" {
  description = "Project name; the role is named <project>-apigateway-logs-<region>."
  type        = string
  default     = "livecast"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region whose API Gateway settings this stack owns; null takes it from the AWS settings (AWS_REGION, the profile)."
  type        = string
  default     = null

  validation {
    condition     = var.region == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1, or null."
  }
}

variable "tags" {
  description = "Extra tags for the role (Project and ManagedBy are always set)."
  type        = map(string)
  default     = {}
}
