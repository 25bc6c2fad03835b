package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/argonautdeploy/argonaut/runner/archive"
	"github.com/argonautdeploy/argonaut/runner/template"
)

// PackageSource opens package files for package steps. The server reads its
// blob store, an agent its cache, a bundle its packages/ directory; the
// runner checks size and sha256 itself, so a source need not be trusted.
type PackageSource interface {
	// Open returns the package's content; the caller closes it.
	Open(ctx context.Context, ref PackageRef) (PackageFile, error)
}

// PackageFile is an opened package.
type PackageFile interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// DirSource serves packages from files named PackageRef.FileName in Dir.
type DirSource struct {
	Dir string
}

// Open opens Dir/ref.FileName (through os.Root, so the name cannot leave Dir).
func (d DirSource) Open(_ context.Context, ref PackageRef) (PackageFile, error) {
	f, err := os.OpenInRoot(d.Dir, ref.FileName)
	if err != nil {
		return nil, fmt.Errorf("open package: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open package: %w", err)
	}
	return fileWithSize{f, st.Size()}, nil
}

type fileWithSize struct {
	*os.File
	size int64
}

func (f fileWithSize) Size() int64 { return f.size }

// Package step conventions: scripts named for a stage run from the package
// root, in this order (Octopus's order, §4.6 of the reference). Each stage
// has a Bash (.sh) and a PowerShell (.ps1) form; see packageScript for which
// one runs.
const (
	preDeployScript    = "PreDeploy"
	deployScript       = "Deploy"
	postDeployScript   = "PostDeploy"
	deployFailedScript = "DeployFailed"
)

// installDirVariable names the installation directory for package scripts
// and, prefixed with the step, as an output variable.
const installDirVariable = "Octopus.Action.Package.InstallationDirectoryPath"

// packageStep deploys a package, as a sequence of named stages:
// verify → extract → PreDeploy → substitute in files → structured config →
// custom installation directory → Deploy → PostDeploy; DeployFailed runs
// when a stage after extraction fails.
type packageStep struct{}

func (packageStep) execute(ctx context.Context, sc *stepRun) error {
	d := &deployment{sc: sc, ref: *sc.step.Package, props: sc.step.Properties}
	if d.props.SkipIfAlreadyInstalled {
		if dir, ok := d.installedBefore(); ok {
			sc.logf(Info, "The package %s %s is already installed at %s, so it is not installed again (Skip if already installed; deploy with Force package redeployment to install it anyway).",
				d.ref.ID, d.ref.Version, dir)
			sc.setOutput("Package.InstallationDirectoryPath", dir, false)
			return nil
		}
	}
	if err := d.verifyAndExtract(ctx); err != nil {
		return err
	}
	stages := []struct {
		name string
		fn   func(context.Context) error
	}{
		{preDeployScript, d.script(preDeployScript)},
		{"substitute variables in files", d.substituteInFiles},
		{"structured configuration variables", d.structuredConfig},
		{"custom installation directory", d.customInstallDir},
		{deployScript, d.script(deployScript)},
		{postDeployScript, d.script(postDeployScript)},
	}
	for _, st := range stages {
		if err := st.fn(ctx); err != nil {
			d.deployFailed(ctx)
			return err
		}
	}
	if err := d.recordInstallation(); err != nil {
		sc.logf(Warning, "The installation was not recorded in the deployment journal: %v", err)
	}
	sc.setOutput("Package.InstallationDirectoryPath", d.installDir, false)
	return nil
}

// The deployment journal records, per target, which package versions were
// installed where: <Applications>/.journal/[<Tenant>/]<Env>/<ID>/<target>/<Version>
// holds the installation directory of the last successful installation
// (outside the package's own directory, which holds only installations).
// It is keyed by target because cloud-region targets share the built-in
// worker's Applications directory.
const journalDir = ".journal"

func (d *deployment) journalPath() string {
	p := d.sc.run.plan
	target := p.Target.ID
	if target == "" {
		target = "worker"
	}
	return filepath.Join(d.sc.run.r.ApplicationsDir, journalDir, p.Tenant, p.Environment, d.ref.ID, filepath.Base(target), d.ref.Version)
}

