# Offline unit tests: terraform test (from this directory) with a mocked AWS provider.

mock_provider "aws" {
  mock_resource "aws_kinesis_stream" {
    defaults = {
      arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/dev-livecast-audio"
    }
  }
}

variables {
  name_prefix = "dev-livecast"
}

run "an_encrypted_on_demand_stream_kept_a_day" {
  command = apply

  assert {
    condition     = output.stream_name == "dev-livecast-audio" && output.stream_arn == "arn:aws:kinesis:eu-west-1:123456789012:stream/dev-livecast-audio"
    error_message = "The stream is named for the environment and its ARN is an output for the pipeline."
  }

  assert {
    condition     = output.configuration.stream_mode == "ON_DEMAND" && aws_kinesis_stream.audio.shard_count == null
    error_message = "The stream is on-demand: no shard count to size."
  }

  assert {
    condition     = output.configuration.encryption_type == "KMS" && output.configuration.kms_key_id == "alias/aws/kinesis"
    error_message = "The stream is encrypted at rest with the AWS managed key by default."
  }

  assert {
    condition     = output.configuration.retention_hours == 24
    error_message = "Records are kept 24 hours (the minimum) by default."
  }
}

run "retention_follows_the_variable" {
  command = apply

  variables {
    retention_hours = 72
  }

  assert {
    condition     = aws_kinesis_stream.audio.retention_period == 72
    error_message = "retention_hours sets the stream's retention."
  }
}

run "retention_below_a_day_is_refused" {
  command = plan

  variables {
    retention_hours = 12
  }

  expect_failures = [var.retention_hours]
}

run "an_unencrypted_stream_is_refused" {
  command = plan

  variables {
    kms_key_id = ""
  }

  expect_failures = [var.kms_key_id]
}
