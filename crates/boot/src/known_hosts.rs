//! GitHub's SSH host keys in the agent user's known_hosts, so jobs can clone over SSH.

/// The known_hosts text: the lines already there that are not GitHub's, then one `github.com <key>`
/// line per key of the SSH-keys parameter (a JSON list of `<type> <base64>` strings).
pub fn with_github_keys(existing: &str, keys_json: &str) -> Result<String, String> {
    let keys: Vec<String> =
        serde_json::from_str(keys_json).map_err(|_| "the SSH keys parameter is not a JSON list of strings".to_string())?;
    if keys.is_empty() {
        return Err("the SSH keys parameter lists no keys".into());
    }
    let mut out = String::new();
    for line in existing.lines().filter(|l| !l.trim().is_empty() && !l.starts_with("github.com ")) {
        out.push_str(line);
        out.push('\n');
    }
    for key in &keys {
        let fields: Vec<&str> = key.split_whitespace().collect();
        if fields.len() != 2 || key.contains('\n') {
            return Err(format!("the SSH keys parameter holds {key:?}; expected \"<type> <base64 key>\""));
        }
        out.push_str(&format!("github.com {} {}\n", fields[0], fields[1]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_old_github_lines_and_keeps_others() {
        let existing = "gitlab.com ssh-ed25519 AAAA1\ngithub.com ssh-rsa OLD\n";
        let keys = r#"["ssh-ed25519 AAAAC3", "ecdsa-sha2-nistp256 AAAAE2"]"#;
        assert_eq!(
            with_github_keys(existing, keys).unwrap(),
            "gitlab.com ssh-ed25519 AAAA1\ngithub.com ssh-ed25519 AAAAC3\ngithub.com ecdsa-sha2-nistp256 AAAAE2\n"
        );
    }

    #[test]
    fn rejects_what_is_not_a_key_list() {
        assert!(with_github_keys("", "{}").unwrap_err().contains("JSON list"));
        assert!(with_github_keys("", "[]").unwrap_err().contains("no keys"));
        assert!(with_github_keys("", r#"["just-one-field"]"#).unwrap_err().contains("expected"));
    }
}
