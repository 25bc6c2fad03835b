package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/argonautdeploy/argonaut/app/secrets"
	"github.com/argonautdeploy/argonaut/storage"
)

// RotateOptions say where the store and its current master key are.
type RotateOptions struct {
	DataDir    string
	MasterKey  string // the current key, if not in <data-dir>/master.key
	KeyFile    string // … or from this file
	NewKeyFile string // where to write the new key when the current one is not the data-dir file
}

// RotateMasterKey re-encrypts every sensitive value of the stopped server's
// store under a fresh master key, in one transaction, and writes the new
// key (to master.key.new, renamed over master.key after the commit). It
// returns how many values it re-encrypted and a message for the operator.
func RotateMasterKey(ctx context.Context, o RotateOptions) (int, string, error) {
	if o.DataDir == "" {
		return 0, "", errors.New("--data-dir is required")
	}
	dir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return 0, "", err
	}
	if o.MasterKey != "" && o.KeyFile != "" {
		return 0, "", errors.New("give either the master key or a master key file, not both")
	}
	var current secrets.Key
	inDataDir := false
	switch {
	case o.MasterKey != "":
		current, err = secrets.ParseKey(o.MasterKey)
	case o.KeyFile != "":
		current, err = secrets.ReadKeyFile(o.KeyFile)
	default:
		inDataDir = true
		current, err = secrets.ReadKeyFile(filepath.Join(dir, secrets.KeyFileName))
	}
	if err != nil {
		return 0, "", err
	}
	if !inDataDir && o.NewKeyFile == "" {
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
	target := o.NewKeyFile
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
