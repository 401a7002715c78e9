//! The one table from the platform names other tools use to netattest profile ids. Every importer
//! (`inventory import`, and inventories read through `include`) looks names up here and nowhere else.
//!
//! The rule: a name maps to a profile only when the name says which platform it is. A name that covers
//! two netattest profiles maps to `auto` (the device is recognised at connect time from its SSH
//! identification and a `show version`-class answer), and a name that covers none maps to nothing: the
//! device is reported with where it came from, never dropped or guessed. Names are compared after
//! [`normalize`] (lowercase, `_` and spaces as `-`), so NetBox's `Cisco IOS XE` and `cisco_ios_xe` meet
//! its slug `cisco-ios-xe`.
//!
//! Where the names come from:
//! - Ansible `ansible_network_os`, as the "Settings by Platform" table of Ansible's network platform guide
//!   and each collection's cliconf plugin name it (`cisco.ios.ios`, short `ios`). `cisco.ios.ios` drives
//!   classic IOS *and* IOS-XE (the collection says so), so it is `auto`.
//! - NetBox platform slugs and names: NetBox ships no platforms, so these are the slugs people create
//!   (`ios`, `ios-xe`, `cisco-ios-xe`, `nxos`, `junos`, `eos`, …) and NetBox's slugification of the usual
//!   names.
//! - Oxidized model names (`lib/oxidized/model/*.rb`: `ios`, `iosxe`, `iosxr`, `nxos`, `asa`, `junos`,
//!   `eos`, `fortios`, `panos`, `linuxgeneric`, `vyatta`, `cumulus`, `sonic`). Oxidized's `ios` model
//!   serves IOS-XE too, so it is `auto` as well.
//!
//! Deliberately absent: bare vendor names (`cisco`, `juniper`, `fortinet`: a vendor is not a platform),
//! `community.network`'s platforms (`edgeos`, `exos`, `ce`, `cnos`, `voss`, …),
//! RouterOS, Dell OS6/9/10, and Ansible hosts that name no `ansible_network_os` (a plain SSH host is not
//! known to be a Linux NOS). Each is reported as unknown; `--platform NAME=ID` (or `platforms` in an
//! include) maps it on purpose.

/// The platform value that asks for recognition at connect time instead of naming a profile.
pub const AUTO: &str = crate::config::AUTO_PLATFORM;

/// One row: every spelling (already normalised) that means this profile.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// A netattest profile id, or [`AUTO`].
    pub profile: &'static str,
    pub names: &'static [&'static str],
}

/// The table. A profile's own id is always one of its names, so an inventory that already speaks
/// netattest (a CSV written for it, a NetBox slug chosen to match) needs no mapping.
pub const TABLE: &[Row] = &[
    Row {
        profile: AUTO,
        names: &[
            "auto",
            // Ansible's cisco.ios collection: "Cisco IOS and IOS-XE". Oxidized's `ios` model: the same.
            "cisco.ios.ios",
            "cisco.ios",
            "ios",
        ],
    },
    Row {
        profile: "cisco-ios",
        names: &["cisco-ios", "ios-classic", "cisco-ios-classic"],
    },
    Row {
        profile: "cisco-iosxe",
        names: &["cisco-iosxe", "cisco-ios-xe", "ios-xe", "iosxe", "cisco-xe"],
    },
    Row {
        profile: "cisco-iosxr",
        names: &[
            "cisco-iosxr",
            "cisco.iosxr.iosxr",
            "iosxr",
            "ios-xr",
            "cisco-ios-xr",
            "cisco-xr",
        ],
    },
    Row {
        profile: "cisco-nxos",
        names: &[
            "cisco-nxos",
            "cisco.nxos.nxos",
            "nxos",
            "nx-os",
            "cisco-nx-os",
            // NAPALM's driver name, which NetBox platforms carried before v4.
            "nxos-ssh",
        ],
    },
    Row {
        profile: "cisco-asa",
        names: &["cisco-asa", "cisco.asa.asa", "asa"],
    },
    Row {
        profile: "juniper-junos",
        names: &[
            "juniper-junos",
            "junipernetworks.junos.junos",
            "junos",
            "junos-os",
        ],
    },
    Row {
        profile: "arista-eos",
        names: &["arista-eos", "arista.eos.eos", "eos"],
    },
    Row {
        profile: "fortinet-fortios",
        names: &[
            "fortinet-fortios",
            "fortinet.fortios.fortios",
            "fortios",
            "fortigate",
        ],
    },
    Row {
        profile: "paloalto-panos",
        names: &[
            "paloalto-panos",
            "paloaltonetworks.panos.panos",
            "panos",
            "pan-os",
            "palo-alto-panos",
            "paloalto-networks-pan-os",
        ],
    },
    Row {
        // Oxidized's `vrp` model (lib/oxidized/model/vrp.rb) and netmiko's `huawei_vrp` device type.
        profile: "huawei-vrp",
        names: &["huawei-vrp", "vrp"],
    },
    Row {
        profile: "vyos",
        names: &["vyos", "vyos.vyos.vyos"],
    },
    Row {
        // The linux profile is written for Linux NOSes: SONiC, Cumulus (see its header). Classic Vyatta
        // says `Version: VC6...`, not VyOS, so it stays here.
        profile: "linux",
        names: &[
            "linux",
            "linuxgeneric",
            "vyatta",
            "dellemc.enterprise-sonic.sonic",
            "sonic",
            "enterprise-sonic",
            "cumulus",
            "cumulus-linux",
        ],
    },
];

