package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPushSurvivesKill9 pushes packages concurrently to the real binary
// and SIGKILLs it mid-upload, several rounds on one data directory. After
// each restart every push that was answered 2xx must be there with its
// exact bytes, start-up reconcile must have removed every interrupted
// upload, and the blob directory must hold exactly the files the package
// records name.
func TestPushSurvivesKill9(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := testEnv("ARGONAUT_ADMIN_USERNAME=admin", "ARGONAUT_ADMIN_PASSWORD=crash test password",
		"ARGONAUT_DATA_DIR="+dataDir, "ARGONAUT_LISTEN=127.0.0.1:0")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	// A few contents are shared between versions, so identical files (one
	// blob, several references) are pushed concurrently too.
	shared := [][]byte{crashZip(rng, 200<<10), crashZip(rng, 50<<10)}
	acked := map[string]string{} // package record ID -> sha256 of a 2xx push
	var key string
	const rounds, workers = 4, 6
	for round := 0; round < rounds; round++ {
		p := startServer(t, env, "server")
		if key == "" {
			key = crashAPIKey(t, p.URL)
		}
		verifyCrashState(t, p.URL, key, dataDir, acked, round)
		if strings.Contains(p.stderr.String(), "package store reconciled") {
			t.Logf("round %d: start-up reconcile cleaned up after the kill", round)
		}

		// Kill once this many upload bytes have gone out: a random moment
		// in the middle of the pushes, found without any timing.
		killAt := int64(256<<10 + rng.IntN(6<<20))
		var sent atomic.Int64
		killed := make(chan struct{})
		var killOnce sync.Once
		kill := func() {
			killOnce.Do(func() {
				_ = p.cmd.Process.Kill() // SIGKILL
				close(killed)
			})
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			seed := rng.Uint64()
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(seed, uint64(w)))
				for i := 0; ; i++ {
					select {
					case <-killed:
						return
					default:
					}
					var content []byte
					if i%3 == 2 {
						content = shared[r.IntN(len(shared))]
					} else {
						content = crashZip(r, 16<<10+r.IntN(1<<20))
					}
					version := fmt.Sprintf("%d.%d.%d", round, w, i)
					body := &countingReader{r: bytes.NewReader(content), n: &sent, at: killAt, hit: kill}
					status, err := crashPush(p.URL, key, "Crash.Pkg."+version+".zip", body)
					if err != nil {
						return // the server is gone
					}
					if status/100 != 2 {
						t.Errorf("push %s: status %d", version, status)
						return
					}
					mu.Lock()
					acked["packages-Crash.Pkg."+version] = sha(content)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		<-p.exited
		if p.err == nil {
			t.Fatalf("round %d: the server exited cleanly; it was meant to be killed", round)
		}
		t.Logf("round %d: killed after %d bytes; %d pushes acknowledged so far", round, killAt, len(acked))
	}
	p := startServer(t, env, "server")
	verifyCrashState(t, p.URL, key, dataDir, acked, rounds)
	p.stop(t)
	if len(acked) == 0 {
		t.Fatal("no push was ever acknowledged; the test proved nothing")
	}
}

// verifyCrashState checks a freshly started server against what was acknowledged.
func verifyCrashState(t *testing.T, base, key, dataDir string, acked map[string]string, round int) {
	t.Helper()
	listed := map[string]string{} // record ID -> hash
	for skip := 0; ; {
		var page struct {
			Items        []struct{ Id, Hash string }
			TotalResults int
		}
		code, body := crashGet(t, base, key, fmt.Sprintf("/api/packages?skip=%d&take=100", skip))
		if code != 200 {
			t.Fatalf("round %d: list packages: %d %s", round, code, body)
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			listed[it.Id] = it.Hash
		}
		skip += len(page.Items)
		if len(page.Items) == 0 || skip >= page.TotalResults {
			break
		}
	}
	for id, want := range acked {
		if got, ok := listed[id]; !ok {
			t.Fatalf("round %d: acknowledged push %s is missing after kill -9", round, id)
		} else if got != want {
			t.Fatalf("round %d: %s lists hash %s, pushed %s", round, id, got, want)
		}
		code, body := crashGet(t, base, key, "/api/packages/"+id+"/raw")
		if code != 200 || sha(body) != want {
			t.Fatalf("round %d: download %s: status %d, sha256 %s, want %s", round, id, code, sha(body), want)
		}
	}
	if tmp, err := os.ReadDir(filepath.Join(dataDir, "blobs", "tmp")); err != nil {
		t.Fatal(err)
	} else if len(tmp) != 0 {
		t.Fatalf("round %d: %d temp files remain after start-up reconcile", round, len(tmp))
	}
	distinct := map[string]bool{}
	for _, h := range listed {
		distinct[h] = true
	}
	files := 0
	err := filepath.WalkDir(filepath.Join(dataDir, "blobs", "sha256"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
			if !distinct[d.Name()] {
				t.Errorf("round %d: orphan blob %s", round, d.Name())
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != len(distinct) {
		t.Fatalf("round %d: %d blob files, %d distinct hashes listed", round, files, len(distinct))
	}
}

// countingReader calls hit once the bytes read by all readers sharing n reach at.
type countingReader struct {
	r   io.Reader
	n   *atomic.Int64
	at  int64
	hit func()
}

func (c *countingReader) Read(p []byte) (int, error) {
	if len(p) > 32<<10 {
		p = p[:32<<10] // small steps, so the kill lands inside a body
	}
	k, err := c.r.Read(p)
	if c.n.Add(int64(k)) >= c.at {
		c.hit()
	}
	return k, err
}

// crashZip is a zip of about n random (incompressible) bytes.
func crashZip(r *rand.Rand, n int) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "payload.bin", Method: zip.Store})
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	w.Write(b)
	zw.Close()
	return buf.Bytes()
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// crashPush streams a multipart upload, chunked, as `argonaut push` does.
func crashPush(base, key, fileName string, content io.Reader) (int, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, fileName))
		h.Set("Content-Type", "application/octet-stream")
		part, err := mw.CreatePart(h)
		if err == nil {
			_, err = io.Copy(part, content)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest("POST", base+"/api/packages/raw", pr)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-Octopus-ApiKey", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		pr.CloseWithError(err)
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

func crashGet(t *testing.T, base, key, path string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("X-Octopus-ApiKey", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// crashAPIKey signs in as the configured administrator and creates an API key.
func crashAPIKey(t *testing.T, base string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Post(base+"/api/users/login", "application/json",
		strings.NewReader(`{"Username":"admin","Password":"crash test password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login: %s", resp.Status)
	}
	u, _ := url.Parse(base)
	var csrf string
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "Octopus-Csrf-Token" {
			csrf = ck.Value
		}
	}
	req, _ := http.NewRequest("POST", base+"/api/users/Users-1/apikeys", strings.NewReader(`{"Purpose":"crash test"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Octopus-Csrf-Token", csrf)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ ApiKey string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || !strings.HasPrefix(out.ApiKey, "API-") {
		t.Fatalf("create api key: %s %v", resp.Status, err)
	}
	return out.ApiKey
}
