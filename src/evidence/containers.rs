//! Hosted containers and apps (T1525 evidence): the images a device keeps (name, digest, source) and what
//! runs. Plain data, no I/O.

use serde::{Deserialize, Serialize};

/// A container or app image the device holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerImage {
    /// `repository:tag` (docker), or the app id (IOS-XE app-hosting).
    pub name: String,
    /// The content digest (`sha256:...`) where the platform gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The local image id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Where it came from: the registry, or the package path on flash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The app version, where the platform names one instead of a digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A container or app instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Container {
    pub name: String,
    /// The image it runs, as the platform names it.
    pub image: String,
    /// `running`, `exited`, `RUNNING`, `DEPLOYED`...
    pub state: String,
}

impl Container {
    /// Whether the platform reports it as running (`running`, `Up 3 days`).
    pub fn is_running(&self) -> bool {
        let s = self.state.to_ascii_lowercase();
        s.starts_with("running") || s.starts_with("up")
    }
}
