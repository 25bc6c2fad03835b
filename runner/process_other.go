//go:build !unix

package runner

import (
	"os/exec"
	"time"
)

// killProcessGroupOnCancel kills the script's own process on cancellation;
// process trees are not tracked on this OS yet.
func killProcessGroupOnCancel(cmd *exec.Cmd) {
	cmd.WaitDelay = 2 * time.Second
}
