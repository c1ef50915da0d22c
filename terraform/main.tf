# Session service: one function behind an API Gateway WebSocket API, three
# DynamoDB tables, a Kinesis stream for the speaker's audio, an EventBridge
# sweep, alarms and a dashboard. One tfvars file per environment in envs/.
# The account's API Gateway logging role is not here: see terraform/account.

locals {
  name_prefix = "${var.environment}-${var.project}"
  stage_name  = coalesce(var.stage_name, var.environment)
  # path.module, not path.root: the module may be called from a wrapper
  # configuration (tests/terraform does).
  package_path = coalesce(var.package_path, "${path.module}/../build/bootstrap.zip")

  tags = merge(var.tags, {
    Environment = var.environment
    Project     = var.project
    ManagedBy   = "terraform"
  })

  # One namespace per environment, so that environments sharing an account
  # never count each other's errors.
  metrics_namespace = coalesce(var.metrics_namespace, "SessionService/${var.environment}")

  user_pool_id = var.create_user_pool ? module.identity[0].user_pool_id : var.user_pool_id
  client_id    = var.create_user_pool ? module.identity[0].client_id : var.client_id

  # The binary's whole configuration (AWS_REGION and AWS_LAMBDA_FUNCTION_NAME
  # are set by Lambda itself).
  function_environment = {
    SESSIONS_TABLE                         = module.tables.sessions_table_name
    CONNECTIONS_TABLE                      = module.tables.connections_table_name
    RATE_LIMITS_TABLE                      = module.tables.rate_limits_table_name
    MAX_LISTENERS_PER_SESSION              = tostring(var.max_listeners_per_session)
    SESSION_MAX_DURATION_HOURS             = tostring(var.session_max_duration_hours)
    CONNECTION_MAX_DURATION_HOURS          = tostring(var.connection_max_duration_hours)
    CONNECTION_REFRESH_MINUTES             = tostring(var.connection_refresh_minutes)
    CONNECTION_WARNING_MINUTES             = tostring(var.connection_warning_minutes)
    HEARTBEAT_INTERVAL_SECONDS             = tostring(var.heartbeat_interval_seconds)
    HEARTBEAT_TIMEOUT_SECONDS              = tostring(var.heartbeat_timeout_seconds)
    RATE_LIMIT_SESSIONS_PER_HOUR           = tostring(var.rate_limit_sessions_per_hour)
    RATE_LIMIT_LISTENER_JOINS_PER_MIN      = tostring(var.rate_limit_listener_joins_per_min)
    RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN = tostring(var.rate_limit_connection_attempts_per_min)
    RATE_LIMIT_HEARTBEATS_PER_MIN          = tostring(var.rate_limit_heartbeats_per_min)
    USER_POOL_ID                           = local.user_pool_id
    CLIENT_ID                              = local.client_id
    LOG_LEVEL                              = var.log_level
    WEBSOCKET_ENDPOINT                     = module.websocket_api.connections_endpoint
    METRICS_NAMESPACE                      = local.metrics_namespace
    AUDIO_STREAM_NAME                      = module.audio_stream.stream_name
  }
}

module "identity" {
  source = "./modules/identity"
  count  = var.create_user_pool ? 1 : 0

  name_prefix         = local.name_prefix
  deletion_protection = var.user_pool_deletion_protection
  email_from_address  = var.cognito_email_from_address
  ses_identity_arn    = var.cognito_ses_identity_arn
  tags                = local.tags
}

module "tables" {
  source = "./modules/tables"

  name_prefix            = local.name_prefix
  point_in_time_recovery = var.point_in_time_recovery
  deletion_protection    = var.deletion_protection
  tags                   = local.tags
}

module "audio_stream" {
  source = "./modules/audio_stream"

  name_prefix     = local.name_prefix
  retention_hours = var.audio_stream_retention_hours
  tags            = local.tags
}

module "function" {
  source = "./modules/function"

  function_name         = "${local.name_prefix}-session-service"
  package_path          = local.package_path
  memory_size           = var.function_memory_mb
  timeout_seconds       = var.function_timeout_seconds
  reserved_concurrency  = var.function_reserved_concurrency
  tracing_mode          = var.tracing_mode
  log_retention_days    = var.log_retention_days
  environment_variables = local.function_environment
  schedule_expression   = var.sweep_schedule_expression

  dynamodb_table_arns = module.tables.table_arns
  dynamodb_index_arns = module.tables.index_arns
  # The sweep scans Connections for silent and orphaned records; it finds
  # live sessions through the live-sessions index, never by scanning.
  dynamodb_scan_table_arns = [module.tables.connections_table_arn]
  audio_stream_arns        = [module.audio_stream.stream_arn]
  websocket_execution_arn  = module.websocket_api.execution_arn
  websocket_stage_name     = local.stage_name

  tags = local.tags
}

module "websocket_api" {
  source = "./modules/websocket_api"

  name_prefix                 = local.name_prefix
  stage_name                  = local.stage_name
  function_name               = module.function.function_name
  function_invoke_arn         = module.function.invoke_arn
  enable_authorizer           = var.enable_authorizer
  authorizer_identity_sources = var.authorizer_identity_sources
  two_way_routes              = var.two_way_routes
  create_deployment           = var.create_api_deployment
  throttling_burst_limit      = var.throttling_burst_limit
  throttling_rate_limit       = var.throttling_rate_limit
  detailed_metrics_enabled    = var.detailed_metrics_enabled
  execution_logging_level     = var.execution_logging_level
  access_log_retention_days   = var.log_retention_days

  tags = local.tags
}

module "monitoring" {
  source = "./modules/monitoring"

  name_prefix                       = local.name_prefix
  function_name                     = module.function.function_name
  api_id                            = module.websocket_api.api_id
  stage_name                        = local.stage_name
  metrics_namespace                 = local.metrics_namespace
  audio_stream_name                 = module.audio_stream.stream_name
  alarm_email                       = var.alarm_email
  alarm_topic_arn                   = var.alarm_topic_arn
  evaluation_periods                = var.alarm_evaluation_periods
  datapoints_to_alarm               = var.alarm_datapoints_to_alarm
  sweep_enabled                     = var.sweep_schedule_expression != null
  async_failures_queue_name         = module.function.async_failures_queue_name
  function_errors_threshold         = var.alarm_function_errors_threshold
  function_throttles_threshold      = var.alarm_function_throttles_threshold
  api_errors_threshold              = var.alarm_api_errors_threshold
  session_creation_p95_threshold_ms = var.alarm_session_creation_p95_ms
  fault_responses_threshold         = var.alarm_fault_responses_threshold
  connections_quota_per_second      = var.api_gateway_request_quota
  connections_quota_alarm_share     = var.alarm_connections_quota_share

  tags = local.tags
}

