//! Strict, bounded parsers of hosted containers and apps (docker, IOS-XE app-hosting, NX-OS virtual
//! services). Pure, no I/O; every value a device sends is made safe to show before it is kept.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::evidence::containers::{Container, ContainerImage};
use crate::profile::listing::ParseError;
use crate::sanitize::{clean_output, display_line};

/// Most images or containers one probe may list.
pub const MAX_CONTAINERS: usize = 2_000;
const MAX_LINE: usize = 16 * 1024;

fn safe(s: &str) -> String {
    display_line(s.trim(), 256)
}

fn json_lines<T: for<'de> Deserialize<'de>>(raw: &[u8]) -> Result<Vec<(usize, T)>, ParseError> {
    let text = clean_output(raw);
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if line.len() > MAX_LINE {
            return Err(ParseError::line(i + 1, line));
        }
        let v: T = serde_json::from_str(line).map_err(|_| ParseError::line(i + 1, line))?;
        if out.len() == MAX_CONTAINERS {
            return Err(ParseError::TooMany {
                max: MAX_CONTAINERS,
            });
        }
        out.push((i + 1, v));
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerImageLine {
    repository: String,
    tag: String,
    #[serde(default)]
    digest: String,
    #[serde(rename = "ID")]
    id: String,
}

/// Parses `docker images --digests --no-trunc --format '{{json .}}'`: one JSON object per line.
pub fn docker_images(raw: &[u8]) -> Result<Vec<ContainerImage>, ParseError> {
    json_lines::<DockerImageLine>(raw)?
        .into_iter()
        .map(|(n, l)| {
            if l.repository.is_empty() || l.id.is_empty() {
                return Err(ParseError::line(n, "an image without repository or id"));
            }
            let name = if l.repository == "<none>" {
                safe(&l.id)
            } else {
                format!("{}:{}", safe(&l.repository), safe(&l.tag))
            };
            let first = l.repository.split('/').next().unwrap_or("");
            let source = if l.repository.contains('/')
                && (first.contains('.') || first.contains(':') || first == "localhost")
            {
                first.to_owned()
            } else {
                "docker.io".to_owned()
            };
            Ok(ContainerImage {
                name,
                digest: l.digest.starts_with("sha256:").then(|| safe(&l.digest)),
                id: Some(safe(&l.id)),
                source: Some(safe(&source)),
                version: None,
            })
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerPsLine {
    names: String,
    image: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    status: String,
}

/// Parses `docker ps --no-trunc --format '{{json .}}'`.
pub fn docker_ps(raw: &[u8]) -> Result<Vec<Container>, ParseError> {
    json_lines::<DockerPsLine>(raw)?
        .into_iter()
        .map(|(n, l)| {
            if l.names.is_empty() || l.image.is_empty() {
                return Err(ParseError::line(n, "a container without name or image"));
            }
            Ok(Container {
                name: safe(&l.names),
                image: safe(&l.image),
                state: safe(if l.state.is_empty() {
                    &l.status
                } else {
                    &l.state
                }),
            })
        })
        .collect()
}

/// Parses Arista EOS `show extensions`: SWIX/RPM extensions on flash, which run as code on the switch once
/// installed, so each is an image (name and `Version/Release`) and each installed one an instance whose state
/// is the status column (`A, I`, with `S`/`NS` for the signature where EOS checks it). The table, legend and
/// storage line are as in networkRob/eos-sdk-route-update's README (capture
/// shared/device-outputs/arista_eos/show_extensions/1.txt):
/// `RouteUpdate-0.1.0-1.swix      0.1.0/1              A, I        1`. Any other line is an error.
pub fn eos_extensions(raw: &[u8]) -> Result<(Vec<ContainerImage>, Vec<Container>), ParseError> {
    const STATUS: &[&str] = &["A", "NA", "I", "NI", "F", "S", "NS"];
    let text = clean_output(raw);
    let mut images = Vec::new();
    let mut installed = Vec::new();
    let mut source: Option<String> = None;
    let mut table = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if !table {
            if t.starts_with("Name ") && t.contains("Version/Release") && t.contains("Status") {
                table = true;
                continue;
            }
            // The prompt and command echo (`leaf2#sh extensions`), or an empty answer's notice.
            let words: Vec<&str> = t.split_whitespace().collect();
            let verb = words
                .first()
                .map(|w| w.rsplit(['#', '>']).next().unwrap_or(w));
            let echo = words.len() == 2
                && matches!(verb, Some("sh" | "sho" | "show"))
                && words[1].starts_with("ext");
            if echo || t.starts_with("! No extensions") || t.starts_with("No extensions") {
                continue;
            }
            return Err(ParseError::line(n, line));
        }
        if t.chars().all(|c| c == '-' || c == ' ') {
            continue;
        }
        if t.starts_with("A: available") || t.starts_with("S: valid signature") {
            continue;
        }
        if let Some(rest) = t.strip_prefix("The extensions are stored on ") {
            source = rest
                .rsplit_once('(')
                .and_then(|(_, fs)| fs.strip_suffix(')'))
                .map(safe);
            continue;
        }
        let words: Vec<&str> = t.split_whitespace().collect();
        let row = words.len() >= 4
            && (words[0].ends_with(".swix") || words[0].ends_with(".rpm"))
            && words[words.len() - 1].chars().all(|c| c.is_ascii_digit())
            && words[2..words.len() - 1]
                .iter()
                .all(|w| STATUS.contains(&w.trim_end_matches(',')));
        if !row {
            return Err(ParseError::line(n, line));
        }
        let status = words[2..words.len() - 1].join(" ");
        let name = safe(words[0]);
        if status.split(", ").any(|w| w.trim_end_matches(',') == "I") {
            installed.push(Container {
                name: name.clone(),
                image: name.clone(),
                state: safe(&status),
            });
        }
        images.push(ContainerImage {
            name,
            digest: None,
            id: None,
            source: None,
            version: Some(safe(words[1])),
        });
    }
    for img in &mut images {
        img.source.clone_from(&source);
    }
    Ok((images, installed))
}

/// Parses IOS-XE `show app-hosting detail`: one block per app, starting at `App id`. Lines inside a block
/// are free-form detail; a non-empty line before the first block is an error, as is a block without a
/// state.
pub fn iosxe_app_hosting(raw: &[u8]) -> Result<(Vec<ContainerImage>, Vec<Container>), ParseError> {
    let text = clean_output(raw);
    let mut apps: Vec<(usize, BTreeMap<&'static str, String>)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("No App found") {
            continue;
        }
        let kv = t.split_once(':').map(|(k, v)| (k.trim(), v.trim()));
        if let Some(("App id", v)) = kv {
            if v.is_empty() {
                return Err(ParseError::line(i + 1, line));
            }
            if apps.len() == MAX_CONTAINERS {
                return Err(ParseError::TooMany {
                    max: MAX_CONTAINERS,
                });
            }
            apps.push((i + 1, BTreeMap::from([("id", safe(v))])));
            continue;
        }
        let Some((_, app)) = apps.last_mut() else {
            return Err(ParseError::line(i + 1, line));
        };
        if let Some((k, v)) = kv {
            let key = match k {
                "State" => "state",
                "Version" => "version",
                "Path" => "path",
                "Name" => "name",
                _ => continue,
            };
            app.entry(key).or_insert_with(|| safe(v));
        }
    }
    let mut images = Vec::new();
    let mut running = Vec::new();
    for (line, app) in apps {
        let (Some(id), Some(state)) = (app.get("id"), app.get("state")) else {
            return Err(ParseError::line(line, "an app without a state"));
        };
        images.push(ContainerImage {
            name: id.clone(),
            digest: None,
            id: None,
            source: app.get("path").cloned().filter(|p| !p.is_empty()),
            version: app.get("version").cloned(),
        });
        running.push(Container {
            name: id.clone(),
            image: id.clone(),
            state: state.clone(),
        });
    }
    Ok((images, running))
}

/// Section headings `show virtual-service detail` prints without a value.
const NXOS_SECTIONS: &[&str] = &[
    "Package information",
    "Application",
    "Signing",
    "Licensing",
    "Resource reservation",
    "Attached devices",
];

/// Parses NX-OS `show virtual-service detail`: one block per service (`Virtual service NAME detail`),
/// its state, package name, path, installed version and signing key. A line outside a block, or one that
/// is neither `key : value`, a known heading nor a row of the attached-devices table, is refused.
pub fn nxos_virtual_service(
    raw: &[u8],
) -> Result<(Vec<ContainerImage>, Vec<Container>), ParseError> {
    let text = clean_output(raw);
    // (line, name, fields, in the attached-devices table)
    let mut services: Vec<(usize, String, BTreeMap<&'static str, String>)> = Vec::new();
    let mut in_table = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if line.len() > MAX_LINE {
            return Err(ParseError::line(n, line));
        }
        if let Some(name) = t
            .strip_prefix("Virtual service ")
            .and_then(|r| r.strip_suffix(" detail"))
        {
            let name = name.trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(ParseError::line(n, line));
            }
            if services.len() == MAX_CONTAINERS {
                return Err(ParseError::TooMany {
                    max: MAX_CONTAINERS,
                });
            }
            services.push((n, safe(name), BTreeMap::new()));
            in_table = false;
            continue;
        }
        let Some((_, _, fields)) = services.last_mut() else {
            // The prompt and command a relayed answer starts with (`nxosv# show guestshell detail`, capture
            // shared/device-outputs/cisco_nxos/show_guestshell_detail/1.txt), before the first block only.
            let words: Vec<&str> = t.split_whitespace().collect();
            let echo = matches!(
                words.as_slice(),
                [.., "show", "virtual-service" | "guestshell", "detail"]
            ) && words.len() <= 4
                && (words.len() == 3 || words[0].ends_with(['#', '>']));
            if echo {
                continue;
            }
            return Err(ParseError::line(n, line));
        };
        if NXOS_SECTIONS.contains(&t) {
            in_table = t == "Attached devices";
            continue;
        }
        if in_table {
            // `Type  Name  Alias`, a rule, then one row per device: names only, nothing kept.
            continue;
        }
        let Some((k, v)) = t.split_once(':').map(|(k, v)| (k.trim(), v.trim())) else {
            return Err(ParseError::line(n, line));
        };
        let key = match k {
            "State" => "state",
            "Name" => "package",
            "Path" => "path",
            "Installed version" => "version",
            "Key type" => "key",
            _ => continue,
        };
        // The first `Name` is the package's; the application's and the licence's come later.
        fields.entry(key).or_insert_with(|| safe(v));
    }
    let mut images = Vec::new();
    let mut running = Vec::new();
    for (line, name, f) in services {
        let Some(state) = f.get("state") else {
            return Err(ParseError::line(line, "a virtual service without a state"));
        };
        let version = match (f.get("version"), f.get("key")) {
            (Some(v), Some(k)) => Some(format!("{v} ({k})")),
            (v, _) => v.cloned(),
        };
        images.push(ContainerImage {
            name: name.clone(),
            digest: None,
            id: f.get("package").cloned(),
            source: f.get("path").cloned().filter(|p| !p.is_empty()),
            version,
        });
        running.push(Container {
            name: name.clone(),
            image: name,
            state: state.clone(),
        });
    }
    Ok((images, running))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const NXOS_DETAIL: &str = "Virtual service guestshell+ detail\r
  State                 : Activated\r
  Package information\r
    Name                : guestshell.ova\r
    Path                : /isanboot/bin/guestshell.ova\r
    Application\r
      Name              : GuestShell\r
      Installed version : 2.11(0.0)\r
      Description       : Cisco Systems Guest Shell\r
    Signing\r
      Key type          : Cisco release key\r
      Method            : SHA-1\r
    Licensing\r
      Name              : None\r
      Version           : None\r
  Resource reservation\r
    Disk                : 250 MB\r
    Memory              : 256 MB\r
    CPU                 : 1% system CPU\r
\r
  Attached devices\r
    Type              Name        Alias\r
    ---------------------------------------------\r
    Disk              _rootfs\r
    Serial/shell\r
    Serial/Syslog                 serial2\r
";

    pub(crate) const IMAGES: &str = r#"{"Containers":"N/A","CreatedAt":"2023-11-14 22:13:20 +0000 UTC","Digest":"sha256:aaaa","ID":"sha256:1111","Repository":"docker-database","SharedSize":"N/A","Size":"133MB","Tag":"latest","UniqueSize":"N/A","VirtualSize":"133MB"}
{"Digest":"<none>","ID":"sha256:2222","Repository":"registry.example.net:5000/tools/updater","Tag":"1.0"}
{"Digest":"<none>","ID":"sha256:3333","Repository":"<none>","Tag":"<none>"}
"#;

    #[test]
    fn docker_images_json_lines_give_name_digest_and_source() {
        let imgs = docker_images(IMAGES.as_bytes()).unwrap();
        assert_eq!(imgs[0].name, "docker-database:latest");
        assert_eq!(imgs[0].digest.as_deref(), Some("sha256:aaaa"));
        assert_eq!(imgs[0].source.as_deref(), Some("docker.io"));
        assert_eq!(imgs[1].source.as_deref(), Some("registry.example.net:5000"));
        assert_eq!(imgs[1].digest, None);
        assert_eq!(imgs[2].name, "sha256:3333");
        // The table layout (no --format) is not what the probe asks for: refused, not read as empty.
        assert!(docker_images(b"REPOSITORY  TAG  IMAGE ID\nalpine latest d4ff818577bc\n").is_err());
        assert_eq!(docker_images(b"").unwrap(), vec![]);
    }

    #[test]
    fn docker_ps_and_app_hosting_detail_parse() {
        let ps = br#"{"Command":"\"/bin/sh\"","ID":"59f6","Image":"alpine","Names":"alpine1","State":"running","Status":"Up 2 minutes"}"#;
        let c = docker_ps(ps).unwrap();
        assert_eq!(
            (c[0].name.as_str(), c[0].image.as_str()),
            ("alpine1", "alpine")
        );
        let detail = "App id                 : guestshell\r\nOwner                  : iox\r\nState                  : RUNNING\r\nApplication\r\n  Type                 : lxc\r\n  Name                 : GuestShell\r\n  Version              : 3.3.0\r\n  Path                 : /guestshell/:guestshell.tar\r\n\r\nNetwork interfaces\r\n   ---------------------\r\n";
        let (imgs, running) = iosxe_app_hosting(detail.as_bytes()).unwrap();
        assert_eq!(imgs[0].name, "guestshell");
        assert_eq!(imgs[0].version.as_deref(), Some("3.3.0"));
        assert_eq!(running[0].state, "RUNNING");
        assert!(iosxe_app_hosting(b"garbage before any app\n").is_err());
        assert!(iosxe_app_hosting(b"App id : x\nOwner : iox\n").is_err());
        assert_eq!(iosxe_app_hosting(b"No App found\r\n").unwrap().0, vec![]);
    }

    #[test]
    fn nxos_virtual_service_detail_gives_package_path_version_and_key() {
        let (imgs, running) = nxos_virtual_service(NXOS_DETAIL.as_bytes()).unwrap();
        assert_eq!(imgs.len(), 1);
        assert_eq!(imgs[0].name, "guestshell+");
        assert_eq!(imgs[0].id.as_deref(), Some("guestshell.ova"));
        assert_eq!(
            imgs[0].source.as_deref(),
            Some("/isanboot/bin/guestshell.ova")
        );
        assert_eq!(
            imgs[0].version.as_deref(),
            Some("2.11(0.0) (Cisco release key)")
        );
        assert_eq!(running[0].state, "Activated");
        let two = format!(
            "{NXOS_DETAIL}{}",
            NXOS_DETAIL.replace("guestshell+", "netperf")
        );
        assert_eq!(nxos_virtual_service(two.as_bytes()).unwrap().0.len(), 2);
        assert_eq!(nxos_virtual_service(b"").unwrap().0, vec![]);
    }

    #[test]
    fn nxos_virtual_service_refuses_what_it_does_not_know() {
        assert!(nxos_virtual_service(b"  State : Activated\n").is_err());
        assert!(nxos_virtual_service(b"Virtual service x detail\n  Name : x.ova\n").is_err());
        let garbled = NXOS_DETAIL.replace("  Licensing", "  this is not a heading");
        assert!(nxos_virtual_service(garbled.as_bytes()).is_err());
        assert!(nxos_virtual_service(b"\x1b[2J\x00\xff garbage").is_err());
        let many = "Virtual service s detail\n  State : Activated\n".repeat(MAX_CONTAINERS + 1);
        assert!(matches!(
            nxos_virtual_service(many.as_bytes()),
            Err(ParseError::TooMany { .. })
        ));
    }

    #[test]
    fn eos_extensions_are_images_and_installed_ones_instances() {
        let out = "spine1#show extensions\r\n\
Name                          Version/Release      Status      Extension\r\n\
----------------------------- -------------------- ----------- ---------\r\n\
TerminAttr-1.25.1-1.swix      v1.25.1/1            A, I, S     24\r\n\
bgp-monitor-2.0.1-1.swix      2.0.1/1              A, NI, NS   1\r\n\
\r\n\
A: available | NA: not available | I: installed | NI: not installed | F: forced\r\n\
S: valid signature | NS: invalid signature\r\n\
The extensions are stored on internal flash (flash:)\r\n";
        let (images, installed) = eos_extensions(out.as_bytes()).unwrap();
        assert_eq!(images.len(), 2);
        assert_eq!(images[0].name, "TerminAttr-1.25.1-1.swix");
        assert_eq!(images[0].version.as_deref(), Some("v1.25.1/1"));
        assert_eq!(images[1].source.as_deref(), Some("flash:"));
        assert_eq!(installed.len(), 1);
        assert_eq!(installed[0].state, "A, I, S");
        let garbled = out.replace("bgp-monitor-2.0.1-1.swix", "bgp-monitor");
        assert!(eos_extensions(garbled.as_bytes()).is_err());
        assert!(eos_extensions(b"% Invalid input\r\n").is_err());
        assert_eq!(eos_extensions(b"").unwrap().0.len(), 0);
    }

    #[test]
    fn nxos_virtual_service_takes_a_prompt_and_command_echo_before_the_first_block_only() {
        let echoed = format!("leaf-7# show virtual-service detail\r\n{NXOS_DETAIL}");
        let (images, _) = nxos_virtual_service(echoed.as_bytes()).unwrap();
        assert_eq!(
            images.len(),
            nxos_virtual_service(NXOS_DETAIL.as_bytes())
                .unwrap()
                .0
                .len()
        );
        let stray = format!("leaf-7# show running-config\r\n{NXOS_DETAIL}");
        assert!(nxos_virtual_service(stray.as_bytes()).is_err());
    }
}
