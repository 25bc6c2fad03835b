//go:build unix

package runner

import (
	"os/exec"
	"syscall"
	"time"
)

// killProcessGroupOnCancel puts the script in its own process group and
// makes cancellation (run cancelled or step timeout) kill the whole group
// with SIGKILL, so `sleep 600` started by the script dies with it. After the
// script's own process exits, processes it left in the background keep
// running (a Deploy.sh may start a service), but the runner stops waiting for
// their output after waitDelay.
func killProcessGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = waitDelay
}

// waitDelay bounds how long the runner waits for a script's output pipes to
// close after the script exited or was killed.
const waitDelay = 2 * time.Second
