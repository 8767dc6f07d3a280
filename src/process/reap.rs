//! Making sure no descendant of a child outlives its run.
//!
//! Killing the child's process group is not enough: a daemon started with `setsid` (or
//! `start_new_session=True`) leaves the group, and once its parent dies it is re-parented to
//! init and lives on. So the pydoctor process becomes a child subreaper
//! (`PR_SET_CHILD_SUBREAPER`): orphans of its children are re-parented to it instead, and after
//! a run every process whose parent is pydoctor and that is not a live child of a run is an
//! orphan left behind, killed and reaped.
//!
//! Runs may overlap (the loader's `--help` while the import runs), and an orphan cannot be told
//! apart by run, so the sweep waits for the last run to end: no run's daemon is killed while its
//! import may still need it. Spawning and sweeping hold one lock, so a child started during a
//! sweep is never mistaken for an orphan.

use std::collections::BTreeSet;
use std::process::{Child, Command};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once `PR_SET_CHILD_SUBREAPER` succeeded: only then can orphans reach us.
static SUBREAPER: AtomicBool = AtomicBool::new(false);

/// The live children of runs; the sweep leaves them alone.
static RUNS: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// Give this process the orphans of its children. Called once, by `main`: the library's own
/// tests share their process with children started elsewhere that a sweep must not touch.
pub fn become_subreaper() {
    // SAFETY: a plain prctl on this process; the argument is an int flag.
    let ok = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } == 0;
    SUBREAPER.store(ok, Ordering::SeqCst);
}

/// Spawn `command` as a run: recorded until [`end_run`].
pub(super) fn start_run(command: &mut Command) -> std::io::Result<Child> {
    let mut runs = lock();
    let child = command.spawn()?;
    runs.insert(child.id());
    Ok(child)
}

/// The run of `pid` is over (its child reaped): when it was the last, reap every orphan.
pub(super) fn end_run(pid: u32) {
    let mut runs = lock();
    runs.remove(&pid);
    if runs.is_empty() && SUBREAPER.load(Ordering::SeqCst) {
        sweep_orphans();
    }
}

/// SIGKILL to every process of group `pgid`.
pub(super) fn kill_group(pgid: u32) {
    // SAFETY: plain syscall; pgid is a group a run created (process_group(0)) whose leader has
    // not been reaped yet, so the id cannot name anything else.
    unsafe {
        libc::killpg(pgid as libc::pid_t, libc::SIGKILL);
    }
}

fn lock() -> std::sync::MutexGuard<'static, BTreeSet<u32>> {
    RUNS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Kill and reap our children until none is left. Each pass may free grandchildren (the
/// children of a daemon just killed are re-parented to us), hence the loop; the bound only
/// guards against a fork bomb outrunning us.
fn sweep_orphans() {
    // SAFETY: getpid cannot fail.
    let me = unsafe { libc::getpid() };
    for _ in 0..100 {
        let orphans = children_of(me);
        if orphans.is_empty() {
            return;
        }
        for &pid in &orphans {
            // SAFETY: `pid` is our own unreaped child (a zombie at worst), so its id is not
            // reused before the waitpid below.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
        for pid in orphans {
            let mut status = 0;
            // SAFETY: waiting for our own child, status is a valid out pointer.
            unsafe {
                libc::waitpid(pid, &mut status, 0);
            }
        }
    }
}

/// Processes whose parent is `parent`, from /proc.
fn children_of(parent: libc::pid_t) -> Vec<libc::pid_t> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<libc::pid_t>().ok())
        .filter(|&pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| parent_in_stat(&stat))
                == Some(parent)
        })
        .collect()
}

/// The PPid field of a `/proc/PID/stat` line. The command name (field 2) is in parentheses
/// and may itself hold spaces and parentheses, so fields are counted after the last `)`.
fn parent_in_stat(stat: &str) -> Option<libc::pid_t> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_is_read_after_the_command_name_whatever_it_holds() {
        let stat = "4242 (a) b (c)) S 17 4242 4242 0 -1 4194560 0 0";
        assert_eq!(parent_in_stat(stat), Some(17));
        assert_eq!(parent_in_stat("1 (init) S 0 1 1"), Some(0));
        assert_eq!(parent_in_stat("garbage"), None);
    }

    #[test]
    fn our_own_children_are_found_in_proc() {
        let mut child = Command::new("sleep").arg("5").spawn().unwrap();
        // SAFETY: getpid cannot fail.
        let me = unsafe { libc::getpid() };
        let found = children_of(me);
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            found.contains(&(child.id() as libc::pid_t)),
            "{found:?} lacks {}",
            child.id()
        );
    }
}
