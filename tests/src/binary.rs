//! Finding the `redis-server` executable.

use std::ffi::{OsStr, OsString};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Environment variable that overrides which `redis-server` is used: a path,
/// or a bare name looked up on `PATH`.
pub const REDIS_SERVER_BIN_ENV: &str = "REDIS_SERVER_BIN";

/// The panic message used when no `redis-server` can be found. Tests never
/// skip for lack of a server: they fail with this hint.
pub const INSTALL_HINT: &str = "redis-server not found on PATH: install it with \
     `apt-get update && apt-get install -y redis-server redis-tools` (or set REDIS_SERVER_BIN)";

/// The `redis-server` to run: `$REDIS_SERVER_BIN` if set (and not empty),
/// else `redis-server` looked up on `$PATH`.
///
/// Panics with [`INSTALL_HINT`] when there is none. See
/// [`locate_redis_server`] for the rules.
///
/// # Example
///
/// ```no_run
/// let bin = redtyped_tests::redis_server_binary();
/// assert!(bin.ends_with("redis-server"));
/// ```
#[track_caller]
pub fn redis_server_binary() -> PathBuf {
    locate_redis_server(
        std::env::var_os(REDIS_SERVER_BIN_ENV),
        std::env::var_os("PATH"),
    )
}

/// Pure version of [`redis_server_binary`]: takes the override (the value of
/// `REDIS_SERVER_BIN`) and the `PATH` value as arguments, so it can be tested
/// without touching the process environment.
///
/// * An empty or absent override means `redis-server` looked up on `path`.
/// * An override containing `/` must name an executable file.
/// * An override without `/` is a program name looked up on `path`.
///
/// Panics with a message starting with [`INSTALL_HINT`] when nothing
/// executable is found.
///
/// # Example
///
/// ```should_panic
/// use redtyped_tests::locate_redis_server;
///
/// // Panics: "redis-server not found on PATH: install it with ..."
/// locate_redis_server(Some("/nonexistent".into()), None);
/// ```
#[track_caller]
pub fn locate_redis_server(override_bin: Option<OsString>, path: Option<OsString>) -> PathBuf {
    let override_bin = override_bin.filter(|o| !o.is_empty());
    let name = override_bin
        .as_deref()
        .unwrap_or(OsStr::new("redis-server"));
    if name.as_encoded_bytes().contains(&b'/') {
        let candidate = PathBuf::from(name);
        if is_executable(&candidate) {
            return candidate;
        }
        panic!(
            "{INSTALL_HINT}\n{REDIS_SERVER_BIN_ENV} is set to {candidate:?}, \
             which is not an executable file"
        );
    }
    let found = path
        .as_deref()
        .into_iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate));
    match found {
        Some(found) => found,
        None => {
            let source = match &override_bin {
                Some(_) => format!(" ({REDIS_SERVER_BIN_ENV} is set to {name:?})"),
                None => String::new(),
            };
            panic!("{INSTALL_HINT}\nlooked for {name:?}{source} in PATH={path:?}")
        }
    }
}

fn is_executable(path: &Path) -> bool {
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real_path() -> Option<OsString> {
        std::env::var_os("PATH")
    }

    #[test]
    #[should_panic(
        expected = "redis-server not found on PATH: install it with `apt-get update && apt-get install -y redis-server redis-tools` (or set REDIS_SERVER_BIN)"
    )]
    fn nonexistent_override_panics_with_install_hint() {
        locate_redis_server(Some("/nonexistent".into()), real_path());
    }

    #[test]
    #[should_panic(expected = "redis-server not found on PATH: install it with")]
    fn empty_path_panics_with_install_hint() {
        locate_redis_server(None, Some("/nonexistent-dir:/also-nonexistent".into()));
    }

    #[test]
    #[should_panic(expected = "redis-server not found on PATH: install it with")]
    fn no_path_at_all_panics_with_install_hint() {
        locate_redis_server(None, None);
    }

    #[test]
    #[should_panic(expected = "not an executable file")]
    fn non_executable_override_panics() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("redis-server");
        std::fs::write(&file, "not a program").unwrap();
        locate_redis_server(Some(file.into_os_string()), real_path());
    }

    #[test]
    fn finds_redis_server_on_path() {
        let found = locate_redis_server(None, real_path());
        assert!(found.ends_with("redis-server"), "{found:?}");
        assert!(is_executable(&found));
    }

    #[test]
    fn empty_override_means_unset() {
        assert_eq!(
            locate_redis_server(Some(OsString::new()), real_path()),
            locate_redis_server(None, real_path())
        );
    }

    #[test]
    fn override_can_be_a_path_or_a_name() {
        let on_path = locate_redis_server(None, real_path());
        assert_eq!(
            locate_redis_server(Some(on_path.clone().into_os_string()), None),
            on_path
        );
        assert_eq!(
            locate_redis_server(Some("redis-server".into()), real_path()),
            on_path
        );
    }
}
