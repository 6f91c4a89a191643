# Ubuntu agent image for agent-stack (focal, jammy or noble; x86_64 or arm64).
# Build from this directory's parent or anywhere else: paths are relative to this file.
#   packer init images/linux
#   packer build -var ubuntu_name=noble -var arch=arm64 -var region=eu-west-1 \
#     -var stack_version=0.1.0 \
#     -var agent_stack_binary=target/aarch64-unknown-linux-musl/release/agent-stack images/linux

packer {
  required_plugins {
    amazon = {
      version = "1.8.2"
      source  = "github.com/hashicorp/amazon"
    }
  }
}

variable "ubuntu_name" {
  type    = string
  default = "noble"
  validation {
    condition     = contains(["focal", "jammy", "noble"], var.ubuntu_name)
    error_message = "The ubuntu_name must be focal, jammy or noble."
  }
}

variable "ubuntu_version" {
  type        = string
  default     = ""
  description = "Release number; empty picks the one that goes with ubuntu_name."
}

variable "arch" {
  type    = string
  default = "x86_64"
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
  description = "Build instance type; empty picks t3.medium (x86_64) or t4g.medium (arm64)."
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "Subnet for the build instance (needs a route to the internet); empty uses the default VPC."
}

variable "source_ami" {
  type        = string
  default     = ""
  description = "Base AMI; empty picks Canonical's newest server image for the release and arch."
}

variable "agent_version" {
  type    = string
  default = "v2.4.0"
}

variable "agent_url" {
  type        = string
  default     = ""
  description = "Agent tarball URL; empty means the GitHub release of agent_version."
}

variable "toolbox_version" {
  type    = string
  default = "v1.44.0"
}

variable "agent_stack_binary" {
  type        = string
  description = "Path to the agent-stack binary built for arch (a static musl build)."
}

variable "stack_version" {
  type        = string
  description = "agent-stack version, e.g. 0.1.0; part of the image name."
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+", var.stack_version))
    error_message = "The stack_version must start with MAJOR.MINOR.PATCH (no leading v)."
  }
}

variable "systemd_restart_seconds" {
  type        = string
  default     = "1800"
  description = "RestartSec of the semaphore-agent unit."
}

locals {
  timestamp      = formatdate("YYYYMMDD'T'hhmm'Z'", timestamp())
  ubuntu_version = var.ubuntu_version != "" ? var.ubuntu_version : lookup({ focal = "20.04", jammy = "22.04", noble = "24.04" }, var.ubuntu_name, "")
  instance_type  = var.instance_type != "" ? var.instance_type : (var.arch == "arm64" ? "t4g.medium" : "t3.medium")
  os             = "ubuntu-${var.ubuntu_name}"
  staging        = "/tmp/agent-stack-image"
}

source "amazon-ebs" "ubuntu" {
  ami_name        = "agent-stack-ubuntu-${var.ubuntu_name}-${var.arch}-${var.stack_version}-${local.timestamp}"
  ami_description = "Semaphore agent ${var.agent_version} on Ubuntu ${local.ubuntu_version} (${var.arch}), agent-stack ${var.stack_version}"
  region          = var.region
  instance_type   = local.instance_type
  subnet_id       = var.subnet_id != "" ? var.subnet_id : null
  ssh_username    = "ubuntu"
  imds_support    = "v2.0"

  source_ami = var.source_ami != "" ? var.source_ami : null

  dynamic "source_ami_filter" {
    for_each = var.source_ami != "" ? [] : [1]
    content {
      most_recent = true
      owners      = ["099720109477"] # Canonical
      filters = {
        name                = "ubuntu/images/*/ubuntu-${var.ubuntu_name}-${local.ubuntu_version}-*-server-*"
        architecture        = var.arch
        root-device-type    = "ebs"
        virtualization-type = "hvm"
      }
    }
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_size           = 30
    volume_type           = "gp3"
    iops                  = 3000
    throughput            = 125
    encrypted             = true
    delete_on_termination = true
  }

  tags = {
    Name            = "agent-stack-${local.os}-${var.arch}"
    OS              = local.os
    Arch            = var.arch
    Version         = var.stack_version
    Agent_Version   = var.agent_version
    Toolbox_Version = var.toolbox_version
  }
  run_tags = {
    Name = "agent-stack image build (${local.os}-${var.arch})"
  }
}

build {
  name    = "agent-stack-ubuntu"
  sources = ["source.amazon-ebs.ubuntu"]

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
      "${path.root}/files/agent-stack-health.service",
      "${path.root}/files/agent-stack-health.timer",
      "${path.root}/files/agent-stack-watch.service",
      "${path.root}/files/agent-stack-boot.service",
    ]
    destination = "${local.staging}/"
  }

  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; sudo -E env {{ .Vars }} {{ .Path }}"
    environment_vars = [
      "ARCH=${var.arch}",
      "AGENT_VERSION=${var.agent_version}",
      "AGENT_URL=${var.agent_url}",
      "TOOLBOX_VERSION=${var.toolbox_version}",
      "SYSTEMD_RESTART_SECONDS=${var.systemd_restart_seconds}",
      "STAGING=${local.staging}",
    ]
    scripts = [
      "${path.root}/scripts/10-base.sh",
      "${path.root}/scripts/20-docker.sh",
      "${path.root}/scripts/30-cloudwatch.sh",
      "${path.root}/scripts/40-agent.sh",
      "${path.root}/scripts/90-cleanup.sh",
    ]
  }
}
