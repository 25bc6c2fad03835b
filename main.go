// Command argonaut is the whole of Argonaut in one executable: the server,
// the agent, the offline-bundle runner and the CI client.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/argonautdeploy/argonaut/app/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, version, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