// installedBefore returns the directory the journal records for this
// version, if that directory still exists.
func (d *deployment) installedBefore() (string, bool) {
	if d.sc.run.r.ApplicationsDir == "" {
		return "", false
	}
	b, err := os.ReadFile(d.journalPath())
	if err != nil {
		return "", false
	}
	dir := string(b)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() || !filepath.IsAbs(dir) {
		return "", false
	}
	return dir, true
}

// recordInstallation writes the journal entry of a successful installation.
func (d *deployment) recordInstallation() error {
	path := d.journalPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(d.installDir), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// deployment is one package step in progress.
type deployment struct {
	sc         *stepRun
	ref        PackageRef
	props      StepProperties
	extractDir string // where the package was extracted
	installDir string // extractDir, or the custom installation directory
}

// verifyAndExtract checks the package against its size and sha256, then
// extracts it into a new directory.
func (d *deployment) verifyAndExtract(ctx context.Context) error {
	src := d.sc.run.r.Packages
	if src == nil {
		return errors.New("this runner has no package source")
	}
	if d.sc.run.r.ApplicationsDir == "" {
		return errors.New("this runner has no applications directory")
	}
	f, err := src.Open(ctx, d.ref)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := verifyPackage(f, d.ref); err != nil {
		return err
	}
	d.sc.logf(Verbose, "Package %s %s verified (sha256 %s)", d.ref.ID, d.ref.Version, d.ref.SHA256)
	format, _, err := archive.DetectFormat(d.ref.FileName)
	if err != nil {
		return fmt.Errorf("package %s: %w", d.ref.FileName, err)
	}
	dir, err := d.newExtractionDir()
	if err != nil {
		return err
	}
	d.extractDir, d.installDir = dir, dir
	sum, err := archive.Extract(ctx, f, f.Size(), format, dir, archive.DefaultLimits())
	if err != nil {
		return fmt.Errorf("extract package: %w", err)
	}
	d.sc.logf(Info, "Extracted %s %s to %s (%d files)", d.ref.ID, d.ref.Version, dir, sum.Files)
	return nil
}

func verifyPackage(f PackageFile, ref PackageRef) error {
	if f.Size() != ref.Size {
		return fmt.Errorf("package %s is %d bytes, the plan says %d", ref.FileName, f.Size(), ref.Size)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, f.Size())); err != nil {
		return fmt.Errorf("hash package: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != ref.SHA256 {
		return fmt.Errorf("package %s has sha256 %s, the plan says %s", ref.FileName, got, ref.SHA256)
	}
	return nil
}

// newExtractionDir creates <Applications>/[<Tenant>/]<Env>/<ID>/<Version>,
// or <Version>_1, _2, … when earlier deployments left that one: a new,
// empty directory each time, claimed atomically by Mkdir.
func (d *deployment) newExtractionDir() (string, error) {
	p := d.sc.run.plan
	parent := filepath.Join(d.sc.run.r.ApplicationsDir, p.Tenant, p.Environment, d.ref.ID)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("create applications directory: %w", err)
	}
	for n := 0; ; n++ {
		name := d.ref.Version
		if n > 0 {
			name += "_" + strconv.Itoa(n)
		}
		dir := filepath.Join(parent, name)
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("create extraction directory: %w", err)
		}
	}
}

// script returns a stage running a package script, if the package has one.
func (d *deployment) script(name string) func(context.Context) error {
	return func(ctx context.Context) error {
		if d.props.SkipPackageScripts {
			return nil
		}
		return d.runPackageScript(ctx, name)
	}
}

