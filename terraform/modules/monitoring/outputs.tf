output "alarm_topic_arn" {
  description = "ARN of the SNS topic receiving every alarm (the module's own, or alarm_topic_arn)."
  value       = local.topic_arn
}

output "alarm_topic_name" {
  description = "Name of the SNS topic receiving every alarm."
  value       = var.alarm_topic_arn != null ? element(split(":", var.alarm_topic_arn), 5) : aws_sns_topic.alarms[0].name
}

output "alarm_names" {
  description = "Names of the alarms."
  value       = keys(local.alarms)
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarms" {
  description = "Alarms by name with what they watch and when they fire."
  value       = local.alarms
}

locals {
  all_alarms = concat(
    values(aws_cloudwatch_metric_alarm.fault),
    [aws_cloudwatch_metric_alarm.session_creation_latency],
    [aws_cloudwatch_metric_alarm.connections_quota],
    aws_cloudwatch_metric_alarm.sweep_heartbeat,
    values(aws_cloudwatch_metric_alarm.lost_work),
  )
  alarms = {
    for a in local.all_alarms : a.alarm_name => {
      namespace           = a.namespace
      metric              = a.metric_name
      dimensions          = a.dimensions == null ? tomap({}) : a.dimensions
      statistic           = a.statistic != null && a.statistic != "" ? a.statistic : a.extended_statistic
      comparison          = a.comparison_operator
      threshold           = a.threshold
      evaluation_periods  = a.evaluation_periods
      datapoints_to_alarm = a.datapoints_to_alarm
      treat_missing_data  = a.treat_missing_data
      low_sample_count    = a.evaluate_low_sample_count_percentiles
      actions             = a.alarm_actions
    }
  }
}
