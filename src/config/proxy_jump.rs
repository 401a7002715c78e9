//! OpenSSH's `ProxyJump` value, parsed: `none`, or a comma-separated chain of `[user@]host[:port]` and
//! `ssh://[user@]host[:port]` hops, first hop first. Pure: no I/O, no ssh_config lookups.
//!
//! Anything this cannot read is an error, never "no jump": a ProxyJump that is not honoured must not turn
//! into a direct connection.

/// One hop as ProxyJump spells it; the parts it leaves out are filled from ssh_config by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JumpSpec {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

/// `None` for `ProxyJump none` (connect directly); otherwise the hops. `values` are the raw strings
/// ssh2-config hands over (it splits on commas but keeps each piece as written).
pub fn parse(values: &[String]) -> Result<Option<Vec<JumpSpec>>, String> {
    let pieces: Vec<&str> = values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    if pieces.len() == 1 && pieces[0].eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    if pieces.is_empty() {
        return Err("ProxyJump is empty".into());
    }
    pieces
        .iter()
        .map(|p| hop(p))
        .collect::<Result<_, _>>()
        .map(Some)
}

fn hop(text: &str) -> Result<JumpSpec, String> {
    let bad = |why: &str| Err(format!("ProxyJump hop `{}`: {why}", text.escape_debug()));
    if text.is_empty() {
        return bad("empty hop (a stray comma?)");
    }
    if text.eq_ignore_ascii_case("none") {
        return bad("`none` cannot be part of a chain");
    }
    if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return bad("contains spaces or control characters");
    }
    let rest = text.strip_prefix("ssh://").unwrap_or(text);
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    // The user is everything before the last `@`, as OpenSSH reads it.
    let (user, hostport) = match rest.rsplit_once('@') {
        Some(("", _)) => return bad("empty user name"),
        Some((u, h)) => (Some(u.to_owned()), h),
        None => (None, rest),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, "")) => (h, None),
            Some((h, p)) => match p.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return bad("unexpected text after `]`"),
            },
            None => return bad("`[` without `]`"),
        }
    } else {
        match hostport.split_once(':') {
            Some((_, p)) if p.contains(':') => {
                return bad("an IPv6 address must be written in brackets: [addr]:port");
            }
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return bad("no host");
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => return bad("the port is not a number from 1 to 65535"),
        },
    };
    Ok(JumpSpec {
        user,
        host: host.to_owned(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(user: Option<&str>, host: &str, port: Option<u16>) -> JumpSpec {
        JumpSpec {
            user: user.map(str::to_owned),
            host: host.to_owned(),
            port,
        }
    }

    #[test]
    fn proxy_jump_values_parse_as_openssh_reads_them() {
        let ok: Vec<(&[&str], Option<Vec<JumpSpec>>)> = vec![
            (&["none"], None),
            (&["NONE"], None),
            (&["bastion"], Some(vec![spec(None, "bastion", None)])),
            (
                &["ops@bastion:2200"],
                Some(vec![spec(Some("ops"), "bastion", Some(2200))]),
            ),
            (
                &["a@b@bastion"],
                Some(vec![spec(Some("a@b"), "bastion", None)]),
            ),
            (
                &["ssh://ops@bastion:2222/"],
                Some(vec![spec(Some("ops"), "bastion", Some(2222))]),
            ),
            (&["[::1]:2022"], Some(vec![spec(None, "::1", Some(2022))])),
            (&["[fe80::1]"], Some(vec![spec(None, "fe80::1", None)])),
            (
                &["b1", "u@b2:2"],
                Some(vec![spec(None, "b1", None), spec(Some("u"), "b2", Some(2))]),
            ),
            (
                &["b1, b2"],
                Some(vec![spec(None, "b1", None), spec(None, "b2", None)]),
            ),
        ];
        for (input, want) in ok {
            let values: Vec<String> = input.iter().map(|s| s.to_string()).collect();
            assert_eq!(parse(&values), Ok(want), "{input:?}");
        }
    }

    #[test]
    fn a_proxy_jump_that_cannot_be_read_is_an_error_never_a_direct_connection() {
        for bad in [
            &[""][..],
            &["b1,,b2"],
            &["b1,none"],
            &["bastion:0"],
            &["bastion:99999"],
            &["bastion:ssh"],
            &["@bastion"],
            &["::1"],
            &["[::1"],
            &["[::1]x"],
            &[":22"],
            &["bas tion"],
            &[],
        ] {
            let values: Vec<String> = bad.iter().map(|s| s.to_string()).collect();
            assert!(parse(&values).is_err(), "{bad:?} must not parse");
        }
    }
}
