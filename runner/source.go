package runner

import (
	"fmt"
	"os"
)

// pipeSource returns the read end of a pipe and a start function that
// writes data into it in the background (call it after the shell started;
// a shell that exits early makes the write fail with EPIPE, which is fine).
func pipeSource(data []byte) (*os.File, func(), error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("script pipe: %w", err)
	}
	return pr, func() {
		go func() {
			_, _ = pw.Write(data)
			pw.Close()
		}()
	}, nil
}
