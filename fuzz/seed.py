#!/usr/bin/env python3
"""Regenerates the seed corpora under fuzz/corpus/<target>/ from the project's fixtures.

Sources: tests/fixtures/** (device outputs, catalogs, keys, signatures), vendor-profiles/*.toml,
config.example.toml, a few hand-written inputs for formats the fixtures lack (linux find records, hashed
known_hosts lines, CSV and BSD catalogs), and, with --lab, what the simulated lab's devices answer to every
probe: `netattest lab` runs every persona, each device is enrolled into a state directory signed with
fuzz/fuzz_targets/signing.pk8, and the run transcripts, baselines, ledger and log become seeds.

Every seed is written under the SHA-1 of its content, so running this twice adds nothing. Files over 64 KiB
are left out. Usage: python3 fuzz/seed.py [--lab]   (then `cargo fuzz cmin` keeps what adds coverage)
"""

import base64
import hashlib
import hmac
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "fuzz"
CORPUS = FUZZ / "corpus"
MAX = 64 * 1024

LISTING = ["linux-find", "cisco-dir", "eos-dir", "junos-file-list", "iosxr-dir"]
CONTAINERS = ["docker-images", "docker-ps", "iosxe-app-hosting", "nxos-virtual-service"]
SNAPSHOTS = ["junos-snapshot", "fortios-flash-list", "panos-software-info"]
# SignatureAlgorithm::ALL order; catalog_signature takes the algorithm from the first byte modulo 8,
# and bytes 0 and 1 are its key modes, so signatures use 8 + index.
ALGS = ["ed25519", "p256", "p384", "rsa-pkcs1-sha256", "rsa-pkcs1-sha512", "rsa-pss-sha256",
        "rsa-pss-sha512", "minisign"]
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMwymU6fQVLqOYZIvWR8cXUH7WRHLkf7uHO7e31f2KsY"
OTHER_KEY = ("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEeO/Jjv9qRCinHSVNs"
             "KnQHRSdSheGtTvygQ+f6Fo7mFoiQU0xSObDJKpDV5TJg/GNGnbKirX+t1L8b3VVESa4k=")


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX:
        return
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def profiles():
    """profile id -> [(probe name, parser or None)] from vendor-profiles/."""
    out = {}
    for f in sorted((ROOT / "vendor-profiles").glob("*.toml")):
        p = tomllib.loads(f.read_text())
        out[p["id"]] = [(q["name"], q.get("parser")) for q in p.get("probe", [])]
    return out


def parsed_output(parser, raw):
    for target, names in (("listing", LISTING), ("containers", CONTAINERS), ("snapshots", SNAPSHOTS)):
        if parser in names:
            put(target, bytes([names.index(parser)]) + raw)


def fixtures(profs):
    for f in sorted((ROOT / "vendor-profiles").glob("*.toml")):
        put("profile_toml", f.read_bytes())
    for f in sorted((ROOT / "tests/fixtures/profiles").glob("*.txt")):
        raw = f.read_bytes()
        put("sanitize", raw)
        pid = next((p for p in profs if f.name.startswith(p + "_")), None)
        for probe, parser in profs.get(pid, []):
            put("probe", f"{pid} {probe}\n".encode() + raw)
    cat = ROOT / "tests/fixtures/catalog"
    for f in sorted(cat.glob("*.sha512sum")) + sorted(cat.glob("legacy.sha512sum")):
        put("catalog_import", f.name.encode() + b"\n" + f.read_bytes())
    h = "ab" * 64
    put("catalog_import", f"EOS.swi.sha512\nSHA512 (EOS-4.30.1F.swi) = {h}\n# c\r\nMD5 (x.bin) = {'0f' * 16}\n")
    put("catalog_import", "bulk.csv\n\ufeffImage Name,Platform,Release,SHA512 Checksum,MD5\r\n"
        f"\"asr9k-x64-7.5.2.iso\",ASR9K,7.5.2,{h},{'0f' * 16}\r\n\"a \"\"b\"\"\nc.bin\",x,1,{h},\r\n")
    put("catalog_import", "own.toml\n[[entry]]\nvendor = \"cisco\"\nplatform = \"cisco-iosxe\"\n"
        f"version = \"17.9.4a\"\nfile = \"c8000v.bin\"\nsha512 = \"{h}\"\nsha256 = \"{'cd' * 32}\"\n")
    put("catalog_import", f"SHA256SUMS\n{'cd' * 32} *image.bin\n{'cd' * 32}  sub/dir name.bin\n")
    for f in sorted(cat.glob("*.pem")) + [cat / "minisign.pub"]:
        put("catalog_signature", b"\x00" + f.read_bytes())
    for f in [cat / "ed.key", cat / "rsa.key"]:
        put("catalog_signature", b"\x01" + f.read_bytes())
    for f in sorted(cat.glob("*.sig")) + sorted(cat.glob("*.minisig")):
        kind = {"ed": "ed25519", "p256": "p256", "rsapss": "rsa-pss-sha256"}.get(f.name.split(".")[-2], "minisign")
        put("catalog_signature", bytes([8 + ALGS.index(kind)]) + f.read_bytes())
        put("catalog_signature", bytes([0x80 + 8 + ALGS.index(kind)]) + (cat / "legacy.sha512sum").read_bytes()
            + f.read_bytes())
    put("catalog_signature", bytes([8 + ALGS.index("rsa-pss-sha512")]) + (cat / "legacy.sha512sum.rsapss.sig").read_bytes())
    text = (ROOT / "config.example.toml").read_bytes()
    put("config", text)
    put("config", b"[defaults]\nuser = \"ops\"\nmax_output = \"1GiB\"\ndevice_timeout = \"10m\"\n"
        b"[[device]]\nname = \"r1\"\nhost = \"10.0.0.1\"\nplatform = \"cisco-ios\"\n"
        b"auth = { agent = true }\n")


