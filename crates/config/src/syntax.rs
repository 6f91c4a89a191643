//! Syntax checks for AWS identifiers and names, without a regex engine.

fn all(s: &str, ok: impl Fn(char) -> bool) -> bool {
    s.chars().all(ok)
}

fn hex_id(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix)
        .is_some_and(|rest| (rest.len() == 8 || rest.len() == 17) && all(rest, |c| c.is_ascii_digit() || ('a'..='f').contains(&c)))
}

/// CloudFormation stack names: a letter, then letters, digits and hyphens.
pub fn stack_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic()) && all(s, |c| c.is_ascii_alphanumeric() || c == '-')
}

/// SSM parameter names: `[a-zA-Z0-9_.-/]`, hierarchical names start with `/`, no reserved prefix.
pub fn ssm_parameter_name(s: &str) -> bool {
    let lower = s.trim_start_matches('/').to_ascii_lowercase();
    !s.is_empty()
        && s.len() <= 1011
        && all(s, |c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
        && (!s.contains('/') || s.starts_with('/'))
        && !s.contains("//")
        && !s.ends_with('/')
        && !lower.starts_with("aws")
        && !lower.starts_with("ssm")
}

/// DNS host names (labels of letters, digits and hyphens) with an optional `:port`.
pub fn host_port(s: &str) -> bool {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && all(label, |c| c.is_ascii_alphanumeric() || c == '-')
        });
    port_ok && host_ok
}

/// Whether a host (without port) is a loopback name or address.
pub fn is_loopback_host(host_port: &str) -> bool {
    let host = host_port.rsplit_once(':').map_or(host_port, |(h, _)| h);
    host == "localhost" || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// Semaphore organization names (a DNS label).
pub fn organization(s: &str) -> bool {
    !s.is_empty() && !s.contains('.') && !s.contains(':') && host_port(s)
}

/// EC2 instance types: `family.size`.
pub fn instance_type(s: &str) -> bool {
    let word = |w: &str| !w.is_empty() && all(w, |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    s.split_once('.').is_some_and(|(family, size)| word(family) && word(size))
}

pub fn ami_id(s: &str) -> bool {
    hex_id(s, "ami-")
}

pub fn security_group_id(s: &str) -> bool {
    hex_id(s, "sg-")
}

pub fn vpc_id(s: &str) -> bool {
    hex_id(s, "vpc-")
}

pub fn subnet_id(s: &str) -> bool {
    hex_id(s, "subnet-")
}

pub fn dedicated_host_id(s: &str) -> bool {
    hex_id(s, "h-")
}

/// EC2 key pair names: 1–255 printable ASCII characters.
pub fn key_pair_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 255 && all(s, |c| c.is_ascii_graphic() || c == ' ')
}

/// IPv4 or IPv6 CIDR blocks.
pub fn cidr(s: &str) -> bool {
    let Some((addr, bits)) = s.split_once('/') else { return false };
    let Ok(bits) = bits.parse::<u8>() else { return false };
    if let Ok(ip) = addr.parse::<std::net::Ipv4Addr>() {
        bits <= 32 && host_bits_zero_v4(ip, bits)
    } else if addr.parse::<std::net::Ipv6Addr>().is_ok() {
        bits <= 128
    } else {
        false
    }
}

fn host_bits_zero_v4(ip: std::net::Ipv4Addr, bits: u8) -> bool {
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits)) };
    u32::from(ip) & !mask == 0
}

/// S3 bucket names: 3–63 of `[a-z0-9.-]`, starting and ending with a letter or digit.
pub fn bucket_name(s: &str) -> bool {
    (3..=63).contains(&s.len())
        && all(s, |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !s.contains("..")
}

/// A KMS key id: a UUID or a multi-Region `mrk-` id.
pub fn kms_key_id(s: &str) -> bool {
    let hex = |p: &str| all(p, |c| c.is_ascii_hexdigit());
    if let Some(rest) = s.strip_prefix("mrk-") {
        return rest.len() == 32 && hex(rest);
    }
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5 && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && hex(p))
}

