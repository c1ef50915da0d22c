# The one API Gateway setting every environment's stage depends on and none
# may own: the CloudWatch role of the account's API Gateway settings, one per
# account and region. Without it a stage with access logs fails to create
# ("CloudWatch Logs role ARN must be set in account settings to enable
# logging"). This stack has a state of its own, so destroying an environment
# never touches it; make deploy applies it (a no-op once it exists) before
# the environment.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  region = data.aws_region.current.name
  # IAM names are global to the account; the setting is per region.
  role_name = "${var.project}-apigateway-logs-${local.region}"
}

resource "aws_iam_role" "cloudwatch" {
  name        = local.role_name
  description = "API Gateway writes the logs of every API in ${local.region} with this role (account settings)."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "apigateway.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# The actions of the AWS managed AmazonAPIGatewayPushToCloudWatchLogs policy,
# limited to this account's log groups in this region.
#tfsec:ignore:aws-iam-no-policy-wildcards API Gateway names the log groups of every API and stage in the account itself.
resource "aws_iam_role_policy" "cloudwatch" {
  name = local.role_name
  role = aws_iam_role.cloudwatch.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid    = "ApiGatewayLogs"
      Effect = "Allow"
      Action = [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
        "logs:FilterLogEvents",
        "logs:GetLogEvents",
        "logs:PutLogEvents",
      ]
      Resource = ["arn:${data.aws_partition.current.partition}:logs:${local.region}:${data.aws_caller_identity.current.account_id}:*"]
    }]
  })
}

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.cloudwatch.arn
  # Destroying this stack (only ever on purpose: make destroy-account) clears
  # the setting instead of leaving it pointing at a deleted role, where
  # stages would stop logging without an error. Provider 5.x marks the
  # argument deprecated because a later major version resets by default.
  reset_on_delete = true

  depends_on = [aws_iam_role_policy.cloudwatch]
}
