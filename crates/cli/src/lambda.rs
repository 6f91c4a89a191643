//! `agent-stack` as the stack's Lambda: a static Linux build of this binary serves the Lambda
//! Runtime API itself, so `deploy` can upload it as the function's `bootstrap` and users of a
//! release need no second artifact and no Rust toolchain.

use std::process::ExitCode;

/// Runs the Lambda runtime loop (Lambda set `AWS_LAMBDA_RUNTIME_API` and gave no arguments).
pub fn serve() -> ExitCode {
    let served = tokio::runtime::Runtime::new()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(agent_stack_lambda::runtime::serve()).map_err(|e| e.to_string()));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lambda runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The Lambda architecture this binary can serve as, when it is a static Linux build.
pub fn own_lambda_arch() -> Option<agent_stack_config::Arch> {
    if !(cfg!(target_os = "linux") && cfg!(target_env = "musl")) {
        return None;
    }
    match std::env::consts::ARCH {
        "x86_64" => Some(agent_stack_config::Arch::X86_64),
        "aarch64" => Some(agent_stack_config::Arch::Arm64),
        _ => None,
    }
}

/// A zip archive holding one executable file `name` (stored, fixed timestamp, so equal inputs give
/// equal archives and the content-hash key stays put).
pub fn zip_executable(name: &str, data: &[u8]) -> Result<Vec<u8>, String> {
    let size = u32::try_from(data.len()).map_err(|_| format!("{name} is too large for a zip without ZIP64"))?;
    let name_len = u16::try_from(name.len()).map_err(|_| "file name too long".to_string())?;
    let crc = crc32fast::hash(data);
    let (dos_time, dos_date) = (0u16, (1 << 5) | 1); // 1980-01-01 00:00
    let mut out = Vec::with_capacity(data.len() + 128);
    let common = |out: &mut Vec<u8>| {
        for v in [20u16, 0, 0, dos_time, dos_date] {
            out.extend_from_slice(&v.to_le_bytes()); // version needed, flags, method 0 (stored), time, date
        }
        for v in [crc, size, size] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra field length
    };
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    common(&mut out);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(data);

    let central_offset = u32::try_from(out.len()).map_err(|_| "archive too large".to_string())?;
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    out.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes()); // made by: Unix, zip 2.0
    common(&mut out);
    for v in [0u16, 0, 0] {
        out.extend_from_slice(&v.to_le_bytes()); // comment length, disk number, internal attributes
    }
    out.extend_from_slice(&(0o100_755u32 << 16).to_le_bytes()); // regular file, rwxr-xr-x
    out.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    out.extend_from_slice(name.as_bytes());
    let central_size = u32::try_from(out.len()).map_err(|_| "archive too large".to_string())? - central_offset;

    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, 1, 1] {
        out.extend_from_slice(&v.to_le_bytes()); // disk numbers, entries on disk, entries
    }
    for v in [central_size, central_offset] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Python's zipfile, a reader we did not write, opens the archive and sees an executable.
    #[test]
    fn python_reads_the_zip_as_one_executable_bootstrap() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let zip = zip_executable("bootstrap", &data).unwrap();
        assert_eq!(zip, zip_executable("bootstrap", &data).unwrap(), "deterministic");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.zip");
        std::fs::write(&path, &zip).unwrap();
        let script = "import sys, zipfile, hashlib\n\
            z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None\n\
            [i] = z.infolist(); print(i.filename, oct(i.external_attr >> 16), hashlib.sha256(z.read(i)).hexdigest())";
        let out = std::process::Command::new("python3").args(["-c", script]).arg(&path).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        use sha2::Digest;
        let hash: String = sha2::Sha256::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("bootstrap 0o100755 {hash}"));
    }
}
