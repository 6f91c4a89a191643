# macOS agent image for agent-stack, built on an EC2 Mac dedicated host (mac1 = x86_64,
# mac2 family = arm64). Allocate the host first; Packer places the instance on it.
#   packer init images/macos
#   packer build -var arch=arm64 -var region=eu-west-1 -var stack_version=0.1.0 \
#     -var agent_stack_binary=target/aarch64-apple-darwin/release/agent-stack images/macos

packer {
  required_plugins {
    amazon = {
      version = "1.8.2"
      source  = "github.com/hashicorp/amazon"
    }
  }
}

variable "macos_version" {
  type        = string
  default     = "15"
  description = "Major (or major.minor) macOS version of Amazon's base image."
}

variable "arch" {
  type    = string
  default = "arm64"
  validation {
    condition     = contains(["x86_64", "arm64"], var.arch)
    error_message = "The arch must be x86_64 or arm64."
  }
}

variable "region" {
  type = string
}

variable "instance_type" {
  type        = string
  default     = ""
  description = "Empty picks mac2.metal (arm64) or mac1.metal (x86_64)."
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "Subnet for the build instance (needs a route to the internet); empty uses the default VPC."
}

variable "host_id" {
  type        = string
  default     = ""
  description = "Dedicated host to build on; empty lets EC2 pick one with auto-placement."
}

variable "host_resource_group_arn" {
  type    = string
  default = ""
}

variable "agent_version" {
  type    = string
  default = "v2.4.0"
}

variable "toolbox_version" {
  type    = string
  default = "v1.44.0"
}

variable "agent_stack_binary" {
  type        = string
  description = "Path to the agent-stack binary built for arch (x86_64/aarch64-apple-darwin)."
}

variable "stack_version" {
  type        = string
  description = "agent-stack version, e.g. 0.1.0; part of the image name."
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+", var.stack_version))
    error_message = "The stack_version must start with MAJOR.MINOR.PATCH (no leading v)."
  }
}

locals {
  timestamp     = formatdate("YYYYMMDD'T'hhmm'Z'", timestamp())
  instance_type = var.instance_type != "" ? var.instance_type : (var.arch == "arm64" ? "mac2.metal" : "mac1.metal")
  staging       = "/tmp/agent-stack-image"
}

source "amazon-ebs" "macos" {
  ami_name        = "agent-stack-macos-${var.arch}-${var.stack_version}-${local.timestamp}"
  ami_description = "Semaphore agent ${var.agent_version} on macOS ${var.macos_version} (${var.arch}), agent-stack ${var.stack_version}"
  region          = var.region
  instance_type   = local.instance_type
  subnet_id       = var.subnet_id != "" ? var.subnet_id : null
  ssh_username    = "ec2-user"
  ssh_timeout     = "2h"
  ebs_optimized   = true
  imds_support    = "v2.0"

  placement {
    tenancy                 = "host"
    host_id                 = var.host_id != "" ? var.host_id : null
    host_resource_group_arn = var.host_resource_group_arn != "" ? var.host_resource_group_arn : null
  }

  # Mac instances take long to stop and to snapshot.
  aws_polling {
    delay_seconds = 60
    max_attempts  = 90
  }

  source_ami_filter {
    most_recent = true
    owners      = ["amazon"]
    filters = {
      name                = "amzn-ec2-macos-${var.macos_version}*"
      architecture        = "${var.arch}_mac"
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_size           = 150
    volume_type           = "gp3"
    iops                  = 3000
    throughput            = 125
    encrypted             = true
    delete_on_termination = true
  }

  tags = {
    Name            = "agent-stack-macos-${var.arch}"
    OS              = "macos"
    Arch            = var.arch
    Version         = var.stack_version
    Agent_Version   = var.agent_version
    Toolbox_Version = var.toolbox_version
  }
  run_tags = {
    Name = "agent-stack image build (macos-${var.arch})"
  }
}

build {
  name    = "agent-stack-macos"
  sources = ["source.amazon-ebs.macos"]

  provisioner "shell" {
    inline = ["mkdir -p ${local.staging}"]
  }

  provisioner "file" {
    source      = var.agent_stack_binary
    destination = "${local.staging}/agent-stack"
  }

  provisioner "file" {
    sources = [
      "${path.root}/../files/start.sh",
      "${path.root}/../files/shutdown",
      "${path.root}/files/amazon-cloudwatch-agent.json",
      "${path.root}/files/com.semaphoreci.agent-stack.health-check.plist",
      "${path.root}/files/com.semaphoreci.agent-stack.watch.plist",
    ]
    destination = "${local.staging}/"
  }

  # Homebrew refuses to run as root: this one runs as ec2-user.
  provisioner "shell" {
    script = "${path.root}/scripts/10-homebrew.sh"
  }

  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; sudo -E env {{ .Vars }} {{ .Path }}"
    environment_vars = [
      "ARCH=${var.arch}",
      "AGENT_VERSION=${var.agent_version}",
      "TOOLBOX_VERSION=${var.toolbox_version}",
      "STAGING=${local.staging}",
    ]
    scripts = [
      "${path.root}/scripts/20-provision.sh",
      "${path.root}/scripts/90-cleanup.sh",
    ]
  }
}
