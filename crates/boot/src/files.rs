//! Files the agent user reads: written atomically (temporary file, fsync, rename) with their mode
//! and owner set before they appear under their name.

use std::io::Write;
use std::path::{Path, PathBuf};

/// An account on the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
}

/// Looks `name` up in the passwd database text (`/etc/passwd` format).
#[cfg_attr(windows, allow(dead_code))]
pub fn find_user(passwd: &str, name: &str) -> Option<User> {
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 7 || f[0] != name {
            return None;
        }
        Some(User { name: name.to_string(), uid: f[2].parse().ok()?, gid: f[3].parse().ok()?, home: PathBuf::from(f[5]) })
    })
}

/// The agent user of this machine.
#[cfg(target_os = "linux")]
pub fn lookup_user(name: &str) -> Result<User, String> {
    let passwd = std::fs::read_to_string("/etc/passwd").map_err(|e| format!("reading /etc/passwd: {e}"))?;
    find_user(&passwd, name).ok_or_else(|| format!("user {name:?} does not exist on this instance (--agent-user)"))
}

/// The agent user of this machine (`id` knows directory-service users; homes are under /Users).
#[cfg(all(unix, not(target_os = "linux")))]
pub fn lookup_user(name: &str) -> Result<User, String> {
    let id = |flag: &str| -> Result<u32, String> {
        let out = std::process::Command::new("id").args([flag, name]).output().map_err(|e| format!("id: {e}"))?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| format!("user {name:?} does not exist on this instance (--agent-user)"))
    };
    Ok(User { name: name.to_string(), uid: id("-u")?, gid: id("-g")?, home: PathBuf::from("/Users").join(name) })
}

/// Windows has no owner to set here; the agent service's account reads the agent directory.
#[cfg(windows)]
pub fn lookup_user(name: &str) -> Result<User, String> {
    Ok(User { name: name.to_string(), uid: 0, gid: 0, home: PathBuf::from("C:\\Users").join(name) })
}

/// Writes `contents` to `path` atomically with `mode`, owned by `owner` when given.
pub fn write_atomic(path: &Path, contents: &[u8], mode: u32, owner: Option<&User>) -> Result<(), String> {
    let dir = path.parent().ok_or_else(|| format!("{} has no directory", path.display()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let fail = |what: &str, e: std::io::Error| format!("{what} {}: {e}", tmp.display());
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    let mut file = options.open(&tmp).map_err(|e| fail("creating", e))?;
    let mut finish = || -> Result<(), String> {
        file.write_all(contents).and_then(|()| file.sync_all()).map_err(|e| fail("writing", e))?;
        set_owner(&tmp, mode, owner)?;
        std::fs::rename(&tmp, path).map_err(|e| format!("renaming to {}: {e}", path.display()))
    };
    finish().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Creates `dir` (and parents) with `mode`, owned by `owner` when given.
pub fn ensure_dir(dir: &Path, mode: u32, owner: Option<&User>) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    set_owner(dir, mode, owner)
}

#[cfg(unix)]
fn set_owner(path: &Path, mode: u32, owner: Option<&User>) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| format!("chmod {}: {e}", path.display()))?;
    if let Some(user) = owner {
        std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))
            .map_err(|e| format!("chown {} to {}: {e}", path.display(), user.name))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_owner(_path: &Path, _mode: u32, _owner: Option<&User>) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_users_in_passwd_text() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nsemaphore:x:1001:1002::/home/semaphore:/bin/bash\n";
        let user = find_user(passwd, "semaphore").unwrap();
        assert_eq!((user.uid, user.gid, user.home), (1001, 1002, PathBuf::from("/home/semaphore")));
        assert_eq!(find_user(passwd, "nobody"), None);
        assert_eq!(find_user("broken:x:NaN:1::/h:/bin/sh\n", "broken"), None);
    }

    #[cfg(unix)]
    #[test]
    fn writes_atomically_with_the_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, "old").unwrap();
        write_atomic(&path, b"new", 0o600, None).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");
    }
}
