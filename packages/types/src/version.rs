//! Contract versions for `migrate`: compared as semver orders them, never as text (as text,
//! `0.10.0` would sort before `0.9.0` and a downgrade could slip through).

/// A semantic version, ordered as semver orders them: numerically by major, minor, patch,
/// and a pre-release (`1.0.0-rc.1`) before its release. Build metadata (`+...`) is ignored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    /// `Release` sorts after every `Pre`.
    pre: Pre,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Pre {
    Pre(Vec<PreId>),
    Release,
}

/// A pre-release identifier: numeric ones sort numerically and before alphanumeric ones.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum PreId {
    Num(u64),
    Text(String),
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.split_once('+').map_or(text, |(v, _)| v);
        let (core, pre) = match text.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (text, None),
        };
        let mut parts = core.split('.');
        let mut number = || -> Option<u64> {
            let part = parts.next()?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (major, minor, patch) = (number()?, number()?, number()?);
        if parts.next().is_some() {
            return None;
        }
        let pre = match pre {
            None => Pre::Release,
            Some(pre) => Pre::Pre(
                pre.split('.')
                    .map(|id| {
                        if id.is_empty() {
                            None
                        } else if id.bytes().all(|b| b.is_ascii_digit()) {
                            id.parse().ok().map(PreId::Num)
                        } else {
                            Some(PreId::Text(id.to_string()))
                        }
                    })
                    .collect::<Option<Vec<_>>>()?,
            ),
        };
        Some(Version {
            major,
            minor,
            patch,
            pre,
        })
    }
}

/// Accepts a migration from `stored_name`/`stored_version` to `name`/`version` when it is the
/// same contract and not a downgrade; otherwise says why not.
pub fn check_migration(
    stored_name: &str,
    stored_version: &str,
    name: &str,
    version: &str,
) -> Result<(), String> {
    if stored_name != name {
        return Err(format!("stored contract is {stored_name}, not {name}"));
    }
    match (Version::parse(stored_version), Version::parse(version)) {
        (Some(from), Some(to)) if from <= to => Ok(()),
        (Some(_), Some(_)) => Err(format!(
            "{stored_version} is newer than {version}: no downgrades"
        )),
        _ => Err(format!(
            "cannot read versions {stored_version:?} and {version:?}"
        )),
    }
}

/// A migration `migrate_version` refused: what is stored, what this build is, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationRefused {
    pub stored_name: String,
    pub stored_version: String,
    pub name: String,
    pub version: String,
    pub reason: String,
}

/// What every contract's `migrate` does first: reads the stored cw2 version, refuses another
/// contract or a downgrade (`check_migration`), and records this build's version. Returns the
/// version migrated from. Each contract turns a refusal into its own error.
pub fn migrate_version<E>(
    storage: &mut dyn cosmwasm_std::Storage,
    name: &str,
    version: &str,
) -> Result<String, E>
where
    E: From<cosmwasm_std::StdError> + From<MigrationRefused>,
{
    let stored = cw2::get_contract_version(storage)?;
    check_migration(&stored.contract, &stored.version, name, version).map_err(|reason| {
        MigrationRefused {
            stored_name: stored.contract.clone(),
            stored_version: stored.version.clone(),
            name: name.to_string(),
            version: version.to_string(),
            reason,
        }
    })?;
    cw2::set_contract_version(storage, name, version)?;
    Ok(stored.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap_or_else(|| panic!("{text} should parse"))
    }

    #[test]
    fn versions_order_numerically_not_as_text() {
        assert!(v("0.9.0") < v("0.10.0"));
        assert!(v("0.1.9") < v("0.1.10"));
        assert!(v("1.0.0") > v("0.99.99"));
        assert_eq!(v("1.2.3"), v("1.2.3+build.7"));
    }

    #[test]
    fn a_pre_release_sorts_before_its_release() {
        assert!(v("1.0.0-rc.1") < v("1.0.0"));
        assert!(v("1.0.0-rc.2") < v("1.0.0-rc.10"));
        assert!(v("1.0.0-alpha") < v("1.0.0-beta"));
        assert!(v("1.0.0-1") < v("1.0.0-alpha"));
        assert!(v("0.9.9") < v("1.0.0-rc.1"));
    }

    #[test]
    fn malformed_versions_do_not_parse() {
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "a.b.c",
            "1..3",
            "1.2.-3",
            "1.2.3-",
            "1.2.3-a..b",
            "-1.2.3",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn migration_accepts_the_same_or_an_older_version_of_the_same_contract() {
        assert!(check_migration("crates.io:x", "0.9.0", "crates.io:x", "0.10.0").is_ok());
        assert!(check_migration("crates.io:x", "0.10.0", "crates.io:x", "0.10.0").is_ok());
        assert!(check_migration("crates.io:x", "0.10.0", "crates.io:x", "0.9.0").is_err());
        assert!(check_migration("crates.io:y", "0.1.0", "crates.io:x", "0.9.0").is_err());
        assert!(check_migration("crates.io:x", "garbage", "crates.io:x", "0.9.0").is_err());
    }

    #[derive(Debug, PartialEq)]
    enum TestError {
        Std(String),
        Refused(MigrationRefused),
    }

    impl From<cosmwasm_std::StdError> for TestError {
        fn from(e: cosmwasm_std::StdError) -> Self {
            TestError::Std(e.to_string())
        }
    }

    impl From<MigrationRefused> for TestError {
        fn from(r: MigrationRefused) -> Self {
            TestError::Refused(r)
        }
    }

    #[test]
    fn migrate_version_records_an_upgrade_and_refuses_a_downgrade_or_another_contract() {
        let mut storage = cosmwasm_std::testing::MockStorage::new();
        cw2::set_contract_version(&mut storage, "crates.io:a", "0.9.0").unwrap();
        let from = migrate_version::<TestError>(&mut storage, "crates.io:a", "0.10.0").unwrap();
        assert_eq!(from, "0.9.0");
        assert_eq!(
            cw2::get_contract_version(&storage).unwrap().version,
            "0.10.0"
        );

        let refused = migrate_version::<TestError>(&mut storage, "crates.io:a", "0.9.1");
        assert_eq!(
            refused,
            Err(TestError::Refused(MigrationRefused {
                stored_name: "crates.io:a".into(),
                stored_version: "0.10.0".into(),
                name: "crates.io:a".into(),
                version: "0.9.1".into(),
                reason: "0.10.0 is newer than 0.9.1: no downgrades".into(),
            }))
        );
        let other = migrate_version::<TestError>(&mut storage, "crates.io:b", "1.0.0");
        assert!(
            matches!(other, Err(TestError::Refused(r)) if r.reason == "stored contract is crates.io:a, not crates.io:b")
        );
        // refused migrations record nothing
        assert_eq!(
            cw2::get_contract_version(&storage).unwrap().version,
            "0.10.0"
        );

        let mut empty = cosmwasm_std::testing::MockStorage::new();
        assert!(matches!(
            migrate_version::<TestError>(&mut empty, "crates.io:a", "1.0.0"),
            Err(TestError::Std(_))
        ));
    }
}
