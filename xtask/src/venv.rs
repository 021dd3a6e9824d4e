//! A Python tool from PyPI in a virtualenv of its own under the target
//! directory, with every package pinned by a constraints file in `xtask/`:
//! a dependency's new release cannot change a run unannounced. Used for
//! schemathesis (the conformance run) and aiosmtpd (the SMTP tests).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{root, run};

/// One tool, pinned.
pub(crate) struct Pinned {
    /// The PyPI package (`schemathesis`).
    pub package: &'static str,
    pub version: &'static str,
    /// The exact version of every package in the virtualenv (`pip install -c`),
    /// relative to the workspace root.
    pub constraints: &'static str,
}

/// The constraints a virtualenv was installed with, kept in it: a changed
/// file means a new virtualenv.
const INSTALLED_WITH: &str = "nerutalk-constraints.txt";

impl Pinned {
    /// The virtualenv's `bin`, with exactly the constrained packages in it.
    pub(crate) fn install(&self, venv: &Path) -> Result<PathBuf> {
        let bin = venv.join("bin");
        let constraints = root().join(self.constraints);
        let pinned = std::fs::read_to_string(&constraints)
            .with_context(|| format!("cannot read {}", constraints.display()))?;
        let current = std::fs::read_to_string(venv.join(INSTALLED_WITH))
            .is_ok_and(|installed_with| installed_with == pinned)
            && self.installed_version(&bin).as_deref() == Some(self.version);
        if current {
            return Ok(bin);
        }
        // Whatever is there was made from other constraints, or half made.
        let _ = std::fs::remove_dir_all(venv);
        create_venv(venv)?;
        let mut pip = Command::new(bin.join("pip"));
        pip.args(["install", "--quiet", "--disable-pip-version-check"])
            .arg("--constraint")
            .arg(&constraints)
            .arg(format!("{}=={}", self.package, self.version));
        run(pip)?;
        let installed = self.installed_version(&bin);
        if installed.as_deref() != Some(self.version) {
            bail!(
                "pip installed {} {installed:?}, not {}",
                self.package,
                self.version
            );
        }
        self.refuse_unpinned(&bin, &pinned)?;
        std::fs::write(venv.join(INSTALLED_WITH), pinned)
            .context("cannot record the virtualenv's constraints")?;
        Ok(bin)
    }

    /// The installed package's version as its metadata states it.
    fn installed_version(&self, bin: &Path) -> Option<String> {
        let output = Command::new(bin.join("python"))
            .args([
                "-c",
                &format!(
                    "import importlib.metadata as m; print(m.version('{}'))",
                    self.package
                ),
            ])
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// Fails if the virtualenv holds a package the constraints do not pin at
    /// the version installed: a new dependency would float.
    fn refuse_unpinned(&self, bin: &Path, pinned: &str) -> Result<()> {
        let output = Command::new(bin.join("pip"))
            .args(["freeze", "--disable-pip-version-check"])
            .output()
            .context("cannot run pip freeze")?;
        if !output.status.success() {
            bail!(
                "pip freeze failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let pinned: Vec<&str> = pinned.lines().map(str::trim).collect();
        let unpinned: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !pinned.contains(line))
            .map(str::to_owned)
            .collect();
        if !unpinned.is_empty() {
            bail!(
                "{} does not pin {}: add them as `pip freeze` lists them",
                self.constraints,
                unpinned.join(", ")
            );
        }
        Ok(())
    }
}

/// `python3 -m venv`, saying what to install when Debian's python lacks it.
fn create_venv(venv: &Path) -> Result<()> {
    const HINT: &str = "python3 -m venv needs the standard library's venv and ensurepip; \
        on Debian and Ubuntu they are the python3-venv package (`apt-get install python3-venv`)";
    let mut create = Command::new("python3");
    create.args(["-m", "venv"]).arg(venv);
    eprintln!("xtask: running {}", crate::shown(&create));
    let output = create
        .output()
        .with_context(|| format!("cannot run python3 ({HINT})"))?;
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(venv);
        bail!(
            "python3 -m venv failed ({}): {}\n{HINT}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}
