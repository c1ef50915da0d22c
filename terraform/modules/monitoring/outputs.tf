output "alarm_topic_arn" {
  description = "ARN of the SNS topic receiving every alarm."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_topic_name" {
  description = "Name of the SNS topic receiving every alarm."
  value       = aws_sns_topic.alarms.name
}

output "alarm_names" {
  description = "Names of the alarms."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.fault : a.alarm_name],
    [aws_cloudwatch_metric_alarm.session_creation_latency.alarm_name],
  )
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarms" {
  description = "Alarms by name with their metric, dimensions and threshold."
  value = merge(
    {
      for a in aws_cloudwatch_metric_alarm.fault : a.alarm_name => {
        namespace = a.namespace, metric = a.metric_name, dimensions = a.dimensions, threshold = a.threshold
      }
    },
    {
      (aws_cloudwatch_metric_alarm.session_creation_latency.alarm_name) = {
        namespace  = aws_cloudwatch_metric_alarm.session_creation_latency.namespace
        metric     = aws_cloudwatch_metric_alarm.session_creation_latency.metric_name
        dimensions = tomap({})
        threshold  = aws_cloudwatch_metric_alarm.session_creation_latency.threshold
      }
    },
  )
}
