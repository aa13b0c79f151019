//! Starting and stopping the fleet's processes, always by pid.
//!
//! Library fleets own their children: each gets `PR_SET_PDEATHSIG` so it dies
//! with the test process even when that is killed. The signal fires when the
//! *thread* that forked the child exits, so children are forked by one spawner
//! thread that lives as long as the process (test threads come and go).
//! CLI fleets detach their children into a new session instead.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Sender, channel};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// How long a process gets between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(5);

/// Whether processes die with the process that started them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// Killed when this process exits (library fleets in tests).
    Owned,
    /// Left running in their own session (the `fleet up` CLI).
    Detached,
}

/// A process the fleet started.
#[derive(Debug)]
pub struct Proc {
    /// Its pid.
    pub pid: u32,
    /// The handle, for owned processes: while unreaped, the pid cannot be reused.
    child: Option<Child>,
}

impl Proc {
    /// A detached process known only by its pid (from the state file).
    pub fn from_pid(pid: u32) -> Self {
        Self { pid, child: None }
    }

    /// Whether the process is still running (a zombie counts as exited).
    pub fn running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => pid_running(self.pid),
        }
    }
}

/// Starts `cmd` with stdout and stderr appended to `log`.
pub fn spawn(mut cmd: Command, log: &Path, lifetime: Lifetime) -> Result<Proc> {
    let out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out);
    let program = cmd.get_program().to_string_lossy().into_owned();
    let child = match lifetime {
        Lifetime::Owned => {
            let parent = std::process::id() as libc::pid_t;
            // SAFETY: the closure only makes async-signal-safe syscalls.
            unsafe {
                cmd.pre_exec(move || {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                        return Err(io::Error::last_os_error());
                    }
                    // The parent may have died before prctl took effect.
                    if libc::getppid() != parent {
                        return Err(io::Error::from_raw_os_error(libc::ESRCH));
                    }
                    Ok(())
                });
            }
            spawn_from_long_lived_thread(cmd)
        }
        Lifetime::Detached => {
            // SAFETY: setsid is async-signal-safe.
            unsafe {
                cmd.pre_exec(|| {
                    if libc::setsid() == -1 {
                        return Err(io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
            cmd.spawn()
        }
    }
    .with_context(|| format!("starting {program}"))?;
    Ok(Proc {
        pid: child.id(),
        child: (lifetime == Lifetime::Owned).then_some(child),
    })
}

type Job = (Command, Sender<io::Result<Child>>);

fn spawn_from_long_lived_thread(cmd: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Sender<Job>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        std::thread::Builder::new()
            .name("fleet-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("starting the fleet's spawner thread");
        tx
    });
    let (tx, rx) = channel();
    spawner
        .send((cmd, tx))
        .map_err(|_| io::Error::other("fleet spawner thread is gone"))?;
    rx.recv()
        .map_err(|_| io::Error::other("fleet spawner thread is gone"))?
}

/// Stops `proc`: SIGTERM, then SIGKILL after a grace period. A detached
/// process is signalled only if its command line still mentions `marker`
/// (the fleet's directory), so a reused pid is never hit.
pub fn stop(proc: &mut Proc, marker: &str) -> Result<()> {
    if proc.child.is_none() && !cmdline_mentions(proc.pid, marker) {
        return Ok(());
    }
    signal(proc.pid, libc::SIGTERM);
    let deadline = Instant::now() + GRACE;
    while proc.running() {
        if Instant::now() > deadline {
            signal(proc.pid, libc::SIGKILL);
            let deadline = Instant::now() + GRACE;
            while proc.running() {
                anyhow::ensure!(
                    Instant::now() < deadline,
                    "process {} survived SIGKILL",
                    proc.pid
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: plain syscall; an already exited pid yields ESRCH, which is fine.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

/// Whether `pid` is a live process (not a zombie awaiting its reaper).
pub fn pid_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name, which may hold spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

fn cmdline_mentions(pid: u32, marker: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| String::from_utf8_lossy(&raw).contains(marker))
        .unwrap_or(false)
}

/// The last `lines` lines of a log file, for error messages.
pub fn log_tail(log: &Path, lines: usize) -> String {
    let Ok(mut file) = File::open(log) else {
        return format!("(no log at {})", log.display());
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
    let mut text = String::new();
    let mut raw = Vec::new();
    if file.read_to_end(&mut raw).is_ok() {
        text = String::from_utf8_lossy(&raw).into_owned();
    }
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
