//! The SSH algorithm policy a device is reached with: `ssh = { legacy = true }` for old devices, or exact
//! lists in OpenSSH's syntax for those who need control. Plain data and its validation; the SSH client
//! turns it into what it offers (`ssh::algorithms`).
//!
//! List syntax, as `ssh_config(5)` writes `KexAlgorithms`, `Ciphers`, `MACs` and `HostKeyAlgorithms`: a
//! comma-separated list replaces the default; `+list` appends to it, `-list` removes from it (`*` matches
//! any run of characters), `^list` puts entries first.

/// How a device's SSH algorithms differ from netattest's modern defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshAlgorithms {
    /// Offer SHA-1 key exchange, `ssh-rsa` host keys, CBC ciphers and hmac-sha1, after the modern ones.
    pub legacy: bool,
    pub kex: Option<String>,
    pub ciphers: Option<String>,
    pub macs: Option<String>,
    pub host_key_algorithms: Option<String>,
}

/// One kind of algorithm list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Kex,
    Ciphers,
    Macs,
    HostKeys,
}

impl ListKind {
    pub fn key(self) -> &'static str {
        match self {
            ListKind::Kex => "kex",
            ListKind::Ciphers => "ciphers",
            ListKind::Macs => "macs",
            ListKind::HostKeys => "host_key_algorithms",
        }
    }

    /// Whether the SSH client can speak `name`.
    pub fn supports(self, name: &str) -> bool {
        match self {
            ListKind::Kex => russh::kex::Name::try_from(name).is_ok(),
            ListKind::Ciphers => russh::cipher::Name::try_from(name).is_ok(),
            ListKind::Macs => russh::mac::Name::try_from(name).is_ok(),
            ListKind::HostKeys => name
                .parse::<russh::keys::Algorithm>()
                .is_ok_and(|a| a.as_str() == name),
        }
    }
}

/// How a list edits the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListEdit {
    Replace(Vec<String>),
    Append(Vec<String>),
    Remove(Vec<String>),
    Prepend(Vec<String>),
}

impl ListEdit {
    /// Parses a list in OpenSSH's syntax, checking that every name (other than a `-` pattern) is one the
    /// client speaks.
    pub fn parse(kind: ListKind, spec: &str) -> Result<ListEdit, String> {
        let spec = spec.trim();
        let (make, rest): (fn(Vec<String>) -> ListEdit, &str) = match spec.chars().next() {
            Some('+') => (ListEdit::Append, &spec[1..]),
            Some('-') => (ListEdit::Remove, &spec[1..]),
            Some('^') => (ListEdit::Prepend, &spec[1..]),
            _ => (ListEdit::Replace, spec),
        };
        let names: Vec<String> = rest
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect();
        if names.is_empty() {
            return Err("an empty list".into());
        }
        let removing = spec.starts_with('-');
        for n in &names {
            if !removing && !kind.supports(n) {
                return Err(format!(
                    "`{}` is not an algorithm netattest's SSH client speaks",
                    crate::sanitize::display_line(n, 60)
                ));
            }
        }
        Ok(make(names))
    }

    /// The default list `base` after this edit.
    pub fn apply(&self, base: &[String]) -> Vec<String> {
        let without = |list: &[String], names: &[String]| -> Vec<String> {
            list.iter()
                .filter(|b| !names.iter().any(|n| glob(n, b)))
                .cloned()
                .collect()
        };
        match self {
            ListEdit::Replace(names) => names.clone(),
            ListEdit::Append(names) => {
                let mut out = without(base, names);
                out.extend(names.iter().cloned());
                out
            }
            ListEdit::Prepend(names) => {
                let mut out = names.clone();
                out.extend(without(base, names));
                out
            }
            ListEdit::Remove(names) => without(base, names),
        }
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            let Some(rest) = name.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len()).any(|i| rest.is_char_boundary(i) && glob(tail, &rest[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn openssh_list_syntax_edits_the_default() {
        let base = names(&["curve25519-sha256", "diffie-hellman-group14-sha256"]);
        let add = ListEdit::parse(ListKind::Kex, "+diffie-hellman-group14-sha1").unwrap();
        assert_eq!(
            add.apply(&base),
            names(&[
                "curve25519-sha256",
                "diffie-hellman-group14-sha256",
                "diffie-hellman-group14-sha1"
            ])
        );
        let first = ListEdit::parse(ListKind::Kex, "^diffie-hellman-group14-sha1").unwrap();
        assert_eq!(first.apply(&base)[0], "diffie-hellman-group14-sha1");
        let drop = ListEdit::parse(ListKind::Kex, "-diffie-hellman-*").unwrap();
        assert_eq!(drop.apply(&base), names(&["curve25519-sha256"]));
        let exact = ListEdit::parse(ListKind::Ciphers, "aes128-cbc, aes128-ctr").unwrap();
        assert_eq!(exact.apply(&base), names(&["aes128-cbc", "aes128-ctr"]));
        assert!(ListEdit::parse(ListKind::Ciphers, "+arcfour").is_err());
        assert!(ListEdit::parse(ListKind::Macs, "+").is_err());
        assert!(ListEdit::parse(ListKind::Macs, "hmac-sha1").is_ok());
        assert!(ListEdit::parse(ListKind::HostKeys, "+ssh-rsa").is_ok());
        assert!(ListEdit::parse(ListKind::HostKeys, "+ssh-foo").is_err());
    }
}
