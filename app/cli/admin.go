package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/argonautdeploy/argonaut/app/server"
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
	var o server.RotateOptions
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.DataDir, "data-dir", getenv("ARGONAUT_DATA_DIR"), "Data directory of the (stopped) server. Env ARGONAUT_DATA_DIR.")
	fs.StringVar(&o.MasterKey, "master-key", "", "Current master key, when not in <data-dir>/master.key. Env ARGONAUT_MASTER_KEY.")
	fs.StringVar(&o.KeyFile, "master-key-file", "", "File holding the current master key. Env ARGONAUT_MASTER_KEY_FILE.")
	fs.StringVar(&o.NewKeyFile, "new-key-file", "", "Where to write the new key (required when the current key does not come from <data-dir>/master.key).")
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
	if o.MasterKey == "" && o.KeyFile == "" {
		o.MasterKey, o.KeyFile = getenv("ARGONAUT_MASTER_KEY"), getenv("ARGONAUT_MASTER_KEY_FILE")
	}
	n, msg, err := server.RotateMasterKey(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return 1
	}
	fmt.Fprintf(stdout, "Re-encrypted %d sensitive values under the new master key. %s\n", n, msg)
	return 0
}
