# Windows Server agent image for agent-stack (x86_64 only, like the agent's Windows release).
#   packer init images/windows
#   packer build -var region=eu-west-1 -var stack_version=0.1.0 \
#     -var agent_stack_binary=target/x86_64-pc-windows-gnu/release/agent-stack.exe images/windows

packer {
  required_plugins {
    amazon = {
      version = "1.8.2"
      source  = "github.com/hashicorp/amazon"
    }
  }
}

variable "windows_version" {
  type        = string
  default     = "2022"
  description = "Windows Server release of Amazon's base image (2019, 2022, 2025)."
}

variable "arch" {
  type    = string
  default = "x86_64"
  validation {
    condition     = var.arch == "x86_64"
    error_message = "Windows images are x86_64 only."
  }
}

variable "region" {
  type = string
}

variable "instance_type" {
  type    = string
  default = "t3.large"
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "Subnet for the build instance (needs a route to the internet); empty uses the default VPC."
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
  description = "Path to agent-stack.exe built for x86_64 Windows."
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
  timestamp = formatdate("YYYYMMDD'T'hhmm'Z'", timestamp())
  staging   = "C:\\agent-stack-image"
}

source "amazon-ebs" "windows" {
  ami_name        = "agent-stack-windows-${var.arch}-${var.stack_version}-${local.timestamp}"
  ami_description = "Semaphore agent ${var.agent_version} on Windows Server ${var.windows_version}, agent-stack ${var.stack_version}"
  region          = var.region
  instance_type   = var.instance_type
  subnet_id       = var.subnet_id != "" ? var.subnet_id : null
  imds_support    = "v2.0"

  communicator   = "winrm"
  winrm_username = "Administrator"
  winrm_use_ssl  = true
  winrm_insecure = true
  winrm_timeout  = "30m"
  user_data_file = "${path.root}/scripts/bootstrap-winrm.ps1"

  # The last provisioner shuts the instance down through sysprep.
  disable_stop_instance = true

  source_ami_filter {
    most_recent = true
    owners      = ["amazon"]
    filters = {
      name                = "Windows_Server-${var.windows_version}-English-Full-Base-*"
      architecture        = var.arch
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
    volume_size           = 60
    volume_type           = "gp3"
    iops                  = 3000
    throughput            = 125
    encrypted             = true
    delete_on_termination = true
  }

  tags = {
    Name            = "agent-stack-windows-${var.arch}"
    OS              = "windows"
    Arch            = var.arch
    Version         = var.stack_version
    Agent_Version   = var.agent_version
    Toolbox_Version = var.toolbox_version
  }
  run_tags = {
    Name = "agent-stack image build (windows-${var.arch})"
  }
}

build {
  name    = "agent-stack-windows"
  sources = ["source.amazon-ebs.windows"]

  provisioner "powershell" {
    inline = ["New-Item -ItemType Directory -Force -Path ${local.staging} | Out-Null"]
  }

  provisioner "file" {
    source      = var.agent_stack_binary
    destination = "${local.staging}\\agent-stack.exe"
  }

  provisioner "file" {
    sources = [
      "${path.root}/../files/windows/start.ps1",
      "${path.root}/../files/windows/start-later.ps1",
      "${path.root}/../files/windows/shutdown.ps1",
      "${path.root}/files/amazon-cloudwatch-agent.json",
    ]
    destination = "${local.staging}\\"
  }

  provisioner "powershell" {
    environment_vars = [
      "AGENT_VERSION=${var.agent_version}",
      "TOOLBOX_VERSION=${var.toolbox_version}",
      "STAGING=${local.staging}",
    ]
    script = "${path.root}/scripts/provision.ps1"
  }

  # Generalize: each instance gets a new SID, password and a fresh user-data run.
  provisioner "powershell" {
    inline = [
      "Remove-Item -Recurse -Force -Path ${local.staging}",
      "& 'C:\\Program Files\\Amazon\\EC2Launch\\EC2Launch.exe' reset --block",
      "& 'C:\\Program Files\\Amazon\\EC2Launch\\EC2Launch.exe' sysprep --shutdown --block",
    ]
  }
}
