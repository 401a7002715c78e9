//! Progress bars on stderr, only when stderr is a terminal and not `--quiet`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use netattest::collect::{Event, Events};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Draws bars from worker events until the sender side is dropped.
pub struct Progress {
    tx: Option<mpsc::UnboundedSender<Event>>,
    task: Option<JoinHandle<()>>,
}

impl Progress {
    /// `total`: number of devices, for the overall bar.
    pub fn start(total: usize, quiet: bool) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress {
                tx: None,
                task: None,
            };
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(draw(rx, total));
        Progress {
            tx: Some(tx),
            task: Some(task),
        }
    }

    pub fn events(&self) -> Events {
        self.tx.clone()
    }

    /// Stops drawing and clears the bars.
    pub async fn finish(mut self) {
        self.tx.take();
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

async fn draw(mut rx: mpsc::UnboundedReceiver<Event>, total: usize) {
    let mp = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10));
    let overall = (total > 1).then(|| {
        let bar = mp.add(ProgressBar::new(total as u64));
        if let Ok(style) =
            ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} devices {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix("audit");
        bar
    });
    let spinner = ProgressStyle::with_template("{prefix:>12} {spinner} {msg}").ok();
    let bytes = ProgressStyle::with_template(
        "{prefix:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
    )
    .ok();
    let mut bars: HashMap<String, ProgressBar> = HashMap::new();
    while let Some(event) = rx.recv().await {
        match event {
            Event::Started { device } => {
                let bar = mp.add(ProgressBar::new_spinner());
                if let Some(s) = &spinner {
                    bar.set_style(s.clone());
                }
                bar.set_prefix(device.clone());
                bar.set_message("connecting and logging in");
                bar.enable_steady_tick(Duration::from_millis(120));
                bars.insert(device, bar);
            }
            Event::Phase { device, phase } => {
                if let Some(bar) = bars.get(&device) {
                    bar.set_message(phase);
                }
            }
            Event::Pull { device, progress } => {
                if let Some(bar) = bars.get(&device) {
                    if let (Some(total), Some(style)) = (progress.total, &bytes)
                        && bar.length() != Some(total)
                    {
                        bar.disable_steady_tick();
                        bar.set_style(style.clone());
                        bar.set_length(total);
                    }
                    bar.set_position(progress.bytes);
                }
            }
            Event::Finished { device } => {
                if let Some(bar) = bars.remove(&device) {
                    bar.finish_and_clear();
                    mp.remove(&bar);
                }
                if let Some(o) = &overall {
                    o.inc(1);
                }
            }
        }
    }
    for bar in bars.values() {
        bar.finish_and_clear();
    }
    if let Some(o) = overall {
        o.finish_and_clear();
    }
    let _ = mp.clear();
}