def linux_find():
    recs = [b"d 755 4096 1700000000.0000000000\0/etc\0\0", b"f 644 12 1700000001.5\0/etc/evil\nname\0\0",
            b"l 777 9 1700000002.0\0/tmp/.x\0/etc/shadow\0", b"f 4755 100 1700000003.0\0/tmp/\xff\xfe\0\0",
            b"f 644 65536 1699000000.0000000000\0/host/image-202311.1/fs.squashfs\0\0"]
    put("listing", b"\x00" + b"".join(recs))
    put("listing", b"\x00" + recs[0] + recs[2])


def known_hosts():
    salt = b"0123456789abcdefghij"
    for host, port in (("edge-rtr-7", 22), ("10.0.0.7", 2222)):
        name = host if port == 22 else f"[{host}]:{port}"
        mac = hmac.new(salt, name.encode(), "sha1").digest()
        hashed = f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(mac).decode()}"
        body = (f"# comment\n{name} {KEY}\n{hashed} {OTHER_KEY}\n"
                f"@revoked {name} {OTHER_KEY}\n*.example.com,!bad.example.com\t{KEY} c\n"
                f"@cert-authority * {KEY}\n[10.0.0.?]:2222,edge-* {OTHER_KEY}\n")
        data = f"{host}\n{body}"
        if len(data) % 2 != (0 if port == 22 else 1):
            data += "\n"
        put("known_hosts", data)


def sanitize():
    put("sanitize", b"\x1b[2J\x1b[1;31mred\x1b[0m text\x07\r\n\x1b]0;title\x07next\r\r\nlast\x00")
    put("sanitize", b"line one\r\n --More-- \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08line two")
    put("sanitize", "invoice\u202egpj.sh a\u200bb \u2066x\u2069 \ufeffbom \U000e0041tag\x1b]8;;x\x1b\\".encode())


def sealed(state):
    ledger = (state / "ledger.toml").read_bytes()
    log = (state / "ledger.log").read_bytes()
    base = sorted((state / "baselines/lab-01").glob("*.toml"))[0].read_bytes()
    put("sealed", b"\x00" + ledger)
    put("sealed", b"\x01" + ledger)
    put("sealed", b"\x02" + base)
    put("sealed", b"\x03" + log)
    put("sealed", b"\x04" + ledger.split(b"\n", 1)[1])
    put("sealed", b"\x05" + base.split(b"\n", 1)[1])
    put("sealed", b"\x06" + b"".join(l.rsplit(b" ", 1)[0] + b"\n" for l in log.splitlines()[:4]).rstrip(b"\n"))


def lab(profs):
    exe = ROOT / "target/debug/netattest"
    subprocess.run(["cargo", "build", "--quiet", "--bin", "netattest"], cwd=ROOT, check=True)
    tmp = Path(tempfile.mkdtemp(prefix="netattest-seed-"))
    proc = subprocess.Popen([exe, "lab", "--devices", "12", "--persona", "all", "--image-size", "64KiB",
                             "--dir", tmp], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for _ in range(200):
            if (tmp / "netattest.toml").exists() and (tmp / "inventory.toml").exists():
                break
            time.sleep(0.1)
        time.sleep(0.5)
        (tmp / "state/keys").mkdir(parents=True)
        key = tmp / "state/keys/signing.pk8"
        shutil.copy(FUZZ / "fuzz_targets/signing.pk8", key)
        key.chmod(0o600)
        (tmp / "state").chmod(0o700)
        (tmp / "state/keys").chmod(0o700)
        cfg = ["--config", tmp / "netattest.toml", "--quiet"]
        subprocess.run([exe, *cfg, "init"], check=True, stdout=subprocess.DEVNULL)
        inv = tomllib.loads((tmp / "inventory.toml").read_text())
        platform = {d["name"]: d["platform"] for d in inv["device"]}
        for name in platform:
            subprocess.run([exe, *cfg, "enroll", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=300)
        cfg_text = (tmp / "netattest.toml").read_text().replace('include = ["inventory.toml"]', "")
        put("config", cfg_text + "\n" + (tmp / "inventory.toml").read_text())
        parsers = {(p, q): parser for p, probes in profs.items() for q, parser in probes}
        for t in sorted((tmp / "state/runs").glob("*/transcripts/*.txt")):
            pid = platform.get(t.stem)
            blocks = re.split(rb"^### .* \(probe ([^,]+), exit [^)]*\)\n", t.read_bytes(), flags=re.M)
            for probe, out in zip(blocks[1::2], blocks[2::2]):
                probe = probe.decode()
                put("probe", f"{pid} {probe}\n".encode() + out)
                put("sanitize", out)
                if parsers.get((pid, probe)):
                    parsed_output(parsers[(pid, probe)], out)
        sealed(tmp / "state")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def inventory_sources():
    # The first byte picks the format, as fuzz_targets/inventory_sources.rs reads it.
    picks = {".csv": 0, ".ini": 1, ".yml": 2, ".json": 3, ".db": 4}
    for f in sorted((ROOT / "tests/fixtures/inventory").iterdir()):
        if f.suffix in picks:
            put("inventory_sources", bytes([picks[f.suffix]]) + f.read_bytes())


def main():
    profs = profiles()
    fixtures(profs)
    inventory_sources()
    linux_find()
    known_hosts()
    sanitize()
    if "--lab" in sys.argv[1:]:
        lab(profs)
    for d in sorted(CORPUS.iterdir()):
        print(f"{d.name}: {len(list(d.iterdir()))} seeds")


if __name__ == "__main__":
    main()
