//! The redaction tables against hand-written configurations, one per platform (tests/fixtures/profiles/
//! *_startup-config*_secrets.txt): every secret-bearing line, the secrets it holds, and the line as it must
//! read once redacted. Generated once from the fixtures' own lines; edit both together.

/// One secret-bearing line: as in the fixture, its secrets, and the redacted line (trimmed) when the line
/// survives (`None` for the lines of a multi-line secret, which fold into the line that opens it).
pub(super) struct Line {
    pub original: &'static str,
    pub secrets: &'static [&'static str],
    pub redacted: Option<&'static str>,
}

/// (profile, probe, fixture, its secret-bearing lines)
pub(super) type Case = (&'static str, &'static str, &'static str, &'static [Line]);

pub(super) const CASES: &[Case] = &[
    (
        "cisco-ios",
        "startup-config",
        "cisco-ios_startup-config_secrets.txt",
        &[
            Line {
                original: r##"enable secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM"##,
                secrets: &[r##"$9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM"##],
                redacted: Some(r##"enable secret 9 <redacted>"##),
            },
            Line {
                original: r##"username netops privilege 15 algorithm-type scrypt secret 9 $9$2MJBozw/9R3UsU$4QJcS7ZbLmw0TnZ7VnAbqAB0S6jdnVYjfL7Jc0c2vW2"##,
                secrets: &[r##"$9$2MJBozw/9R3UsU$4QJcS7ZbLmw0TnZ7VnAbqAB0S6jdnVYjfL7Jc0c2vW2"##],
                redacted: Some(
                    r##"username netops privilege 15 algorithm-type scrypt secret 9 <redacted>"##,
                ),
            },
            Line {
                original: r##"username backup privilege 1 password 7 094F471A1A0A464058"##,
                secrets: &[r##"094F471A1A0A464058"##],
                redacted: Some(r##"username backup privilege 1 password 7 <redacted>"##),
            },
            Line {
                original: r##"  key-string 7 1511021F07257A767B"##,
                secrets: &[r##"1511021F07257A767B"##],
                redacted: Some(r##"key-string 7 <redacted>"##),
            },
            Line {
                original: r##"crypto isakmp key 6 bNcQaUeWKDVJcdTTHSIfEfLMTcZcGPAAB address 203.0.113.9"##,
                secrets: &[r##"bNcQaUeWKDVJcdTTHSIfEfLMTcZcGPAAB"##],
                redacted: Some(r##"crypto isakmp key 6 <redacted> address 203.0.113.9"##),
            },
            Line {
                original: r##" pre-shared-key address 198.51.100.20 key 6 dFZeBQaVNTXJSZBdbFSTHBNcbdUcMIAAB"##,
                secrets: &[r##"dFZeBQaVNTXJSZBdbFSTHBNcbdUcMIAAB"##],
                redacted: Some(r##"pre-shared-key address 198.51.100.20 key 6 <redacted>"##),
            },
            Line {
                original: r##"  pre-shared-key local 6 TdXUIIVGOgOAFaCDaCcdaVTGZUhMObAAB"##,
                secrets: &[r##"TdXUIIVGOgOAFaCDaCcdaVTGZUhMObAAB"##],
                redacted: Some(r##"pre-shared-key local 6 <redacted>"##),
            },
            Line {
                original: r##" ip ospf message-digest-key 1 md5 7 045802150C2E1D1C5A"##,
                secrets: &[r##"045802150C2E1D1C5A"##],
                redacted: Some(r##"ip ospf message-digest-key 1 md5 7 <redacted>"##),
            },
            Line {
                original: r##" standby 10 authentication md5 key-string 7 08314D5D1A0E0A0516 timeout 300"##,
                secrets: &[r##"08314D5D1A0E0A0516"##],
                redacted: Some(
                    r##"standby 10 authentication md5 key-string 7 <redacted> timeout 300"##,
                ),
            },
            Line {
                original: r##" ip ospf authentication-key 7 13061E010803"##,
                secrets: &[r##"13061E010803"##],
                redacted: Some(r##"ip ospf authentication-key 7 <redacted>"##),
            },
            Line {
                original: r##" vrrp 20 authentication text Vr2Pass4Lan"##,
                secrets: &[r##"Vr2Pass4Lan"##],
                redacted: Some(r##"vrrp 20 authentication text <redacted>"##),
            },
            Line {
                original: r##" neighbor 192.0.2.1 password 7 02050D4808095E731F"##,
                secrets: &[r##"02050D4808095E731F"##],
                redacted: Some(r##"neighbor 192.0.2.1 password 7 <redacted>"##),
            },
            Line {
                original: r##"ntp authentication-key 1 md5 104D000A0618 7"##,
                secrets: &[r##"104D000A0618"##],
                redacted: Some(r##"ntp authentication-key 1 md5 <redacted> 7"##),
            },
            Line {
                original: r##" key 7 0835495D1D0A1E1B0F"##,
                secrets: &[r##"0835495D1D0A1E1B0F"##],
                redacted: Some(r##"key 7 <redacted>"##),
            },
            Line {
                original: r##" key 7 05080F1C22431F5B4A"##,
                secrets: &[r##"05080F1C22431F5B4A"##],
                redacted: Some(r##"key 7 <redacted>"##),
            },
            Line {
                original: r##"radius-server host 10.20.0.7 auth-port 1645 acct-port 1646 key 7 00071A1507545A545C"##,
                secrets: &[r##"00071A1507545A545C"##],
                redacted: Some(
                    r##"radius-server host 10.20.0.7 auth-port 1645 acct-port 1646 key 7 <redacted>"##,
                ),
            },
            Line {
                original: r##"snmp-server community N0c-R3ad0nly RO 10"##,
                secrets: &[r##"N0c-R3ad0nly"##],
                redacted: Some(r##"snmp-server community <redacted> RO 10"##),
            },
            Line {
                original: r##"snmp-server host 10.20.0.8 version 2c Tr4pC0mmStr"##,
                secrets: &[r##"Tr4pC0mmStr"##],
                redacted: Some(r##"snmp-server host 10.20.0.8 version 2c <redacted>"##),
            },
            Line {
                original: r##"snmp-server user monitor NMS v3 auth sha AuthPh4seOne priv aes 128 PrivPh4seTwo"##,
                secrets: &[r##"AuthPh4seOne"##, r##"PrivPh4seTwo"##],
                redacted: Some(
                    r##"snmp-server user monitor NMS v3 auth sha <redacted> priv aes 128 <redacted>"##,
                ),
            },
            Line {
                original: r##" path scp://backup:Arch1vePw@10.20.0.9/configs/$h"##,
                secrets: &[r##"Arch1vePw"##],
                redacted: Some(r##"path scp://backup:<redacted>@10.20.0.9/configs/$h"##),
            },
            Line {
                original: r##" key 6 XhKdQ_VVNVbTeUfXMZcBTAgZJVSIWdAAB"##,
                secrets: &[r##"XhKdQ_VVNVbTeUfXMZcBTAgZJVSIWdAAB"##],
                redacted: Some(r##"key 6 <redacted>"##),
            },
            Line {
                original: r##"   authentication mode hmac-sha-256 7 0835495D1D0A1E1B0F1A"##,
                secrets: &[r##"0835495D1D0A1E1B0F1A"##],
                redacted: Some(r##"authentication mode hmac-sha-256 7 <redacted>"##),
            },
            Line {
                original: r##" ip nhrp authentication NhrpK3y"##,
                secrets: &[r##"NhrpK3y"##],
                redacted: Some(r##"ip nhrp authentication <redacted>"##),
            },
            Line {
                original: r##" glbp 30 authentication text Glbp4Pass"##,
                secrets: &[r##"Glbp4Pass"##],
                redacted: Some(r##"glbp 30 authentication text <redacted>"##),
            },
            Line {
                original: r##" password 7 060506324F41584B56"##,
                secrets: &[r##"060506324F41584B56"##],
                redacted: Some(r##"password 7 <redacted>"##),
            },
            Line {
                original: r##" password 7 110A1016141D5A5E57"##,
                secrets: &[r##"110A1016141D5A5E57"##],
                redacted: Some(r##"password 7 <redacted>"##),
            },
        ],
    ),
    (
        "cisco-iosxe",
        "startup-config",
        "cisco-iosxe_startup-config_secrets.txt",
        &[
            Line {
                original: r##"enable secret 9 $9$Wv0rlNoNyiATsk$gNQ2zCNYwXrG8qQ5cE1u6vc3Hk1bq1iDSe0XJ4kJ7vI"##,
                secrets: &[r##"$9$Wv0rlNoNyiATsk$gNQ2zCNYwXrG8qQ5cE1u6vc3Hk1bq1iDSe0XJ4kJ7vI"##],
                redacted: Some(r##"enable secret 9 <redacted>"##),
            },
            Line {
                original: r##"username admin privilege 15 secret 9 $9$zH2p1xQw5Lk9aE$u5mN0Q3eY9Lk2s7Vb8Xc1Zq4Rt6Wy3Po0Ia5Sd7Fg9H"##,
                secrets: &[r##"$9$zH2p1xQw5Lk9aE$u5mN0Q3eY9Lk2s7Vb8Xc1Zq4Rt6Wy3Po0Ia5Sd7Fg9H"##],
                redacted: Some(r##"username admin privilege 15 secret 9 <redacted>"##),
            },
            Line {
                original: r##"username ro-user privilege 1 password 0 PlainText99"##,
                secrets: &[r##"PlainText99"##],
                redacted: Some(r##"username ro-user privilege 1 password 0 <redacted>"##),
            },
            Line {
                original: r##" server-private 10.30.0.6 key 7 1107160B1A1D030F"##,
                secrets: &[r##"1107160B1A1D030F"##],
                redacted: Some(r##"server-private 10.30.0.6 key 7 <redacted>"##),
            },
            Line {
                original: r##" client 10.30.0.6 server-key 7 06070E204D5A1D1B"##,
                secrets: &[r##"06070E204D5A1D1B"##],
                redacted: Some(r##"client 10.30.0.6 server-key 7 <redacted>"##),
            },
            Line {
                original: r##" key 6 YUaCTBQEXEGQHQeVfHLKDfNjgT_EPNAAB"##,
                secrets: &[r##"YUaCTBQEXEGQHQeVfHLKDfNjgT_EPNAAB"##],
                redacted: Some(r##"key 6 <redacted>"##),
            },
            Line {
                original: r##" key 7 045802150C2E5A0C1A"##,
                secrets: &[r##"045802150C2E5A0C1A"##],
                redacted: Some(r##"key 7 <redacted>"##),
            },
            Line {
                original: r##"  pre-shared-key local 6 aKSdQ_ZVVTHdYWUKeQfNRbBUCRRcPfAAB"##,
                secrets: &[r##"aKSdQ_ZVVTHdYWUKeQfNRbBUCRRcPfAAB"##],
                redacted: Some(r##"pre-shared-key local 6 <redacted>"##),
            },
            Line {
                original: r##"  pre-shared-key remote 6 TfhEIaJHPGgcHIVDTbYaUaXbSYCVegAAB"##,
                secrets: &[r##"TfhEIaJHPGgcHIVDTbYaUaXbSYCVegAAB"##],
                redacted: Some(r##"pre-shared-key remote 6 <redacted>"##),
            },
            Line {
                original: r##" ip ospf message-digest-key 1 md5 7 0822455D0A16544541"##,
                secrets: &[r##"0822455D0A16544541"##],
                redacted: Some(r##"ip ospf message-digest-key 1 md5 7 <redacted>"##),
            },
            Line {
                original: r##" standby 10 authentication Hsrp2024"##,
                secrets: &[r##"Hsrp2024"##],
                redacted: Some(r##"standby 10 authentication <redacted>"##),
            },
            Line {
                original: r##" ospfv3 authentication ipsec spi 300 sha1 7 121A0C0411045D5679"##,
                secrets: &[r##"121A0C0411045D5679"##],
                redacted: Some(r##"ospfv3 authentication ipsec spi 300 sha1 7 <redacted>"##),
            },
            Line {
                original: r##" neighbor 10.255.0.1 password 7 14141B180F0B7B7977"##,
                secrets: &[r##"14141B180F0B7B7977"##],
                redacted: Some(r##"neighbor 10.255.0.1 password 7 <redacted>"##),
            },
            Line {
                original: r##" area-password Ar3aKey2"##,
                secrets: &[r##"Ar3aKey2"##],
                redacted: Some(r##"area-password <redacted>"##),
            },
            Line {
                original: r##" domain-password D0mKey3 authenticate snp validate"##,
                secrets: &[r##"D0mKey3"##],
                redacted: Some(r##"domain-password <redacted> authenticate snp validate"##),
            },
            Line {
                original: r##"ntp authentication-key 10 md5 0002010E0A0C3B2E7F 7"##,
                secrets: &[r##"0002010E0A0C3B2E7F"##],
                redacted: Some(r##"ntp authentication-key 10 md5 <redacted> 7"##),
            },
            Line {
                original: r##"snmp-server community Cmty-Xe-RO RO SNMP-ACL"##,
                secrets: &[r##"Cmty-Xe-RO"##],
                redacted: Some(r##"snmp-server community <redacted> RO SNMP-ACL"##),
            },
            Line {
                original: r##"snmp-server host 10.30.0.8 vrf Mgmt-vrf informs version 2c Inf0rmCmty"##,
                secrets: &[r##"Inf0rmCmty"##],
                redacted: Some(
                    r##"snmp-server host 10.30.0.8 vrf Mgmt-vrf informs version 2c <redacted>"##,
                ),
            },
            Line {
                original: r##"snmp-server user nms NMS-GRP v3 auth sha Sha-Auth-Pw1 priv aes 256 Aes-Priv-Pw2"##,
                secrets: &[r##"Sha-Auth-Pw1"##, r##"Aes-Priv-Pw2"##],
                redacted: Some(
                    r##"snmp-server user nms NMS-GRP v3 auth sha <redacted> priv aes 256 <redacted>"##,
                ),
            },
        ],
    ),
    (
        "cisco-iosxr",
        "running-config",
        "cisco-iosxr_startup-config_secrets.txt",
        &[
            Line {
                original: r##" secret 10 $6$uZ5Yq1Mf3rJ0n...$Qm8dD3o7s6L1X2a9QjVvZ0fK5bH3nC8wP1eR4tY7uI2oP9aS6dF3gH5jK8lZ1xC4vB7nM0qW3eR6tY9uI2oP5."##,
                secrets: &[
                    r##"$6$uZ5Yq1Mf3rJ0n...$Qm8dD3o7s6L1X2a9QjVvZ0fK5bH3nC8wP1eR4tY7uI2oP9aS6dF3gH5jK8lZ1xC4vB7nM0qW3eR6tY9uI2oP5."##,
                ],
                redacted: Some(r##"secret 10 <redacted>"##),
            },
            Line {
                original: r##" password 7 13061E010803557878"##,
                secrets: &[r##"13061E010803557878"##],
                redacted: Some(r##"password 7 <redacted>"##),
            },
            Line {
                original: r##" key 7 104D000A061843595F"##,
                secrets: &[r##"104D000A061843595F"##],
                redacted: Some(r##"key 7 <redacted>"##),
            },
            Line {
                original: r##"radius-server key 7 0508571C22431F5B4A"##,
                secrets: &[r##"0508571C22431F5B4A"##],
                redacted: Some(r##"radius-server key 7 <redacted>"##),
            },
            Line {
                original: r##"  key 7 060506324F41584B56"##,
                secrets: &[r##"060506324F41584B56"##],
                redacted: Some(r##"key 7 <redacted>"##),
            },
            Line {
                original: r##"  key-string password 02050D4808095E731F"##,
                secrets: &[r##"02050D4808095E731F"##],
                redacted: Some(r##"key-string password <redacted>"##),
            },
            Line {
                original: r##"ntp authentication-key 1 md5 encrypted 0822455D0A16544541"##,
                secrets: &[r##"0822455D0A16544541"##],
                redacted: Some(r##"ntp authentication-key 1 md5 encrypted <redacted>"##),
            },
            Line {
                original: r##"snmp-server community XR-Ro-Cmty RO SDROwner"##,
                secrets: &[r##"XR-Ro-Cmty"##],
                redacted: Some(r##"snmp-server community <redacted> RO SDROwner"##),
            },
            Line {
                original: r##"snmp-server host 10.40.0.8 traps version 2c encrypted 094F471A1A0A464058"##,
                secrets: &[r##"094F471A1A0A464058"##],
                redacted: Some(
                    r##"snmp-server host 10.40.0.8 traps version 2c encrypted <redacted>"##,
                ),
            },
            Line {
                original: r##"snmp-server user nms NMS v3 auth sha encrypted 1511021F07257A767B priv aes 128 encrypted 045802150C2E1D1C5A"##,
                secrets: &[r##"1511021F07257A767B"##, r##"045802150C2E1D1C5A"##],
                redacted: Some(
                    r##"snmp-server user nms NMS v3 auth sha encrypted <redacted> priv aes 128 encrypted <redacted>"##,
                ),
            },
            Line {
                original: r##" lsp-password hmac-md5 encrypted 121A0C0411045D5679 level 2"##,
                secrets: &[r##"121A0C0411045D5679"##],
                redacted: Some(r##"lsp-password hmac-md5 encrypted <redacted> level 2"##),
            },
            Line {
                original: r##"   message-digest-key 1 md5 encrypted 00071A1507545A545C"##,
                secrets: &[r##"00071A1507545A545C"##],
                redacted: Some(r##"message-digest-key 1 md5 encrypted <redacted>"##),
            },
            Line {
                original: r##"   authentication-key encrypted 110A1016141D5A5E57"##,
                secrets: &[r##"110A1016141D5A5E57"##],
                redacted: Some(r##"authentication-key encrypted <redacted>"##),
            },
            Line {
                original: r##"  password encrypted 14141B180F0B7B7977"##,
                secrets: &[r##"14141B180F0B7B7977"##],
                redacted: Some(r##"password encrypted <redacted>"##),
            },
            Line {
                original: r##"    authentication HsrpXr1"##,
                secrets: &[r##"HsrpXr1"##],
                redacted: Some(r##"authentication <redacted>"##),
            },
        ],
    ),
    (
        "cisco-nxos",
        "startup-config",
        "cisco-nxos_startup-config_secrets.txt",
        &[
            Line {
                original: r##"username admin password 5 $5$KJHGFD$1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0pQWERTY1  role network-admin"##,
                secrets: &[r##"$5$KJHGFD$1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0pQWERTY1"##],
                redacted: Some(r##"username admin password 5 <redacted>  role network-admin"##),
            },
            Line {
                original: r##"username ops password 5 $5$ABCDEF$zxcvbnmasdfghjklqwertyuiop1234567890ZXCVBNM  role network-operator"##,
                secrets: &[r##"$5$ABCDEF$zxcvbnmasdfghjklqwertyuiop1234567890ZXCVBNM"##],
                redacted: Some(r##"username ops password 5 <redacted>  role network-operator"##),
            },
            Line {
                original: r##"tacacs-server key 7 "Fwbxsl3Tac""##,
                secrets: &[r##"Fwbxsl3Tac"##],
                redacted: Some(r##"tacacs-server key 7 <redacted>"##),
            },
            Line {
                original: r##"tacacs-server host 10.50.0.5 key 7 "Hsjdk4Tacs""##,
                secrets: &[r##"Hsjdk4Tacs"##],
                redacted: Some(r##"tacacs-server host 10.50.0.5 key 7 <redacted>"##),
            },
            Line {
                original: r##"radius-server host 10.50.0.6 key 7 "Rdsk9Sec" authentication accounting"##,
                secrets: &[r##"Rdsk9Sec"##],
                redacted: Some(
                    r##"radius-server host 10.50.0.6 key 7 <redacted> authentication accounting"##,
                ),
            },
            Line {
                original: r##"snmp-server user admin network-admin auth md5 0x9a8b7c6d5e4f30211a2b3c4d5e6f7081 priv 0x1f2e3d4c5b6a79880a9b8c7d6e5f4031 localizedkey"##,
                secrets: &[
                    r##"0x9a8b7c6d5e4f30211a2b3c4d5e6f7081"##,
                    r##"0x1f2e3d4c5b6a79880a9b8c7d6e5f4031"##,
                ],
                redacted: Some(
                    r##"snmp-server user admin network-admin auth md5 <redacted> priv <redacted> localizedkey"##,
                ),
            },
            Line {
                original: r##"snmp-server user nms network-operator auth sha 0x0a1b2c3d4e5f60718293a4b5c6d7e8f901234567 priv aes-128 0x11223344556677889900aabbccddeeff localizedkey"##,
                secrets: &[
                    r##"0x0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"##,
                    r##"0x11223344556677889900aabbccddeeff"##,
                ],
                redacted: Some(
                    r##"snmp-server user nms network-operator auth sha <redacted> priv aes-128 <redacted> localizedkey"##,
                ),
            },
            Line {
                original: r##"snmp-server host 10.50.0.8 traps version 2c NxTrapCmty"##,
                secrets: &[r##"NxTrapCmty"##],
                redacted: Some(r##"snmp-server host 10.50.0.8 traps version 2c <redacted>"##),
            },
            Line {
                original: r##"snmp-server community NxRoCmty group network-operator"##,
                secrets: &[r##"NxRoCmty"##],
                redacted: Some(r##"snmp-server community <redacted> group network-operator"##),
            },
            Line {
                original: r##"ntp authentication-key 1 md5 NtpNxKey 7"##,
                secrets: &[r##"NtpNxKey"##],
                redacted: Some(r##"ntp authentication-key 1 md5 <redacted> 7"##),
            },
            Line {
                original: r##"    key-string 7 075e731f1a5c4f524f"##,
                secrets: &[r##"075e731f1a5c4f524f"##],
                redacted: Some(r##"key-string 7 <redacted>"##),
            },
            Line {
                original: r##"  ip ospf message-digest-key 1 md5 3 8d2c1f5e0a7b3c4d"##,
                secrets: &[r##"8d2c1f5e0a7b3c4d"##],
                redacted: Some(r##"ip ospf message-digest-key 1 md5 3 <redacted>"##),
            },
            Line {
                original: r##"    authentication md5 key-string HsrpNxMd5"##,
                secrets: &[r##"HsrpNxMd5"##],
                redacted: Some(r##"authentication md5 key-string <redacted>"##),
            },
            Line {
                original: r##"  ip ospf authentication-key 3 2b7e151628aed2a6"##,
                secrets: &[r##"2b7e151628aed2a6"##],
                redacted: Some(r##"ip ospf authentication-key 3 <redacted>"##),
            },
            Line {
                original: r##"    authentication text VrrpNx1"##,
                secrets: &[r##"VrrpNx1"##],
                redacted: Some(r##"authentication text <redacted>"##),
            },
            Line {
                original: r##"    password 3 5b8e9f1a2c3d4e5f"##,
                secrets: &[r##"5b8e9f1a2c3d4e5f"##],
                redacted: Some(r##"password 3 <redacted>"##),
            },
        ],
    ),
    (
        "cisco-asa",
        "startup-config",
        "cisco-asa_startup-config_secrets.txt",
        &[
            Line {
                original: r##"enable password $sha512$5000$Zm9vYmFyYmF6cXV4$L2xKb3R0ZXJ5V2luT2ZmaWNlUGFzcw== pbkdf2"##,
                secrets: &[r##"$sha512$5000$Zm9vYmFyYmF6cXV4$L2xKb3R0ZXJ5V2luT2ZmaWNlUGFzcw=="##],
                redacted: Some(r##"enable password <redacted> pbkdf2"##),
            },
            Line {
                original: r##"passwd 2KFQnbNIdI.2KYOU encrypted"##,
                secrets: &[r##"2KFQnbNIdI.2KYOU"##],
                redacted: Some(r##"passwd <redacted> encrypted"##),
            },
            Line {
                original: r##" ospf message-digest-key 1 md5 OspfAsaKey"##,
                secrets: &[r##"OspfAsaKey"##],
                redacted: Some(r##"ospf message-digest-key 1 md5 <redacted>"##),
            },
            Line {
                original: r##" ospf authentication-key AsaPlainKey"##,
                secrets: &[r##"AsaPlainKey"##],
                redacted: Some(r##"ospf authentication-key <redacted>"##),
            },
            Line {
                original: r##" authentication key eigrp 100 EigrpAsa1 key-id 1"##,
                secrets: &[r##"EigrpAsa1"##],
                redacted: Some(r##"authentication key eigrp 100 <redacted> key-id 1"##),
            },
            Line {
                original: r##"username admin password $sha512$5000$YWJjZGVmZ2hpams=$cXdlcnR5dWlvcGFzZGZnaGprbA== pbkdf2 privilege 15"##,
                secrets: &[r##"$sha512$5000$YWJjZGVmZ2hpams=$cXdlcnR5dWlvcGFzZGZnaGprbA=="##],
                redacted: Some(r##"username admin password <redacted> pbkdf2 privilege 15"##),
            },
            Line {
                original: r##"username vpnuser password kL7Ht2zQ9xWm4Rb1 encrypted"##,
                secrets: &[r##"kL7Ht2zQ9xWm4Rb1"##],
                redacted: Some(r##"username vpnuser password <redacted> encrypted"##),
            },
            Line {
                original: r##" key Is3RadiusKey"##,
                secrets: &[r##"Is3RadiusKey"##],
                redacted: Some(r##"key <redacted>"##),
            },
            Line {
                original: r##" ldap-login-password LdapB1nd!"##,
                secrets: &[r##"LdapB1nd!"##],
                redacted: Some(r##"ldap-login-password <redacted>"##),
            },
            Line {
                original: r##" ikev1 pre-shared-key Ik3v1Psk"##,
                secrets: &[r##"Ik3v1Psk"##],
                redacted: Some(r##"ikev1 pre-shared-key <redacted>"##),
            },
            Line {
                original: r##" ikev2 remote-authentication pre-shared-key Ik3v2Remote"##,
                secrets: &[r##"Ik3v2Remote"##],
                redacted: Some(r##"ikev2 remote-authentication pre-shared-key <redacted>"##),
            },
            Line {
                original: r##" ikev2 local-authentication pre-shared-key Ik3v2Local"##,
                secrets: &[r##"Ik3v2Local"##],
                redacted: Some(r##"ikev2 local-authentication pre-shared-key <redacted>"##),
            },
            Line {
                original: r##"failover key F41l0verKey"##,
                secrets: &[r##"F41l0verKey"##],
                redacted: Some(r##"failover key <redacted>"##),
            },
            Line {
                original: r##"ntp authentication-key 1 md5 NtpAsaKey"##,
                secrets: &[r##"NtpAsaKey"##],
                redacted: Some(r##"ntp authentication-key 1 md5 <redacted>"##),
            },
            Line {
                original: r##"snmp-server host inside 10.60.0.8 community AsaTrapCmty version 2c"##,
                secrets: &[r##"AsaTrapCmty"##],
                redacted: Some(
                    r##"snmp-server host inside 10.60.0.8 community <redacted> version 2c"##,
                ),
            },
            Line {
                original: r##"snmp-server community AsaRoCmty"##,
                secrets: &[r##"AsaRoCmty"##],
                redacted: Some(r##"snmp-server community <redacted>"##),
            },
            Line {
                original: r##"snmp-server user nms NMS v3 auth sha AsaAuthPw1 priv aes 256 AsaPrivPw2"##,
                secrets: &[r##"AsaAuthPw1"##, r##"AsaPrivPw2"##],
                redacted: Some(
                    r##"snmp-server user nms NMS v3 auth sha <redacted> priv aes 256 <redacted>"##,
                ),
            },
            Line {
                original: r##"  neighbor 203.0.113.1 password BgpAsaPw"##,
                secrets: &[r##"BgpAsaPw"##],
                redacted: Some(r##"neighbor 203.0.113.1 password <redacted>"##),
            },
        ],
    ),
    (
        "arista-eos",
        "startup-config",
        "arista-eos_startup-config_secrets.txt",
        &[
            Line {
                original: r##"service unsupported-transceiver CorpOptics 8f1c3a7e"##,
                secrets: &[r##"8f1c3a7e"##],
                redacted: Some(r##"service unsupported-transceiver CorpOptics <redacted>"##),
            },
            Line {
                original: r##"   exec /usr/bin/TerminAttr -cvaddr=10.70.0.10:9910 -cvauth=key,CvEnr0llKey -cvvrf=MGMT -taillogs"##,
                secrets: &[r##"CvEnr0llKey"##],
                redacted: Some(
                    r##"exec /usr/bin/TerminAttr -cvaddr=10.70.0.10:9910 -cvauth=key,<redacted> -cvvrf=MGMT -taillogs"##,
                ),
            },
            Line {
                original: r##"ntp authentication-key 1 md5 7 045802150C2E1D1C5A"##,
                secrets: &[r##"045802150C2E1D1C5A"##],
                redacted: Some(r##"ntp authentication-key 1 md5 7 <redacted>"##),
            },
            Line {
                original: r##"snmp-server community EosR0Cmty ro"##,
                secrets: &[r##"EosR0Cmty"##],
                redacted: Some(r##"snmp-server community <redacted> ro"##),
            },
            Line {
                original: r##"snmp-server host 10.70.0.8 vrf MGMT version 2c EosTrapCmty"##,
                secrets: &[r##"EosTrapCmty"##],
                redacted: Some(r##"snmp-server host 10.70.0.8 vrf MGMT version 2c <redacted>"##),
            },
            Line {
                original: r##"snmp-server user nms NMS v3 localized 0000000000000000000000aa auth sha512 9c1e7a0f3b5d priv aes256 4e8a2c6b0d1f"##,
                secrets: &[r##"9c1e7a0f3b5d"##, r##"4e8a2c6b0d1f"##],
                redacted: Some(
                    r##"snmp-server user nms NMS v3 localized 0000000000000000000000aa auth sha512 <redacted> priv aes256 <redacted>"##,
                ),
            },
            Line {
                original: r##"tacacs-server host 10.70.0.5 vrf MGMT key 7 0835495D1D0A1E1B0F"##,
                secrets: &[r##"0835495D1D0A1E1B0F"##],
                redacted: Some(r##"tacacs-server host 10.70.0.5 vrf MGMT key 7 <redacted>"##),
            },
            Line {
                original: r##"radius-server key 7 05080F1C22431F5B4A"##,
                secrets: &[r##"05080F1C22431F5B4A"##],
                redacted: Some(r##"radius-server key 7 <redacted>"##),
            },
            Line {
                original: r##"aaa root secret sha512 $6$Rt9sXc2Vb4Nm6Lk8$Jh5Gf3Ds1Aq9Wz7Xe5Cr3Vt1By9Nu7Mi5Ko3Lp1Qa9Ws7Ed5Rf3Tg1Yh9Uj7Ik5Ol3Pz1Xc9Vb7Nm5"##,
                secrets: &[
                    r##"$6$Rt9sXc2Vb4Nm6Lk8$Jh5Gf3Ds1Aq9Wz7Xe5Cr3Vt1By9Nu7Mi5Ko3Lp1Qa9Ws7Ed5Rf3Tg1Yh9Uj7Ik5Ol3Pz1Xc9Vb7Nm5"##,
                ],
                redacted: Some(r##"aaa root secret sha512 <redacted>"##),
            },
            Line {
                original: r##"enable password sha512 $6$nXycSRhVPaxRINPL$Gx2wQn8Rk4Tz6Yb0Vc2Xm4Lp6Nd8Fs0Hj2Kl4Qw6Er8Ty0Ui2Op4As6Df8Gh0Jk2Lz4Xc6Vb8Nm0Qa2Ws4"##,
                secrets: &[
                    r##"$6$nXycSRhVPaxRINPL$Gx2wQn8Rk4Tz6Yb0Vc2Xm4Lp6Nd8Fs0Hj2Kl4Qw6Er8Ty0Ui2Op4As6Df8Gh0Jk2Lz4Xc6Vb8Nm0Qa2Ws4"##,
                ],
                redacted: Some(r##"enable password sha512 <redacted>"##),
            },
            Line {
                original: r##"username admin privilege 15 role network-admin secret sha512 $6$Ab1Cd2Ef3Gh4Ij5K$Lm6No7Pq8Rs9Tu0Vw1Xy2Za3Bc4De5Fg6Hi7Jk8Lm9No0Pq1Rs2Tu3Vw4Xy5Za6Bc7De8Fg9Hi0Jk1Lm2No3Pq4Rs5T"##,
                secrets: &[
                    r##"$6$Ab1Cd2Ef3Gh4Ij5K$Lm6No7Pq8Rs9Tu0Vw1Xy2Za3Bc4De5Fg6Hi7Jk8Lm9No0Pq1Rs2Tu3Vw4Xy5Za6Bc7De8Fg9Hi0Jk1Lm2No3Pq4Rs5T"##,
                ],
                redacted: Some(
                    r##"username admin privilege 15 role network-admin secret sha512 <redacted>"##,
                ),
            },
            Line {
                original: r##"username ops privilege 1 secret 5 $1$w8kq$4kDyxFy.nq2yJ3R7bZpGZ0"##,
                secrets: &[r##"$1$w8kq$4kDyxFy.nq2yJ3R7bZpGZ0"##],
                redacted: Some(r##"username ops privilege 1 secret 5 <redacted>"##),
            },
            Line {
                original: r##"      key 0123abcd 7 1511021F07257A767B"##,
                secrets: &[r##"1511021F07257A767B"##],
                redacted: Some(r##"key 0123abcd 7 <redacted>"##),
            },
            Line {
                original: r##"   ip ospf message-digest-key 1 md5 7 13061E010803557878"##,
                secrets: &[r##"13061E010803557878"##],
                redacted: Some(r##"ip ospf message-digest-key 1 md5 7 <redacted>"##),
            },
            Line {
                original: r##"   isis authentication key 7 0822455D0A16544541"##,
                secrets: &[r##"0822455D0A16544541"##],
                redacted: Some(r##"isis authentication key 7 <redacted>"##),
            },
            Line {
                original: r##"   ip ospf authentication-key 7 094F471A1A0A464058"##,
                secrets: &[r##"094F471A1A0A464058"##],
                redacted: Some(r##"ip ospf authentication-key 7 <redacted>"##),
            },
            Line {
                original: r##"   vrrp 1 peer authentication text VrrpEos1"##,
                secrets: &[r##"VrrpEos1"##],
                redacted: Some(r##"vrrp 1 peer authentication text <redacted>"##),
            },
            Line {
                original: r##"   neighbor EVPN password 7 02050D4808095E731F"##,
                secrets: &[r##"02050D4808095E731F"##],
                redacted: Some(r##"neighbor EVPN password 7 <redacted>"##),
            },
            Line {
                original: r##"   neighbor 10.0.1.1 password 7 14141B180F0B7B7977"##,
                secrets: &[r##"14141B180F0B7B7977"##],
                redacted: Some(r##"neighbor 10.0.1.1 password 7 <redacted>"##),
            },
        ],
    ),
    (
        "juniper-junos",
        "configuration",
        "juniper-junos_startup-config_secrets.txt",
        &[
            Line {
                original: r##"        encrypted-password "$6$t3Qm$Fo0JpW3X1dN5hYb7cA9eR2vL4kS6mT8uZ0iO1pQ3rS5tU7vW9xY1zA3bC5dE7fG9hI1jK3lM5nO7pQ9rS1tU3"; ## SECRET-DATA"##,
                secrets: &[
                    r##"$6$t3Qm$Fo0JpW3X1dN5hYb7cA9eR2vL4kS6mT8uZ0iO1pQ3rS5tU7vW9xY1zA3bC5dE7fG9hI1jK3lM5nO7pQ9rS1tU3"##,
                ],
                redacted: Some(r##"encrypted-password <redacted>; ## SECRET-DATA"##),
            },
            Line {
                original: r##"                encrypted-password "$1$kq3Zf9Lm$wE5rT7yU9iO1pA3sD5fG7h"; ## SECRET-DATA"##,
                secrets: &[r##"$1$kq3Zf9Lm$wE5rT7yU9iO1pA3sD5fG7h"##],
                redacted: Some(r##"encrypted-password <redacted>; ## SECRET-DATA"##),
            },
            Line {
                original: r##"            secret "$9$Hk5FCtu1hreKvLxdsYgoJZUjq.5QF/9pB"; ## SECRET-DATA"##,
                secrets: &[r##"$9$Hk5FCtu1hreKvLxdsYgoJZUjq.5QF/9pB"##],
                redacted: Some(r##"secret <redacted>; ## SECRET-DATA"##),
            },
            Line {
                original: r##"            secret "$9$LtaX7VwYoGDk.tu0O1hcyKvMLxdVY4"; ## SECRET-DATA"##,
                secrets: &[r##"$9$LtaX7VwYoGDk.tu0O1hcyKvMLxdVY4"##],
                redacted: Some(r##"secret <redacted>; ## SECRET-DATA"##),
            },
            Line {
                original: r##"        authentication-key 1 type md5 value "$9$dGbYoJUjqPT3nCtp0Ihr"; ## SECRET-DATA"##,
                secrets: &[r##"$9$dGbYoJUjqPT3nCtp0Ihr"##],
                redacted: Some(
                    r##"authentication-key 1 type md5 value <redacted>; ## SECRET-DATA"##,
                ),
            },
            Line {
                original: r##"                "scp://backup@10.80.0.9:/cfg" password "$9$Zq.P5z6AuO1Ik.mTF6Ap0BRSyK"; ## SECRET-DATA"##,
                secrets: &[r##"$9$Zq.P5z6AuO1Ik.mTF6Ap0BRSyK"##],
                redacted: Some(
                    r##""scp://backup@10.80.0.9:/cfg" password <redacted>; ## SECRET-DATA"##,
                ),
            },
            Line {
                original: r##"    community JunR0Cmty {"##,
                secrets: &[r##"JunR0Cmty"##],
                redacted: Some(r##"community <redacted> {"##),
            },
            Line {
                original: r##"    trap-group JunTrapCmty {"##,
                secrets: &[r##"JunTrapCmty"##],
                redacted: Some(r##"trap-group <redacted> {"##),
            },
            Line {
                original: r##"                        authentication-key "$9$aBGjqf5F/9pEcSleKvWXNdbwgoJGiHmf5TzFnCu1Ir"; ## SECRET-DATA"##,
                secrets: &[r##"$9$aBGjqf5F/9pEcSleKvWXNdbwgoJGiHmf5TzFnCu1Ir"##],
                redacted: Some(r##"authentication-key <redacted>; ## SECRET-DATA"##),
            },
            Line {
                original: r##"                        privacy-key "$9$mP5FnCu1IrlMWLNdbs2gaZGjHmTz6AtO"; ## SECRET-DATA"##,
                secrets: &[r##"$9$mP5FnCu1IrlMWLNdbs2gaZGjHmTz6AtO"##],
                redacted: Some(r##"privacy-key <redacted>; ## SECRET-DATA"##),
            },
            Line {
                original: r##"            pre-shared-key ascii-text "$9$Wv0LxdbwgoJDg4ZjHqmfz36AuO1RSe"; ## SECRET-DATA"##,
                secrets: &[r##"$9$Wv0LxdbwgoJDg4ZjHqmfz36AuO1RSe"##],
                redacted: Some(r##"pre-shared-key ascii-text <redacted>; ## SECRET-DATA"##),
            },
            Line {
                original: r##"                secret "$9$x7d-bs2gaZjk.HqmfTF/"; ## SECRET-DATA"##,
                secrets: &[r##"$9$x7d-bs2gaZjk.HqmfTF/"##],
                redacted: Some(r##"secret <redacted>; ## SECRET-DATA"##),
            },
            Line {
                original: r##"            authentication-key "$9$k.mTFCtuBIcSlMXx-dbY2aJGDiHm"; ## SECRET-DATA"##,
                secrets: &[r##"$9$k.mTFCtuBIcSlMXx-dbY2aJGDiHm"##],
                redacted: Some(r##"authentication-key <redacted>; ## SECRET-DATA"##),
            },
            Line {
                original: r##"                    md5 1 key "$9$4XoZjk.5F39tu0BIhcrvMLxdV"; ## SECRET-DATA"##,
                secrets: &[r##"$9$4XoZjk.5F39tu0BIhcrvMLxdV"##],
                redacted: Some(r##"md5 1 key <redacted>; ## SECRET-DATA"##),
            },
            Line {
                original: r##"                    simple-password "$9$fTz6Ctu0O1hyK8L7-dsYg4Jik"; ## SECRET-DATA"##,
                secrets: &[r##"$9$fTz6Ctu0O1hyK8L7-dsYg4Jik"##],
                redacted: Some(r##"simple-password <redacted>; ## SECRET-DATA"##),
            },
            Line {
                original: r##"            authentication-key "$9$GyDi.f5F3/AuO1EhrlKMWX7V"; ## SECRET-DATA"##,
                secrets: &[r##"$9$GyDi.f5F3/AuO1EhrlKMWX7V"##],
                redacted: Some(r##"authentication-key <redacted>; ## SECRET-DATA"##),
            },
            Line {
                original: r##"            chap-secret "$9$Ap0BRSyKvLxdVYgoGDjHqf5"; ## SECRET-DATA"##,
                secrets: &[r##"$9$Ap0BRSyKvLxdVYgoGDjHqf5"##],
                redacted: Some(r##"chap-secret <redacted>; ## SECRET-DATA"##),
            },
        ],
    ),
    (
        "juniper-junos",
        "configuration",
        "juniper-junos_startup-config-set_secrets.txt",
        &[
            Line {
                original: r##"set system root-authentication encrypted-password "$6$q9Wx$Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op7Qr9St1Uv3Wx5Yz7Ab9Cd1Ef3Gh5Ij7Kl9Mn1Op3Qr5St7Uv9Wx1Yz3Ab5Cd7Ef9G""##,
                secrets: &[
                    r##"$6$q9Wx$Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op7Qr9St1Uv3Wx5Yz7Ab9Cd1Ef3Gh5Ij7Kl9Mn1Op3Qr5St7Uv9Wx1Yz3Ab5Cd7Ef9G"##,
                ],
                redacted: Some(r##"set system root-authentication encrypted-password <redacted>"##),
            },
            Line {
                original: r##"set protocols bgp group EBGP authentication-key "$9$Ht0BIhrKMX-VwYgJDjHqf5FnC""##,
                secrets: &[r##"$9$Ht0BIhrKMX-VwYgJDjHqf5FnC"##],
                redacted: Some(r##"set protocols bgp group EBGP authentication-key <redacted>"##),
            },
            Line {
                original: r##"set security ike policy P2 pre-shared-key ascii-text "$9$Dbi.mf5F39Cu0xNbs4oJZUDkqP""##,
                secrets: &[r##"$9$Dbi.mf5F39Cu0xNbs4oJZUDkqP"##],
                redacted: Some(
                    r##"set security ike policy P2 pre-shared-key ascii-text <redacted>"##,
                ),
            },
            Line {
                original: r##"set snmp community JunSetCmty authorization read-only"##,
                secrets: &[r##"JunSetCmty"##],
                redacted: Some(r##"set snmp community <redacted> authorization read-only"##),
            },
            Line {
                original: r##"set access profile PPP-CLIENTS client branch8 chap-secret "$9$LxdVYgoGDjHqf5Ap0BRSyKv""##,
                secrets: &[r##"$9$LxdVYgoGDjHqf5Ap0BRSyKv"##],
                redacted: Some(
                    r##"set access profile PPP-CLIENTS client branch8 chap-secret <redacted>"##,
                ),
            },
        ],
    ),
    (
        "fortinet-fortios",
        "configuration",
        "fortinet-fortios_startup-config_secrets.txt",
        &[
            Line {
                original: r##"#private-encryption-key=Zm9ydGlnYXRlcHJpdmF0ZWtleTEyMzQ="##,
                secrets: &[r##"Zm9ydGlnYXRlcHJpdmF0ZWtleTEyMzQ="##],
                redacted: Some(r##"#private-encryption-key=<redacted>"##),
            },
            Line {
                original: r##"        set password ENC SH2nlSm9gk3dPgEUP9yMvxMbbu5kcMx3nOCUvLE2YrMKqFhX2qH4W9xQ3uH5gY="##,
                secrets: &[r##"SH2nlSm9gk3dPgEUP9yMvxMbbu5kcMx3nOCUvLE2YrMKqFhX2qH4W9xQ3uH5gY="##],
                redacted: Some(r##"set password ENC <redacted>"##),
            },
            Line {
                original: r##"    set password ENC QmFzZTY0SGFQYXNzd29yZEV4YW1wbGVWYWx1ZTAx"##,
                secrets: &[r##"QmFzZTY0SGFQYXNzd29yZEV4YW1wbGVWYWx1ZTAx"##],
                redacted: Some(r##"set password ENC <redacted>"##),
            },
            Line {
                original: r##"        set name "FgtR0Cmty""##,
                secrets: &[r##"FgtR0Cmty"##],
                redacted: Some(r##"set name "<redacted>""##),
            },
            Line {
                original: r##"        set name "FgtTrapCmty""##,
                secrets: &[r##"FgtTrapCmty"##],
                redacted: Some(r##"set name "<redacted>""##),
            },
            Line {
                original: r##"        set auth-pwd ENC dGhpc0lzQW5BdXRoUHdkRm9yU25tcFYzVXNlcg=="##,
                secrets: &[r##"dGhpc0lzQW5BdXRoUHdkRm9yU25tcFYzVXNlcg=="##],
                redacted: Some(r##"set auth-pwd ENC <redacted>"##),
            },
            Line {
                original: r##"        set priv-pwd ENC dGhpc0lzQVByaXZQd2RGb3JTbm1wVjNVc2Vy"##,
                secrets: &[r##"dGhpc0lzQVByaXZQd2RGb3JTbm1wVjNVc2Vy"##],
                redacted: Some(r##"set priv-pwd ENC <redacted>"##),
            },
            Line {
                original: r##"        set secret ENC cmFkaXVzU2VjcmV0RXhhbXBsZVZhbHVlMDAx"##,
                secrets: &[r##"cmFkaXVzU2VjcmV0RXhhbXBsZVZhbHVlMDAx"##],
                redacted: Some(r##"set secret ENC <redacted>"##),
            },
            Line {
                original: r##"        set key ENC dGFjYWNzS2V5RXhhbXBsZVZhbHVlMDAy"##,
                secrets: &[r##"dGFjYWNzS2V5RXhhbXBsZVZhbHVlMDAy"##],
                redacted: Some(r##"set key ENC <redacted>"##),
            },
            Line {
                original: r##"        set psksecret ENC cHNrU2VjcmV0RXhhbXBsZVZhbHVlVG9IUTAwMw=="##,
                secrets: &[r##"cHNrU2VjcmV0RXhhbXBsZVZhbHVlVG9IUTAwMw=="##],
                redacted: Some(r##"set psksecret ENC <redacted>"##),
            },
            Line {
                original: r##"                    set key-string ENC b3NwZk1kNUtleUV4YW1wbGUwMDQ="##,
                secrets: &[r##"b3NwZk1kNUtleUV4YW1wbGUwMDQ="##],
                redacted: Some(r##"set key-string ENC <redacted>"##),
            },
            Line {
                original: r##"            set password ENC YmdwUGFzc3dvcmRFeGFtcGxlMDA1"##,
                secrets: &[r##"YmdwUGFzc3dvcmRFeGFtcGxlMDA1"##],
                redacted: Some(r##"set password ENC <redacted>"##),
            },
            Line {
                original: r##"        set password ENC Y2VydFBhc3N3b3JkRXhhbXBsZTAwNg=="##,
                secrets: &[r##"Y2VydFBhc3N3b3JkRXhhbXBsZTAwNg=="##],
                redacted: Some(r##"set password ENC <redacted>"##),
            },
            Line {
                original: r##"        set private-key "-----BEGIN ENCRYPTED PRIVATE KEY-----"##,
                secrets: &[],
                redacted: Some(r##"set private-key "<redacted>""##),
            },
            Line {
                original: r##"MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIq3x5Jm2Lk8ACAggA"##,
                secrets: &[r##"MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIq3x5Jm2Lk8ACAggA"##],
                redacted: None,
            },
            Line {
                original: r##"MAwGCCqGSIb3DQIJBQAwFAYIKoZIhvcNAwcECGx2Zq8pLr5NBIIEyDk7uQ4nXa1W"##,
                secrets: &[r##"MAwGCCqGSIb3DQIJBQAwFAYIKoZIhvcNAwcECGx2Zq8pLr5NBIIEyDk7uQ4nXa1W"##],
                redacted: None,
            },
            Line {
                original: r##"-----END ENCRYPTED PRIVATE KEY-----""##,
                secrets: &[],
                redacted: None,
            },
        ],
    ),
    (
        "paloalto-panos",
        "configuration",
        "paloalto-panos_startup-config_secrets.txt",
        &[
            Line {
                original: r##"        <phash>$5$mxqzrtlk$Hb7Yq2Lw9Xn4Ep6Rt8Vu0Ci2Oa4Sd6Fg8Hj0Kl2Zx4</phash>"##,
                secrets: &[r##"$5$mxqzrtlk$Hb7Yq2Lw9Xn4Ep6Rt8Vu0Ci2Oa4Sd6Fg8Hj0Kl2Zx4"##],
                redacted: Some(r##"<phash><redacted></phash>"##),
            },
            Line {
                original: r##"              <secret>-AQ==cmFkaXVzU2VjcmV0UGFub3MwMDE=aZ3k9Lm2Qw8Xn4Ep6Rt8Vu0C</secret>"##,
                secrets: &[r##"-AQ==cmFkaXVzU2VjcmV0UGFub3MwMDE=aZ3k9Lm2Qw8Xn4Ep6Rt8Vu0C"##],
                redacted: Some(r##"<secret><redacted></secret>"##),
            },
            Line {
                original: r##"          <bind-password>-AQ==bGRhcEJpbmRQYW5vczAwMg==Qw8Xn4Ep6Rt8Vu0Ci2Oa</bind-password>"##,
                secrets: &[r##"-AQ==bGRhcEJpbmRQYW5vczAwMg==Qw8Xn4Ep6Rt8Vu0Ci2Oa"##],
                redacted: Some(r##"<bind-password><redacted></bind-password>"##),
            },
            Line {
                original: r##"        <private-key>-----BEGIN RSA PRIVATE KEY-----"##,
                secrets: &[],
                redacted: Some(r##"<private-key><redacted></private-key>"##),
            },
            Line {
                original: r##"MIIEowIBAAKCAQEAv8Lk2Qw8Xn4Ep6Rt8Vu0Ci2Oa4Sd6Fg8Hj0Kl2Zx4Cv6Bn8M"##,
                secrets: &[r##"MIIEowIBAAKCAQEAv8Lk2Qw8Xn4Ep6Rt8Vu0Ci2Oa4Sd6Fg8Hj0Kl2Zx4Cv6Bn8M"##],
                redacted: None,
            },
            Line {
                original: r##"q1We3Rt5Yu7Io9Pa1Sd3Fg5Hj7Kl9Zx1Cv3Bn5Mq7We9Rt1Yu3Io5Pa7Sd9Fg1Hj"##,
                secrets: &[r##"q1We3Rt5Yu7Io9Pa1Sd3Fg5Hj7Kl9Zx1Cv3Bn5Mq7We9Rt1Yu3Io5Pa7Sd9Fg1Hj"##],
                redacted: None,
            },
            Line {
                original: r##"-----END RSA PRIVATE KEY-----"##,
                secrets: &[],
                redacted: None,
            },
            Line {
                original: r##"</private-key>"##,
                secrets: &[],
                redacted: None,
            },
            Line {
                original: r##"                  <key>-AQ==aWtlUHNrUGFub3MwMDM=Ep6Rt8Vu0Ci2Oa4Sd6Fg8Hj0</key>"##,
                secrets: &[r##"-AQ==aWtlUHNrUGFub3MwMDM=Ep6Rt8Vu0Ci2Oa4Sd6Fg8Hj0"##],
                redacted: Some(r##"<key><redacted></key>"##),
            },
            Line {
                original: r##"                  <snmp-community-string>PanR0Cmty</snmp-community-string>"##,
                secrets: &[r##"PanR0Cmty"##],
                redacted: Some(r##"<snmp-community-string><redacted></snmp-community-string>"##),
            },
        ],
    ),
    (
        "paloalto-panos",
        "configuration",
        "paloalto-panos_startup-config-set_secrets.txt",
        &[
            Line {
                original: r##"set mgt-config users admin phash $5$qwertyui$Zx4Cv6Bn8Mq1We3Rt5Yu7Io9Pa1Sd3Fg5Hj7Kl9"##,
                secrets: &[r##"$5$qwertyui$Zx4Cv6Bn8Mq1We3Rt5Yu7Io9Pa1Sd3Fg5Hj7Kl9"##],
                redacted: Some(r##"set mgt-config users admin phash <redacted>"##),
            },
            Line {
                original: r##"set network ike gateway GW-HQ authentication pre-shared-key key -AQ==aWtlU2V0UHNrMDA0=Xn4Ep6Rt8Vu0Ci2Oa4Sd6F"##,
                secrets: &[r##"-AQ==aWtlU2V0UHNrMDA0=Xn4Ep6Rt8Vu0Ci2Oa4Sd6F"##],
                redacted: Some(
                    r##"set network ike gateway GW-HQ authentication pre-shared-key key <redacted>"##,
                ),
            },
            Line {
                original: r##"set shared server-profile radius NPS server nps1 secret -AQ==cmFkU2V0MDA1=Rt8Vu0Ci2Oa4Sd6Fg8Hj0Kl2"##,
                secrets: &[r##"-AQ==cmFkU2V0MDA1=Rt8Vu0Ci2Oa4Sd6Fg8Hj0Kl2"##],
                redacted: Some(
                    r##"set shared server-profile radius NPS server nps1 secret <redacted>"##,
                ),
            },
            Line {
                original: r##"set shared server-profile ldap AD bind-password -AQ==bGRhcFNldDAwNg==Vu0Ci2Oa4Sd6Fg8Hj0Kl2Zx4"##,
                secrets: &[r##"-AQ==bGRhcFNldDAwNg==Vu0Ci2Oa4Sd6Fg8Hj0Kl2Zx4"##],
                redacted: Some(r##"set shared server-profile ldap AD bind-password <redacted>"##),
            },
            Line {
                original: r##"set deviceconfig system snmp-setting access-setting version v2c snmp-community-string PanSetCmty"##,
                secrets: &[r##"PanSetCmty"##],
                redacted: Some(
                    r##"set deviceconfig system snmp-setting access-setting version v2c snmp-community-string <redacted>"##,
                ),
            },
            Line {
                original: r##"set deviceconfig system snmp-setting access-setting version v3 users nms authpwd -AQ==YXV0aFNldDAwNw==Ci2Oa4Sd6Fg8 privpwd -AQ==cHJpdlNldDAwOA==Oa4Sd6Fg8Hj0"##,
                secrets: &[
                    r##"-AQ==YXV0aFNldDAwNw==Ci2Oa4Sd6Fg8"##,
                    r##"-AQ==cHJpdlNldDAwOA==Oa4Sd6Fg8Hj0"##,
                ],
                redacted: Some(
                    r##"set deviceconfig system snmp-setting access-setting version v3 users nms authpwd <redacted> privpwd <redacted>"##,
                ),
            },
        ],
    ),
    (
        "linux",
        "startup-config",
        "linux_startup-config_secrets.txt",
        &[
            Line {
                original: r##"            "passkey": "T4cGlobalKey""##,
                secrets: &[r##"T4cGlobalKey"##],
                redacted: Some(r##""passkey": "<redacted>""##),
            },
            Line {
                original: r##"            "passkey": "T4cServerKey""##,
                secrets: &[r##"T4cServerKey"##],
                redacted: Some(r##""passkey": "<redacted>""##),
            },
            Line {
                original: r##"            "passkey": "R4dServerKey","##,
                secrets: &[r##"R4dServerKey"##],
                redacted: Some(r##""passkey": "<redacted>","##),
            },
            Line {
                original: r##"        "S0nicR0Cmty": {"##,
                secrets: &[r##"S0nicR0Cmty"##],
                redacted: Some(r##""<redacted>": {"##),
            },
            Line {
                original: r##"        "S0nicRwCmty": {"##,
                secrets: &[r##"S0nicRwCmty"##],
                redacted: Some(r##""<redacted>": {"##),
            },
            Line {
                original: r##"            "SNMP_USER_AUTH_PASSWORD": "S0nicAuthPw1","##,
                secrets: &[r##"S0nicAuthPw1"##],
                redacted: Some(r##""SNMP_USER_AUTH_PASSWORD": "<redacted>","##),
            },
            Line {
                original: r##"            "SNMP_USER_ENCRYPTION_PASSWORD": "S0nicPrivPw2","##,
                secrets: &[r##"S0nicPrivPw2"##],
                redacted: Some(r##""SNMP_USER_ENCRYPTION_PASSWORD": "<redacted>","##),
            },
            Line {
                original: r##"            "password": "BgpS0nicPw""##,
                secrets: &[r##"BgpS0nicPw"##],
                redacted: Some(r##""password": "<redacted>""##),
            },
        ],
    ),
    (
        "vyos",
        "config-boot",
        "vyos_config-boot_secrets.txt",
        &[
            Line {
                original: r##"            preshared-key c2hhcmVkUHNrV2lyZWd1YXJkVnlvczAwMDAwMDAwMD0="##,
                secrets: &[r##"c2hhcmVkUHNrV2lyZWd1YXJkVnlvczAwMDAwMDAwMD0="##],
                redacted: Some(r##"preshared-key <redacted>"##),
            },
            Line {
                original: r##"        private-key V2dQcml2YXRlS2V5VnlvczAwMDAwMDAwMDAwMDAwMDA="##,
                secrets: &[r##"V2dQcml2YXRlS2V5VnlvczAwMDAwMDAwMDAwMDAwMDA="##],
                redacted: Some(r##"private-key <redacted>"##),
            },
            Line {
                original: r##"            password BgpN3ighb0rPw"##,
                secrets: &[r##"BgpN3ighb0rPw"##],
                redacted: Some(r##"password <redacted>"##),
            },
            Line {
                original: r##"                        md5-key OspfMd5Vy0s"##,
                secrets: &[r##"OspfMd5Vy0s"##],
                redacted: Some(r##"md5-key <redacted>"##),
            },
            Line {
                original: r##"        community VyR0Cmty {"##,
                secrets: &[r##"VyR0Cmty"##],
                redacted: Some(r##"community <redacted> {"##),
            },
            Line {
                original: r##"                    encrypted-password 0x3b4c5d6e7f8091a2b3c4d5e6f7081920"##,
                secrets: &[r##"0x3b4c5d6e7f8091a2b3c4d5e6f7081920"##],
                redacted: Some(r##"encrypted-password <redacted>"##),
            },
            Line {
                original: r##"            location sftp://backup:Arch1vePw@192.0.2.50/vyos/"##,
                secrets: &[r##"Arch1vePw"##],
                redacted: Some(r##"location sftp://backup:<redacted>@192.0.2.50/vyos/"##),
            },
            Line {
                original: r##"                key "Rad1us Secret""##,
                secrets: &[r##"Rad1us Secret"##],
                redacted: Some(r##"key <redacted>"##),
            },
            Line {
                original: r##"                encrypted-password $6$aB3dE5fG$Kq1Rt5Yu7Io9Pa1Sd3Fg5Hj7Kl9Zx1Cv3Bn5Mq7We9Rt1Yu3Io5Pa7Sd9Fg1Hj3Kl5Zx7Cv9Bn1Mq3We5"##,
                secrets: &[
                    r##"$6$aB3dE5fG$Kq1Rt5Yu7Io9Pa1Sd3Fg5Hj7Kl9Zx1Cv3Bn5Mq7We9Rt1Yu3Io5Pa7Sd9Fg1Hj3Kl5Zx7Cv9Bn1Mq3We5"##,
                ],
                redacted: Some(r##"encrypted-password <redacted>"##),
            },
            Line {
                original: r##"                plaintext-password """##,
                secrets: &[],
                redacted: Some(r##"plaintext-password <redacted>"##),
            },
            Line {
                original: r##"                    pre-shared-secret Ips3cPskVy0s"##,
                secrets: &[r##"Ips3cPskVy0s"##],
                redacted: Some(r##"pre-shared-secret <redacted>"##),
            },
        ],
    ),
    (
        "huawei-vrp",
        "saved-configuration",
        "huawei-vrp_saved-configuration_secrets.txt",
        &[
            Line {
                original: r##" hwtacacs-server shared-key cipher %^%#Tq0G@a]Kz1(Lr+6Wv~e<P9sB"x%^%#"##,
                secrets: &[r##"%^%#Tq0G@a]Kz1(Lr+6Wv~e<P9sB"x%^%#"##],
                redacted: Some(r##"hwtacacs-server shared-key cipher <redacted>"##),
            },
            Line {
                original: r##" radius-server shared-key cipher %^%#h3Z'9mN2d!Qw<JkLp0r$X7yT5b%^%#"##,
                secrets: &[r##"%^%#h3Z'9mN2d!Qw<JkLp0r$X7yT5b%^%#"##],
                redacted: Some(r##"radius-server shared-key cipher <redacted>"##),
            },
            Line {
                original: r##" local-user admin password irreversible-cipher $1c$X.lB8f?p%G$Zt5Q0vM3nK7wL2yR9aE4sD6uB1cF8hJ0gT$"##,
                secrets: &[r##"$1c$X.lB8f?p%G$Zt5Q0vM3nK7wL2yR9aE4sD6uB1cF8hJ0gT$"##],
                redacted: Some(r##"local-user admin password irreversible-cipher <redacted>"##),
            },
            Line {
                original: r##" local-user ops password cipher %$%$Kd9s;E]w4#Xb2Q@m7LpZ"r1V%$%$"##,
                secrets: &[r##"%$%$Kd9s;E]w4#Xb2Q@m7LpZ"r1V%$%$"##],
                redacted: Some(r##"local-user ops password cipher <redacted>"##),
            },
            Line {
                original: r##" local-user guest password simple Gu3stPlain!"##,
                secrets: &[r##"Gu3stPlain!"##],
                redacted: Some(r##"local-user guest password simple <redacted>"##),
            },
            Line {
                original: r##"snmp-agent community read cipher %^%#Rq8!vT3n@Kd5^Lw0zP%^%# acl 2000"##,
                secrets: &[r##"%^%#Rq8!vT3n@Kd5^Lw0zP%^%#"##],
                redacted: Some(r##"snmp-agent community read cipher <redacted> acl 2000"##),
            },
            Line {
                original: r##"snmp-agent community write Pr1vComm"##,
                secrets: &[r##"Pr1vComm"##],
                redacted: Some(r##"snmp-agent community write <redacted>"##),
            },
            Line {
                original: r##"snmp-agent usm-user v3 nms authentication-mode sha cipher %^%#Au7h9Key!2%^%# privacy-mode aes128 cipher %^%#Pr1v4Key#9%^%#"##,
                secrets: &[r##"%^%#Au7h9Key!2%^%#"##, r##"%^%#Pr1v4Key#9%^%#"##],
                redacted: Some(
                    r##"snmp-agent usm-user v3 nms authentication-mode sha cipher <redacted> privacy-mode aes128 cipher <redacted>"##,
                ),
            },
            Line {
                original: r##"ntp-service authentication-keyid 1 authentication-mode hmac-sha256 cipher %^%#NtP5ecr3t0%^%#"##,
                secrets: &[r##"%^%#NtP5ecr3t0%^%#"##],
                redacted: Some(
                    r##"ntp-service authentication-keyid 1 authentication-mode hmac-sha256 cipher <redacted>"##,
                ),
            },
            Line {
                original: r##" ospf authentication-mode hmac-sha256 1 cipher %^%#0spfK3y7x%^%#"##,
                secrets: &[r##"%^%#0spfK3y7x%^%#"##],
                redacted: Some(r##"ospf authentication-mode hmac-sha256 1 cipher <redacted>"##),
            },
            Line {
                original: r##" isis authentication-mode md5 cipher %^%#1s1sK3y9q%^%#"##,
                secrets: &[r##"%^%#1s1sK3y9q%^%#"##],
                redacted: Some(r##"isis authentication-mode md5 cipher <redacted>"##),
            },
            Line {
                original: r##"  authentication-mode simple plain AreaPla1n"##,
                secrets: &[r##"AreaPla1n"##],
                redacted: Some(r##"authentication-mode simple plain <redacted>"##),
            },
            Line {
                original: r##" peer 10.1.1.2 password cipher %^%#BgpP33r1%^%#"##,
                secrets: &[r##"%^%#BgpP33r1%^%#"##],
                redacted: Some(r##"peer 10.1.1.2 password cipher <redacted>"##),
            },
            Line {
                original: r##" peer 10.1.1.3 password simple BgpPla1nPw"##,
                secrets: &[r##"BgpPla1nPw"##],
                redacted: Some(r##"peer 10.1.1.3 password simple <redacted>"##),
            },
            Line {
                original: r##" pre-shared-key cipher %^%#Ik3PsK2024%^%#"##,
                secrets: &[r##"%^%#Ik3PsK2024%^%#"##],
                redacted: Some(r##"pre-shared-key cipher <redacted>"##),
            },
            Line {
                original: r##" set authentication password cipher %^%#Vty9Pass1%^%#"##,
                secrets: &[r##"%^%#Vty9Pass1%^%#"##],
                redacted: Some(r##"set authentication password cipher <redacted>"##),
            },
            Line {
                original: r##"super password level 15 cipher %^%#Sup3rL15%^%#"##,
                secrets: &[r##"%^%#Sup3rL15%^%#"##],
                redacted: Some(r##"super password level 15 cipher <redacted>"##),
            },
            Line {
                original: r##"info-center loghost 10.0.0.50 url sftp://backup:Bk9Secret@10.0.0.60/logs"##,
                secrets: &[r##"Bk9Secret"##],
                redacted: Some(
                    r##"info-center loghost 10.0.0.50 url sftp://backup:<redacted>@10.0.0.60/logs"##,
                ),
            },
        ],
    ),
];
