variable "name_prefix" {
  description = "Prefix of the stream's name, starting with the environment (e.g. \"dev-livecast\")."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 2-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "retention_hours" {
  description = "How long records stay readable, in hours: 24 (the minimum, included in the on-demand price) up to 8760. Longer lets the pipeline replay audio after an outage, at the extended-retention price."
  type        = number
  default     = 24

  validation {
    condition     = var.retention_hours >= 24 && var.retention_hours <= 8760 && floor(var.retention_hours) == var.retention_hours
    error_message = "retention_hours must be a whole number of hours between 24 and 8760."
  }
}

variable "kms_key_id" {
  description = "KMS key encrypting the stream: the AWS managed alias/aws/kinesis (the default), or a customer managed key, whose policy must then let the function generate data keys and the pipeline decrypt."
  type        = string
  default     = "alias/aws/kinesis"

  validation {
    condition     = length(var.kms_key_id) > 0
    error_message = "kms_key_id must name a KMS key: the stream is always encrypted."
  }
}

variable "tags" {
  description = "Tags added to the stream."
  type        = map(string)
  default     = {}
}
