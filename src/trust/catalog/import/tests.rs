use super::*;

const SHA512_A: &str = "dcab93e5cd7821767da23d68ed11332d937dd233cdd08918e715a99997f055f8834b056eb9f6154d240ffa57cd86d9248c86898b2319162297fd082710d6e63b";
const SHA256_A: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const MD5_A: &str = "900150983cd24fb0d6963f7d28e17f72";

fn ctx() -> ImportContext {
    ImportContext {
        vendor: Some("arista".into()),
        platform: Some("arista-eos".into()),
        version: Some("4.30.1F".into()),
        source: "SUMS".into(),
        imported_at: "2025-01-01T00:00:00Z".into(),
        products: Default::default(),
    }
}

/// (file, digests as "alg:hex", provenance line) of every entry, in catalog order.
fn summary(c: &Catalog) -> Vec<(String, Vec<String>, usize)> {
    c.entries()
        .map(|e| {
            (
                e.file().to_owned(),
                e.digests().iter().map(|d| d.to_string()).collect(),
                e.provenance()[0].line,
            )
        })
        .collect()
}

fn lines_of(err: &ImportError) -> Vec<usize> {
    err.problems.iter().map(|p| p.line).collect()
}

/// (case name, format, text, expected (file, digests, line) of each entry).
type WellFormed = (
    &'static str,
    Format,
    String,
    Vec<(&'static str, Vec<String>, usize)>,
);

#[test]
fn every_format_imports_its_well_formed_text() {
    let cases: Vec<WellFormed> = vec![
        (
            "sha512sum text mode",
            Format::Coreutils,
            format!("{SHA512_A}  EOS-4.30.1F.swi\n"),
            vec![("EOS-4.30.1F.swi", vec![format!("sha512:{SHA512_A}")], 1)],
        ),
        (
            "binary mode star, comments, blank lines, a sha256 and an md5",
            Format::Coreutils,
            format!("# SHA256SUMS\n\n{SHA256_A} *a.bin\n{MD5_A}  images/b.bin\n"),
            vec![
                ("a.bin", vec![format!("sha256:{SHA256_A}")], 3),
                ("b.bin", vec![format!("md5:{MD5_A}")], 4),
            ],
        ),
        (
            "windows line ends and a byte-order mark",
            Format::Coreutils,
            format!("\u{feff}{SHA256_A}  a.bin\r\n{MD5_A}  a.bin\r\n"),
            vec![(
                "a.bin",
                vec![format!("sha256:{SHA256_A}"), format!("md5:{MD5_A}")],
                1,
            )],
        ),
        (
            "an escaped backslash in the name, which is a path separator",
            Format::Coreutils,
            format!("\\{MD5_A}  dir\\\\x.bin\n"),
            vec![("x.bin", vec![format!("md5:{MD5_A}")], 1)],
        ),
        (
            "bsd tags",
            Format::Bsd,
            format!(
                "SHA512 (EOS.swi) = {SHA512_A}\r\nSHA256 (odd) = name.bin) = {SHA256_A}\nMD5 (EOS.swi) = {MD5_A}\n"
            ),
            vec![
                (
                    "EOS.swi",
                    vec![format!("sha512:{SHA512_A}"), format!("md5:{MD5_A}")],
                    1,
                ),
                ("odd) = name.bin", vec![format!("sha256:{SHA256_A}")], 2),
            ],
        ),
        (
            "cisco bulk hash csv with quoted commas and doubled quotes",
            Format::Csv,
            format!(
                "Image Name,Platform,Release,MD5,SHA512\r\n\"cat9k_iosxe.17.09.04a.SPA.bin\",\"Catalyst 9300, 9400\",17.9.4a,{MD5_A},{SHA512_A}\r\n\"say \"\"hi\"\".bin\",cisco-iosxe,17.9.4a,,{SHA512_A}\r\n"
            ),
            vec![
                (
                    "cat9k_iosxe.17.09.04a.SPA.bin",
                    vec![format!("sha512:{SHA512_A}"), format!("md5:{MD5_A}")],
                    2,
                ),
                ("say \"hi\".bin", vec![format!("sha512:{SHA512_A}")], 3),
            ],
        ),
        (
            "native toml",
            Format::Native,
            format!(
                "[[entry]]\nvendor = \"cisco\"\nplatform = \"cisco-iosxe\"\nversion = \"17.9.4\"\nfile = \"x.bin\"\nsha512 = \"{SHA512_A}\"\nmd5 = \"{MD5_A}\"\nsource = \"https://example.invalid/x\"\n"
            ),
            vec![(
                "x.bin",
                vec![format!("sha512:{SHA512_A}"), format!("md5:{MD5_A}")],
                1,
            )],
        ),
    ];
    for (name, format, text, want) in cases {
        let c = import(format, &text, &ctx()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want: Vec<(String, Vec<String>, usize)> = want
            .into_iter()
            .map(|(f, d, l)| (f.to_owned(), d, l))
            .collect();
        assert_eq!(summary(&c), want, "{name}");
    }
}

#[test]
fn malformed_lines_are_all_reported_with_their_line_numbers() {
    let cases: Vec<(&str, Format, String, Vec<usize>, &str)> = vec![
        (
            "coreutils: no name, a sha1, non-hex",
            Format::Coreutils,
            format!(
                "{SHA256_A}  ok.bin\n{SHA256_A}\n{}  sha1.bin\n{}  nothex.bin\n",
                "a".repeat(40),
                "z".repeat(64)
            ),
            vec![2, 3, 4],
            "SHA-1",
        ),
        (
            "bsd: a gnu line and a wrong-length hash",
            Format::Bsd,
            format!("SHA256 (a) = {SHA256_A}\n{SHA256_A}  b\nSHA512 (c) = {SHA256_A}\n"),
            vec![2, 3],
            "expected `SHA512 (NAME) = HASH`",
        ),
        (
            "csv: a short row, a bad digest, a row with no digest",
            Format::Csv,
            format!("File,SHA256\na.bin\nb.bin,xyz\nc.bin,\nd.bin,{SHA256_A}\n"),
            vec![2, 3, 4],
            "1 fields, the header has 2",
        ),
        (
            "csv: a header with no digest column",
            Format::Csv,
            "File,Size\na.bin,3\n".into(),
            vec![1],
            "no MD5, SHA256 or SHA512 column",
        ),
        (
            "csv: an unclosed quote",
            Format::Csv,
            format!("File,SHA256\n\"a.bin,{SHA256_A}\n"),
            vec![2],
            "never closed",
        ),
        (
            "native: an unknown key",
            Format::Native,
            "[[entry]]\nfile = \"a\"\nsha521 = \"00\"\n".into(),
            vec![3],
            "unknown field",
        ),
        (
            "native: a bad digest in the second entry",
            Format::Native,
            format!(
                "[[entry]]\nfile = \"a\"\nsha256 = \"{SHA256_A}\"\n\n[[entry]]\nfile = \"b\"\nsha256 = \"{MD5_A}\"\n"
            ),
            vec![5],
            "sha256",
        ),
        (
            "duplicates that disagree",
            Format::Coreutils,
            format!("{SHA256_A}  a.bin\n{}  bootflash:/a.bin\n", "0".repeat(64)),
            vec![2],
            "conflicts with sha256",
        ),
        (
            "an empty file",
            Format::Coreutils,
            "# nothing\n".into(),
            vec![0],
            "no entries",
        ),
    ];
    for (name, format, text, lines, needle) in cases {
        let err = import(format, &text, &ctx()).expect_err(name);
        assert_eq!(lines_of(&err), lines, "{name}: {err}");
        assert!(err.to_string().contains(needle), "{name}: {err}");
    }
}

#[test]
fn missing_platform_is_a_problem_on_each_line_that_needs_it() {
    let ctx = ImportContext {
        platform: None,
        ..ctx()
    };
    let err = import(
        Format::Coreutils,
        &format!("{SHA256_A}  a\n{SHA256_A}  b\n"),
        &ctx,
    )
    .unwrap_err();
    assert_eq!(lines_of(&err), vec![1, 2]);
    assert!(err.to_string().contains("pass --platform"), "{err}");
    let csv = format!("File,Platform,SHA256\na,cisco-iosxe,{SHA256_A}\n");
    let c = import(Format::Csv, &csv, &ctx).unwrap();
    assert_eq!(c.entries().next().unwrap().platform(), "cisco-iosxe");
}

#[test]
fn duplicate_lines_merge_their_digests_and_keep_both_provenances() {
    let text = format!("{SHA512_A}  a.bin\n{MD5_A}  a.bin\n{SHA512_A}  flash:a.bin\n");
    let c = import(Format::Coreutils, &text, &ctx()).unwrap();
    assert_eq!(c.len(), 1);
    let e = c.entries().next().unwrap();
    assert_eq!(e.digests().len(), 2);
    let lines: Vec<usize> = e.provenance().iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![1, 2, 3]);
}

#[test]
fn the_format_is_detected_from_the_name_and_first_line() {
    assert_eq!(detect_format("x.csv", ""), Format::Csv);
    assert_eq!(detect_format("cat.TOML", ""), Format::Native);
    assert_eq!(
        detect_format("CHECKSUM", &format!("# c\nSHA256 (a) = {SHA256_A}\n")),
        Format::Bsd
    );
    assert_eq!(
        detect_format("EOS-4.30.1F.swi.sha512sum", &format!("{SHA512_A}  EOS\n")),
        Format::Coreutils
    );
}

#[test]
fn native_output_reads_back_as_the_same_catalog() {
    let text =
        format!("{SHA512_A}  a \"quoted\".bin\n{MD5_A}  a \"quoted\".bin\n{SHA256_A}  b.bin\n");
    let c = import(Format::Coreutils, &text, &ctx()).unwrap();
    let native = to_native(&c);
    let back = import(Format::Native, &native, &ImportContext::default()).unwrap();
    let firsts = |c: &Catalog| -> Vec<(EntryKeyView, Provenance)> {
        c.entries()
            .map(|e| {
                (
                    (e.file().to_owned(), e.digests().to_vec()),
                    e.provenance()[0].clone(),
                )
            })
            .collect()
    };
    assert_eq!(firsts(&back), firsts(&c), "{native}");
}

type EntryKeyView = (String, Vec<Digest>);

#[test]
fn a_platform_flag_wins_over_the_files_product_column() {
    let text = format!(
        "Image Name,Platform,Release,SHA512\r\nc8000v-universalk9.17.09.04a.SPA.bin,Catalyst 8000V Edge Software,17.9.4a,{SHA512_A}\r\n"
    );
    let mut c = ctx();
    c.platform = Some("cisco-iosxe".into());
    let cat = import(Format::Csv, &text, &c).unwrap();
    let json = super::to_native(&cat);
    assert!(
        json.contains("cisco-iosxe") && !json.contains("Catalyst 8000V"),
        "{json}"
    );
}
