//! Signature checks (T1601.001): the image's signature status against the platform's production policy.
//! Pure, no I/O.

use crate::evidence::Evidence;
use crate::profile::SignaturePolicy;
use crate::report::finding::{Code, Finding};

/// The image's signature status against the platform's policy: a development or special key, or a
/// signer other than the vendor's, is `signature-not-production`.
pub fn check(ev: &Evidence, policy: &SignaturePolicy) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(sig) = &ev.signature else { return out };
    let dev = ev.device.as_str();
    if let Some(t) = &sig.image_type
        && !policy.production_types.is_empty()
        && !policy
            .production_types
            .iter()
            .any(|p| p.eq_ignore_ascii_case(t))
    {
        out.push(
            Finding::new(Code::SignatureNotProduction, dev, "image signature type")
                .expected(policy.production_types.join(" or "))
                .actual(t.clone())
                .evidence(format!(
                    "signer: {}",
                    sig.signer.as_deref().unwrap_or("unknown")
                )),
        );
    }
    if let Some(s) = &sig.signer
        && !policy.signers.is_empty()
        && !policy.signers.iter().any(|p| p == s)
    {
        out.push(
            Finding::new(Code::SignatureNotProduction, dev, "image signer")
                .expected(policy.signers.join(" or "))
                .actual(s.clone())
                .evidence(format!(
                    "certificate serial: {}",
                    sig.cert_serial.as_deref().unwrap_or("unknown")
                )),
        );
    }
    if let (Some(running), Some(file)) = (&sig.cert_serial, &sig.file_cert_serial)
        && !running.eq_ignore_ascii_case(file)
    {
        out.push(
            Finding::new(
                Code::SignatureNotProduction,
                dev,
                "signing certificate of the image file",
            )
            .expected(format!("{running} (the running image's)"))
            .actual(file.clone())
            .evidence(
                "the image file on flash is signed by another certificate than the image in memory",
            ),
        );
    }
    out
}
