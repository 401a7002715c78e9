//! What vendors call their products, to the profile that checks them. A vendor's hash list names a product
//! ("Catalyst 8000V Edge Software", "Nexus 9000 Series Switches"), and a catalog entry only matches a
//! device through the profile id its inventory names, so `catalog import` maps the file's platform column
//! through this table (the user's `--map-platform NAME=ID` first). A name no rule knows is kept as it is
//! and `catalog import` refuses the file unless `--force`: an entry that can match no device is a catalog
//! that silently checks nothing.
//!
//! Names are compared normalised (lowercase, spaces and `_` as `-`) against the starts of words below, in
//! order, so "Cisco IOS XE Software" meets `ios-xe` before `ios`. The product families and the software
//! each runs are Cisco's (for example the Catalyst 8000V configuration guide: "runs on the Cisco IOS XE
//! platform"; the ASR 9000 and NCS 5500/540 run IOS XR; Nexus 9000 runs NX-OS; the ISR G2 1900/2900/3900
//! run classic IOS 15), Arista's (EOS on every 7000-series switch), Juniper's (Junos on MX, SRX, QFX, EX,
//! PTX, ACX), Fortinet's (FortiOS on FortiGate) and Palo Alto Networks' (PAN-OS on PA- and VM-Series).

use crate::config::sources::platform_map::normalize;

/// (normalised name fragment, profile id), first match wins.
const RULES: &[(&str, &str)] = &[
    // Cisco IOS XE: the software by name, then the hardware that runs it.
    ("ios-xe", "cisco-iosxe"),
    ("iosxe", "cisco-iosxe"),
    ("catalyst-8", "cisco-iosxe"),
    ("catalyst-9", "cisco-iosxe"),
    ("c8000v", "cisco-iosxe"),
    ("csr1000v", "cisco-iosxe"),
    ("csr-1000v", "cisco-iosxe"),
    ("cloud-services-router", "cisco-iosxe"),
    ("isr-4", "cisco-iosxe"),
    ("isr-1100", "cisco-iosxe"),
    ("4000-series-integrated", "cisco-iosxe"),
    ("asr-1", "cisco-iosxe"),
    ("asr1", "cisco-iosxe"),
    // Cisco IOS XR.
    ("ios-xr", "cisco-iosxr"),
    ("iosxr", "cisco-iosxr"),
    ("asr-9", "cisco-iosxr"),
    ("asr9", "cisco-iosxr"),
    ("ncs-5", "cisco-iosxr"),
    ("ncs-540", "cisco-iosxr"),
    ("network-convergence-system", "cisco-iosxr"),
    ("8000-series-routers", "cisco-iosxr"),
    // Cisco NX-OS.
    ("nx-os", "cisco-nxos"),
    ("nxos", "cisco-nxos"),
    ("nexus", "cisco-nxos"),
    // Cisco ASA.
    ("adaptive-security", "cisco-asa"),
    ("asa", "cisco-asa"),
    // Classic Cisco IOS (after IOS XE and IOS XR, which start the same).
    ("ios", "cisco-ios"),
    ("isr-19", "cisco-ios"),
    ("isr-29", "cisco-ios"),
    ("isr-39", "cisco-ios"),
    ("1900-series", "cisco-ios"),
    ("2900-series", "cisco-ios"),
    ("3900-series", "cisco-ios"),
    ("catalyst-2960", "cisco-ios"),
    ("catalyst-3560", "cisco-ios"),
    ("catalyst-3750", "cisco-ios"),
    // Arista, Juniper, Fortinet, Palo Alto Networks, Linux-based NOSes.
    ("arista", "arista-eos"),
    ("eos", "arista-eos"),
    ("junos", "juniper-junos"),
    ("juniper", "juniper-junos"),
    ("fortigate", "fortinet-fortios"),
    ("fortios", "fortinet-fortios"),
    ("pan-os", "paloalto-panos"),
    ("panos", "paloalto-panos"),
    ("sonic", "linux"),
];

/// The profile id for a vendor's product name: the user's map, a profile id or a source's platform name
/// (`ios-xe`, `eos`), then the rules above; otherwise the name as it is.
pub fn profile_for(name: &str, user: &[(String, String)]) -> String {
    let n = normalize(name);
    if let Some((_, id)) = user.iter().find(|(k, _)| normalize(k) == n) {
        return id.clone();
    }
    if let Some(id) = crate::config::sources::platform_map::profile_for(name)
        && id != crate::config::AUTO_PLATFORM
    {
        return id.to_owned();
    }
    let words: Vec<&str> = n.split('-').collect();
    // A rule matches where a word of the name starts it (so `eos` is not found inside `videos`).
    let matches = |frag: &str| {
        (0..words.len()).any(|i| {
            let rest = words[i..].join("-");
            rest.starts_with(frag)
        })
    };
    for (frag, id) in RULES {
        if matches(frag) {
            return (*id).to_owned();
        }
    }
    name.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::profile_for;

    #[test]
    fn vendor_product_names_map_to_the_profile_that_checks_them() {
        let none: &[(String, String)] = &[];
        for (name, id) in [
            ("Catalyst 8000V Edge Software", "cisco-iosxe"),
            ("Cisco IOS XE Software", "cisco-iosxe"),
            ("Catalyst 9300 Series Switches", "cisco-iosxe"),
            ("ISR 4000 Series", "cisco-iosxe"),
            (
                "ASR 1000 Series Aggregation Services Routers",
                "cisco-iosxe",
            ),
            (
                "ASR 9000 Series Aggregation Services Routers",
                "cisco-iosxr",
            ),
            ("IOS XR Software", "cisco-iosxr"),
            ("Nexus 9000 Series Switches", "cisco-nxos"),
            ("Adaptive Security Appliance (ASA) Software", "cisco-asa"),
            ("IOS Software", "cisco-ios"),
            ("3900 Series Integrated Services Routers", "cisco-ios"),
            ("Arista EOS", "arista-eos"),
            ("Junos OS", "juniper-junos"),
            ("FortiGate", "fortinet-fortios"),
            ("PAN-OS", "paloalto-panos"),
            ("cisco-iosxe", "cisco-iosxe"),
            ("ios-xe", "cisco-iosxe"),
        ] {
            assert_eq!(profile_for(name, none), id, "{name}");
        }
        // Unknown names stay as they are (and `catalog import` refuses them without --force).
        assert_eq!(profile_for("Meraki MX", none), "Meraki MX");
        assert_eq!(
            profile_for("Video Surveillance Manager", none),
            "Video Surveillance Manager"
        );
        // The user's map comes first.
        let user = vec![("Meraki MX".to_owned(), "linux".to_owned())];
        assert_eq!(profile_for("meraki mx", &user), "linux");
    }
}