/// The spelling names are compared in: trimmed, lowercase, `_` and whitespace as `-`.
pub fn normalize(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            '_' => '-',
            c if c.is_whitespace() => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// The profile a source's platform name means, if the table knows it.
pub fn profile_for(name: &str) -> Option<&'static str> {
    let n = normalize(name);
    TABLE
        .iter()
        .find(|row| row.names.contains(&n.as_str()))
        .map(|row| row.profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_written_normalised_and_appears_once() {
        let mut seen = std::collections::BTreeSet::new();
        for row in TABLE {
            for name in row.names {
                assert_eq!(normalize(name), *name, "{name} is not normalised");
                assert!(seen.insert(*name), "{name} is in the table twice");
            }
        }
    }

    #[test]
    fn every_target_is_a_built_in_profile_or_auto_and_maps_its_own_id() {
        let profiles = crate::profile::Profiles::load(&[]).expect("built-in profiles load");
        for row in TABLE {
            assert!(
                row.profile == AUTO || profiles.get(row.profile).is_some(),
                "{} is no built-in profile",
                row.profile
            );
            assert_eq!(profile_for(row.profile), Some(row.profile));
        }
        for p in profiles.iter() {
            assert_eq!(
                profile_for(&p.id),
                Some(p.id.as_str()),
                "built-in profile {} is not in the table",
                p.id
            );
        }
    }

    #[test]
    fn each_source_spelling_maps_to_its_profile() {
        let cases = [
            // Ansible ansible_network_os, long and short.
            ("cisco.ios.ios", "auto"),
            ("ios", "auto"),
            ("cisco.iosxr.iosxr", "cisco-iosxr"),
            ("iosxr", "cisco-iosxr"),
            ("cisco.nxos.nxos", "cisco-nxos"),
            ("nxos", "cisco-nxos"),
            ("cisco.asa.asa", "cisco-asa"),
            ("asa", "cisco-asa"),
            ("junipernetworks.junos.junos", "juniper-junos"),
            ("junos", "juniper-junos"),
            ("arista.eos.eos", "arista-eos"),
            ("eos", "arista-eos"),
            ("fortinet.fortios.fortios", "fortinet-fortios"),
            ("paloaltonetworks.panos.panos", "paloalto-panos"),
            ("vyos.vyos.vyos", "vyos"),
            ("VyOS", "vyos"),
            ("dellemc.enterprise_sonic.sonic", "linux"),
            // NetBox slugs and names.
            ("ios-xe", "cisco-iosxe"),
            ("cisco-ios-xe", "cisco-iosxe"),
            ("Cisco IOS XE", "cisco-iosxe"),
            ("Cisco IOS-XR", "cisco-iosxr"),
            ("Cisco NX-OS", "cisco-nxos"),
            ("Juniper Junos", "juniper-junos"),
            ("Arista EOS", "arista-eos"),
            ("PAN-OS", "paloalto-panos"),
            ("nxos_ssh", "cisco-nxos"),
            // Oxidized models.
            ("iosxe", "cisco-iosxe"),
            ("fortios", "fortinet-fortios"),
            ("panos", "paloalto-panos"),
            ("linuxgeneric", "linux"),
            ("vyatta", "linux"),
        ];
        for (name, want) in cases {
            assert_eq!(profile_for(name), Some(want), "{name}");
        }
    }

    #[test]
    fn the_readme_table_lists_every_name_and_no_other() {
        let readme = include_str!("../../../README.md");
        for row in TABLE {
            let start = format!("| `{}` |", row.profile);
            let line = readme
                .lines()
                .find(|l| l.starts_with(&start))
                .unwrap_or_else(|| panic!("README has no table row for {}", row.profile));
            let listed: Vec<&str> = line[start.len()..].split('`').skip(1).step_by(2).collect();
            assert_eq!(listed, row.names, "README row for {}", row.profile);
        }
    }

    #[test]
    fn platforms_without_a_profile_map_to_nothing() {
        for name in [
            "community.network.edgeos",
            "community.network.exos",
            "routeros",
            "dellos10",
            "procurve",
            "",
            "ansible.netcommon.default",
            "cisco",
            "juniper",
            "fortinet",
        ] {
            assert_eq!(profile_for(name), None, "{name}");
        }
    }
}
