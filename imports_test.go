package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/argonautdeploy/argonaut"

// goPackage is the part of `go list -json` output the import rules need.
type goPackage struct {
	ImportPath string
	Imports    []string // direct, non-test imports
	Deps       []string // transitive, non-test dependencies
}

// listPackages runs `go list -json ./...` on the module; each package carries its Deps.
func listPackages(t *testing.T) map[string]goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]goPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs[p.ImportPath] = p
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

// rel is the package's path inside the module ("" for the root), or ok=false.
func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

func under(r, dir string) bool { return r == dir || strings.HasPrefix(r, dir+"/") }

// TestImportRules enforces the package boundaries of ARCHITECTURE.md:
// app imports nothing of ours; runner/... and bundle stay server-free;
// views imports only app and assets; only app/server imports storage.
// Test-only imports are exempt (go list's Imports and Deps exclude them).
func TestImportRules(t *testing.T) {
	pkgs := listPackages(t)
	for _, want := range []string{"app", "app/server", "storage", "runner", "bundle"} {
		if _, ok := pkgs[module+"/"+want]; !ok {
			t.Errorf("package %s is missing: the layout has changed, update this test", want)
		}
	}
	serverFree := func(dep string) bool {
		r, ours := rel(dep)
		switch {
		case ours:
			return !(under(r, "app") || under(r, "storage") || under(r, "views"))
		case strings.HasPrefix(dep, "github.com/gofiber/"), strings.HasPrefix(dep, "github.com/dgraph-io/badger"):
			return false
		}
		return true
	}
	rules := []struct {
		name    string
		applies func(r string) bool
		allowed func(dep string) bool // a transitive dependency the package may have
	}{
		{"app imports nothing of this module", func(r string) bool { return r == "app" },
			func(dep string) bool { _, ours := rel(dep); return !ours }},
		{"runner/... stays server-free", func(r string) bool { return under(r, "runner") }, serverFree},
		{"bundle stays server-free", func(r string) bool { return under(r, "bundle") }, serverFree},
		{"views imports only app and assets of this module", func(r string) bool { return under(r, "views") },
			func(dep string) bool {
				r, ours := rel(dep)
				return !ours || r == "app" || under(r, "assets") || under(r, "views")
			}},
	}
	for _, p := range pkgs {
		r, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		for _, rule := range rules {
			if !rule.applies(r) {
				continue
			}
			for _, dep := range p.Deps {
				if !rule.allowed(dep) {
					t.Errorf("%s: %s depends on %s%s", rule.name, p.ImportPath, dep, via(pkgs, p, dep))
				}
			}
		}
		if !under(r, "storage") && r != "app/server" && slices.Contains(p.Imports, module+"/storage") {
			t.Errorf("only app/server (and tests) may import storage, but %s does", p.ImportPath)
		}
	}
}

// TestTopLevelLayout keeps Go code in the directories ARCHITECTURE.md names.
func TestTopLevelLayout(t *testing.T) {
	allowed := []string{"", "app", "views", "bundle", "runner", "storage", "assets", "bench"}
	for path := range listPackages(t) {
		r, ok := rel(path)
		if !ok {
			continue
		}
		top, _, _ := strings.Cut(r, "/")
		if !slices.Contains(allowed, top) {
			t.Errorf("package %s is outside the agreed top level (%v)", path, allowed[1:])
		}
	}
}

// via names a direct import of p through which dep arrives, to make a
// violation easy to trace.
func via(pkgs map[string]goPackage, p goPackage, dep string) string {
	if slices.Contains(p.Imports, dep) {
		return ""
	}
	for _, imp := range p.Imports {
		if q, ok := pkgs[imp]; ok && slices.Contains(q.Deps, dep) {
			return " (via " + imp + ")"
		}
	}
	return ""
}