// packageScript chooses the file that runs for a stage: on Windows the .ps1
// when the package has one, else the .sh; elsewhere the .sh when the
// package has one, else the .ps1. A .ps1 needs PowerShell (pwsh or
// powershell); a stage whose only script is a .ps1 on a host without it
// fails, naming the missing shell, rather than being skipped silently.
// "" means the package has no script for the stage.
func packageScript(root *os.Root, stage, goos string) (name string, syn Syntax, err error) {
	order := []struct {
		ext string
		syn Syntax
	}{{".sh", Bash}, {".ps1", PowerShell}}
	if goos == "windows" {
		order[0], order[1] = order[1], order[0]
	}
	for _, o := range order {
		st, err := root.Lstat(stage + o.ext)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", stage+o.ext, err)
		}
		if !st.Mode().IsRegular() {
			return "", "", fmt.Errorf("%s is not a regular file; refusing to run it", stage+o.ext)
		}
		return stage + o.ext, o.syn, nil
	}
	return "", "", nil
}

// runPackageScript runs the script of stage from the installation
// directory. The file is read through os.Root and must be a regular file,
// not a link.
func (d *deployment) runPackageScript(ctx context.Context, stage string) error {
	root, err := os.OpenRoot(d.installDir)
	if err != nil {
		return fmt.Errorf("open installation directory: %w", err)
	}
	defer root.Close()
	name, syn, err := packageScript(root, stage, runtime.GOOS)
	if err != nil || name == "" {
		return err
	}
	if syn == PowerShell && !HasPowerShell() {
		return fmt.Errorf("%s: %w", name, ErrNoPowerShell)
	}
	body, err := root.ReadFile(name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	d.sc.logf(Info, "Running %s", name)
	vars := d.stepVariables()
	err = runScript(ctx, d.sc, script{Syntax: syn, Body: string(body), Dir: d.installDir, Vars: vars})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// stepVariables are the step's variables plus the installation directory.
func (d *deployment) stepVariables() *template.Variables {
	vars := template.NewVariables()
	for _, n := range d.sc.vars.Names() {
		v, _ := d.sc.vars.Get(n)
		vars.Set(n, v)
	}
	vars.Set(installDirVariable, d.installDir)
	return vars
}

// deployFailed runs the DeployFailed script after a failed stage; its own failure is
// logged, the original error stands.
func (d *deployment) deployFailed(ctx context.Context) {
	if d.props.SkipPackageScripts || ctx.Err() != nil {
		return
	}
	if err := d.runPackageScript(ctx, deployFailedScript); err != nil {
		d.sc.logf(Error, "%v", err)
	}
}

// customInstallDir copies the prepared package to the custom installation
// directory, which then becomes the installation directory.
func (d *deployment) customInstallDir(context.Context) error {
	dest := d.props.CustomInstallationDirectory
	if dest == "" {
		return nil
	}
	if !filepath.IsAbs(dest) {
		return fmt.Errorf("custom installation directory %q is not absolute", dest)
	}
	if d.props.PurgeCustomInstallationDirectory {
		if err := os.RemoveAll(dest); err != nil {
			return fmt.Errorf("purge custom installation directory: %w", err)
		}
	}
	if err := copyTree(d.extractDir, dest); err != nil {
		return fmt.Errorf("copy to custom installation directory: %w", err)
	}
	d.sc.logf(Info, "Copied the package to %s", dest)
	d.installDir = dest
	return nil
}

// copyTree copies regular files and directories from src into dest,
// replacing files that exist; links are refused.
func copyTree(src, dest string) error {
	from, err := os.OpenRoot(src)
	if err != nil {
		return err
	}
	defer from.Close()
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	to, err := os.OpenRoot(dest)
	if err != nil {
		return err
	}
	defer to.Close()
	return fs.WalkDir(from.FS(), ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case e.IsDir():
			if name == "." {
				return nil
			}
			return to.MkdirAll(name, 0o755)
		case e.Type().IsRegular():
			info, err := e.Info()
			if err != nil {
				return err
			}
			data, err := from.ReadFile(name)
			if err != nil {
				return err
			}
			_ = to.Remove(name) // replace, never write through an existing link
			return to.WriteFile(name, data, info.Mode().Perm())
		default:
			return fmt.Errorf("%s is not a regular file or directory", name)
		}
	})
}