/// `arn:<partition>:<service>:...` with the given service.
pub fn arn_of(s: &str, service: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6 && parts[0] == "arn" && parts[1].starts_with("aws") && parts[2] == service && !parts[5].is_empty()
}

/// IAM managed policy names.
pub fn policy_name(s: &str) -> bool {
    (1..=128).contains(&s.len()) && all(s, |c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c))
}

/// Availability zone names such as `us-east-1a` or local zones such as `us-east-1-bos-1a`.
pub fn availability_zone(s: &str) -> bool {
    s.len() >= 4
        && all(s, |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && s.ends_with(|c: char| c.is_ascii_lowercase())
        && s[..s.len() - 1].ends_with(|c: char| c.is_ascii_digit())
        && s.contains('-')
}

/// macOS instance families: `mac1`, `mac2`, `mac2-m2pro`, `mac-m4`, …
pub fn mac_family(s: &str) -> bool {
    s.starts_with("mac") && s.len() <= 32 && all(s, |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A check, an input, and whether the check accepts it.
    type Case = (fn(&str) -> bool, &'static str, bool);

    #[test]
    fn table() {
        let cases: &[Case] = &[
            (stack_name, "test-stack", true),
            (stack_name, "1stack", false),
            (stack_name, "my_stack", false),
            (ssm_parameter_name, "test-token", true),
            (ssm_parameter_name, "/ci/semaphore/token", true),
            (ssm_parameter_name, "ci/token", false),
            (ssm_parameter_name, "aws-token", false),
            (ssm_parameter_name, "has space", false),
            (host_port, "test.semaphoreci.com", true),
            (host_port, "127.0.0.1:8080", true),
            (host_port, "host:0", false),
            (host_port, "-bad.example.com", false),
            (host_port, "a..b", false),
            (organization, "my-org", true),
            (organization, "my.org", false),
            (instance_type, "c5.large", true),
            (instance_type, "mac2-m2pro.metal", true),
            (instance_type, "c5", false),
            (instance_type, "C5.large", false),
            (ami_id, "ami-0123456789abcdef0", true),
            (ami_id, "ami-01234567", true),
            (ami_id, "ami-xyz", false),
            (subnet_id, "subnet-0aaa1111", true),
            (vpc_id, "vpc-0abc1234def567890", true),
            (dedicated_host_id, "h-0123456789abcdef0", true),
            (cidr, "10.0.0.0/8", true),
            (cidr, "203.0.113.7/32", true),
            (cidr, "10.0.0.1/8", false),
            (cidr, "10.0.0.0/33", false),
            (cidr, "2001:db8::/32", true),
            (cidr, "10.0.0.0", false),
            (bucket_name, "test-cache-bucket", true),
            (bucket_name, "Test", false),
            (bucket_name, "ab", false),
            (kms_key_id, "1234abcd-12ab-34cd-56ef-1234567890ab", true),
            (kms_key_id, "mrk-1234abcd12ab34cd56ef1234567890ab", true),
            (kms_key_id, "alias/aws/ssm", false),
            (availability_zone, "us-east-1a", true),
            (availability_zone, "us-east-1-bos-1a", true),
            (availability_zone, "us-east-1", false),
            (mac_family, "mac2-m2", true),
            (mac_family, "m5", false),
        ];
        for (check, input, want) in cases {
            assert_eq!(check(input), *want, "{input}");
        }
        assert!(arn_of("arn:aws:license-manager:us-east-1:123456789012:license-configuration:lic-0", "license-manager"));
        assert!(!arn_of("arn:aws:iam::123456789012:policy/x", "license-manager"));
        assert!(is_loopback_host("127.0.0.1:3000") && is_loopback_host("localhost") && !is_loopback_host("example.com"));
    }
}
