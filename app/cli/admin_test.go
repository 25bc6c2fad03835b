package cli

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/secrets"
	"github.com/argonautdeploy/argonaut/app/server"
)

func startServer(t *testing.T, dir, key string) *server.Server {
	t.Helper()
	s := server.New(server.Config{DataDir: dir, Listen: "127.0.0.1:0", MasterKey: key,
		AdminUsername: "admin", AdminPassword: "correct horse battery"})
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	// One request makes sure the listener goroutine is serving: a fiber
	// Shutdown that races with the start of Listener otherwise never returns.
	resp, err := http.Get(s.URL + "/livez")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return s
}

func TestRotateMasterKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := startServer(t, dir, "")
	p := &app.Project{SpaceID: app.DefaultSpaceID, Name: "Web", LifecycleID: "Lifecycles-1", ProjectGroupID: "ProjectGroups-1"}
	if err := s.DB.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	vs, _ := s.DB.FindVariableSetByID(ctx, "", p.VariableSetID)
	vs.Variables = []app.Variable{{Name: "S", Value: "rotate-me-secret", IsSensitive: true}}
	if err := s.DB.UpdateVariableSet(ctx, vs); err != nil {
		t.Fatal(err)
	}
	oldKey, _ := os.ReadFile(filepath.Join(dir, secrets.KeyFileName))
	noEnv := func(string) string { return "" }

	// While the server runs, Badger's lock refuses the rotation clearly.
	var out, errb bytes.Buffer
	if code := runAdmin(ctx, noEnv, []string{"rotate-master-key", "--data-dir", dir}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "still running") {
		t.Fatalf("rotation with the server running: code %d, %q", code, errb.String())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	out.Reset()
	errb.Reset()
	if code := runAdmin(ctx, noEnv, []string{"rotate-master-key", "--data-dir", dir}, &out, &errb); code != 0 {
		t.Fatalf("rotate: code %d, %q", code, errb.String())
	}
	if !strings.Contains(out.String(), "Re-encrypted 1 sensitive values") {
		t.Errorf("output %q", out.String())
	}
	newKey, _ := os.ReadFile(filepath.Join(dir, secrets.KeyFileName))
	if bytes.Equal(oldKey, newKey) {
		t.Fatal("master.key unchanged")
	}
	if _, err := os.Stat(filepath.Join(dir, secrets.KeyFileName+".new")); !os.IsNotExist(err) {
		t.Fatal("master.key.new left behind")
	}

	// The old key now fails closed; the new one opens and reads the value.
	bad := server.New(server.Config{DataDir: dir, Listen: "127.0.0.1:0", MasterKey: string(oldKey)})
	if err := bad.Open(ctx); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("start with the old key: %v", err)
	}
	s = startServer(t, dir, "")
	defer s.Close()
	got, err := s.DB.RevealVariableSet(ctx, "", p.VariableSetID)
	if err != nil || got.Variables[0].Value != "rotate-me-secret" {
		t.Fatalf("after rotation: %+v, %v", got, err)
	}
}

func TestRotateMasterKeyFromEnvNeedsNewKeyFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	k, _ := secrets.GenerateKey()
	s := startServer(t, dir, k.Encode())
	s.Close()
	if _, err := os.Stat(filepath.Join(dir, secrets.KeyFileName)); !os.IsNotExist(err) {
		t.Fatal("a configured key must not be written to the data dir")
	}
	env := func(name string) string {
		if name == "ARGONAUT_MASTER_KEY" {
			return k.Encode()
		}
		return ""
	}
	var out, errb bytes.Buffer
	if code := runAdmin(ctx, env, []string{"rotate-master-key", "--data-dir", dir}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--new-key-file") {
		t.Fatalf("code %d, %q", code, errb.String())
	}
	newFile := filepath.Join(t.TempDir(), "new.key")
	if code := runAdmin(ctx, env, []string{"rotate-master-key", "--data-dir", dir, "--new-key-file", newFile}, &out, &errb); code != 0 {
		t.Fatalf("code %d, %q", code, errb.String())
	}
	nk, err := secrets.ReadKeyFile(newFile)
	if err != nil {
		t.Fatal(err)
	}
	s = startServer(t, dir, nk.Encode())
	s.Close()
}
