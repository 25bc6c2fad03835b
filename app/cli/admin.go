package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/argonautdeploy/argonaut/app/secrets"
	"github.com/argonautdeploy/argonaut/storage"
)

// runAdmin dispatches `argonaut admin <sub-command>`. It takes getenv so
// tests control the environment; it is hooked into Run with one line.
func runAdmin(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, "Usage: argonaut admin <command> [flags]\n\nCommands:\n  rotate-master-key  Re-encrypt every sensitive value under a new master key (server stopped).\n")
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "rotate-master-key":
		return runRotateMasterKey(ctx, getenv, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "argonaut admin: unknown command %q\n", args[0])
	return 2
}

// rotateOptions are the flags of admin rotate-master-key.
type rotateOptions struct {
	dataDir    string
	masterKey  string // the current key, if not in <data-dir>/master.key
	keyFile    string // … or from this file
	newKeyFile string // where to write the new key when the current one is not the data-dir file
}

// runRotateMasterKey re-encrypts every sensitive value under a new key in
// one transaction. The server must be stopped: Badger's directory lock
// makes the open fail otherwise.
//
// Crash safety when the key lives in <data-dir>/master.key: the new key is
// first written (synced) to master.key.new, then the store is re-encrypted
// in one transaction, then master.key.new is renamed over master.key. A
// crash before the commit leaves the old key valid; a crash after it leaves
// the new key in master.key.new, which the server's start-up error points to.
func runRotateMasterKey(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) int {
	const cmd = "argonaut admin rotate-master-key"
	var o rotateOptions
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dataDir, "data-dir", getenv("ARGONAUT_DATA_DIR"), "Data directory of the (stopped) server. Env ARGONAUT_DATA_DIR.")
	fs.StringVar(&o.masterKey, "master-key", "", "Current master key, when not in <data-dir>/master.key. Env ARGONAUT_MASTER_KEY.")
	fs.StringVar(&o.keyFile, "master-key-file", "", "File holding the current master key. Env ARGONAUT_MASTER_KEY_FILE.")
	fs.StringVar(&o.newKeyFile, "new-key-file", "", "Where to write the new key (required when the current key does not come from <data-dir>/master.key).")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", cmd, fs.Arg(0))
		return 2
	}
	if o.masterKey == "" && o.keyFile == "" {
		o.masterKey, o.keyFile = getenv("ARGONAUT_MASTER_KEY"), getenv("ARGONAUT_MASTER_KEY_FILE")
	}
	n, msg, err := rotateMasterKey(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return 1
	}
	fmt.Fprintf(stdout, "Re-encrypted %d sensitive values under the new master key. %s\n", n, msg)
	return 0
}

func rotateMasterKey(ctx context.Context, o rotateOptions) (int, string, error) {
	if o.dataDir == "" {
		return 0, "", errors.New("--data-dir is required")
	}
	dir, err := filepath.Abs(o.dataDir)
	if err != nil {
		return 0, "", err
	}
	if o.masterKey != "" && o.keyFile != "" {
		return 0, "", errors.New("give either the master key or a master key file, not both")
	}
	var current secrets.Key
	inDataDir := false
	switch {
	case o.masterKey != "":
		current, err = secrets.ParseKey(o.masterKey)
	case o.keyFile != "":
		current, err = secrets.ReadKeyFile(o.keyFile)
	default:
		inDataDir = true
		current, err = secrets.ReadKeyFile(filepath.Join(dir, secrets.KeyFileName))
	}
	if err != nil {
		return 0, "", err
	}
	if !inDataDir && o.newKeyFile == "" {
		return 0, "", errors.New("the current key does not come from the data directory; say where to write the new one with --new-key-file")
	}
	oldCipher, err := secrets.NewCipher(current)
	if err != nil {
		return 0, "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "db")); err != nil {
		return 0, "", fmt.Errorf("no store in %s: %w", dir, err)
	}
	db, err := storage.Open(ctx, storage.Options{Dir: dir, Cipher: oldCipher})
	if err != nil {
		if strings.Contains(err.Error(), "lock") {
			return 0, "", fmt.Errorf("%w\n(is the server still running? stop it before rotating the master key)", err)
		}
		return 0, "", err
	}
	next, err := secrets.GenerateKey()
	if err != nil {
		db.Close()
		return 0, "", err
	}
	nextCipher, err := secrets.NewCipher(next)
	if err != nil {
		db.Close()
		return 0, "", err
	}
	target := o.newKeyFile
	staged := target
	if inDataDir {
		target = filepath.Join(dir, secrets.KeyFileName)
		staged = target + ".new"
	}
	if err := secrets.WriteKeyFile(staged, next); err != nil {
		db.Close()
		return 0, "", err
	}
	n, err := db.RotateMasterKey(ctx, nextCipher)
	if err != nil {
		db.Close()
		if inDataDir {
			os.Remove(staged)
		}
		return 0, "", err
	}
	if err := db.Close(); err != nil {
		return n, "", err
	}
	if inDataDir {
		if err := os.Rename(staged, target); err != nil {
			return n, "", fmt.Errorf("the store now uses the key in %s, but moving it to %s failed: %w", staged, target, err)
		}
		return n, "The new key is in " + target + "; back it up.", nil
	}
	return n, "The new key is in " + target + "; point ARGONAUT_MASTER_KEY_FILE at it (or update ARGONAUT_MASTER_KEY) before starting the server.", nil
}
