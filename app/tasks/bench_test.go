package tasks_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/tasks"
)

// BenchmarkLogIngest measures task log lines persisted per second through
// the engine (an executor writing b.N lines of ~80 bytes, committed by the
// engine's batching flusher with SyncWrites on, until the task is Success),
// against the raw durable-write rate of the same disk: 4 KiB writes each
// followed by fsync, like `dd bs=4k oflag=dsync`. Reported:
//
//	lines/s           engine throughput
//	fsync4k/s         raw synchronous 4 KiB writes per second
//	lines_per_fsync4k the ratio of the two
//
// Run: go test -run '^$' -bench LogIngest -benchtime 200000x ./app/tasks
func BenchmarkLogIngest(b *testing.B) {
	dir := b.TempDir()
	rawRate := fsyncRate(b, filepath.Join(dir, "raw"), time.Second)

	d := openStore(b, filepath.Join(dir, "store"))
	defer d.Close()
	n := b.N
	e := tasks.New(d, tasks.Options{Executors: map[string]tasks.Executor{
		"Chatty": tasks.ExecutorFunc(func(ctx context.Context, t *app.Task, log tasks.TaskLog) error {
			step := log.Open("Step 1: Build output")
			for i := 0; i < n; i++ {
				step.Info(fmt.Sprintf("%08d compiling module and writing the object file for package xyz", i))
			}
			return nil
		}),
	}})
	if err := e.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer e.Close()

	b.ResetTimer()
	start := time.Now()
	task := &app.Task{SpaceID: app.DefaultSpaceID, Name: "Chatty"}
	if err := e.QueueTask(context.Background(), task); err != nil {
		b.Fatal(err)
	}
	for {
		got, err := e.FindTaskByID(context.Background(), task.ID)
		if err != nil {
			b.Fatal(err)
		}
		if got.IsCompleted() {
			if got.State != app.TaskSuccess {
				b.Fatalf("task ended %s: %s", got.State, got.ErrorMessage)
			}
			break
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if last, _ := d.LastTaskLogSeq(context.Background(), task.ID); last < uint64(n) {
		b.Fatalf("only %d events stored, want ≥ %d", last, n)
	}
	lines := float64(n) / elapsed.Seconds()
	b.ReportMetric(lines, "lines/s")
	b.ReportMetric(rawRate, "fsync4k/s")
	b.ReportMetric(lines/rawRate, "lines_per_fsync4k")
}

// fsyncRate writes 4 KiB blocks with an fsync after each for about d and
// returns the rate per second.
func fsyncRate(b *testing.B, path string, d time.Duration) float64 {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		if _, err := f.Write(block); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}
