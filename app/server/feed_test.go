package server_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/argonautdeploy/argonaut/app/server"
)

// feedServer is a real in-process server on 127.0.0.1:0 with an API key.
type feedServer struct {
	*server.Server
	key       string
	closeOnce sync.Once
}

// stop closes the first server once (Server.Close must not run twice).
func (s *feedServer) stop(t *testing.T) {
	s.closeOnce.Do(func() {
		if err := s.Server.Close(); err != nil {
			t.Error(err)
		}
	})
}

func startFeedServer(t *testing.T, cfg server.Config) *feedServer {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.Listen = "127.0.0.1:0"
	cfg.AdminUsername, cfg.AdminPassword = adminUser, adminPassword
	s := server.New(cfg)
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	fs := &feedServer{Server: s}
	t.Cleanup(func() { fs.stop(t) })
	fs.key = apiKey(t, s.URL)
	return fs
}

// apiKey signs in as the admin and creates an API key, the way a person
// sets up a CI server.
func apiKey(t *testing.T, base string) string { return apiKeyTB(t, base) }

func apiKeyTB(t testing.TB, base string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	body, _ := json.Marshal(map[string]string{"Username": adminUser, "Password": adminPassword})
	resp, err := c.Post(base+"/api/users/login", "application/json", bytes.NewReader(body))
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
	req, _ := http.NewRequest("POST", base+"/api/users/Users-1/apikeys", strings.NewReader(`{"Purpose":"feed tests"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Octopus-Csrf-Token", csrf)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ ApiKey string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || !strings.HasPrefix(out.ApiKey, "API-") {
		t.Fatalf("create api key: %s %v %q", resp.Status, err, out.ApiKey)
	}
	return out.ApiKey
}

type apiResult struct {
	status int
	header http.Header
	body   []byte
}

func (r apiResult) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r apiResult) errorMessage() string {
	var e struct{ ErrorMessage string }
	json.Unmarshal(r.body, &e)
	return e.ErrorMessage
}

func (s *feedServer) do(t *testing.T, method, path string, body io.Reader, header http.Header) apiResult {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("X-Octopus-ApiKey", s.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return apiResult{resp.StatusCode, resp.Header, b}
}

// push uploads content exactly as the octopus CLI does: multipart/form-data
// streamed with chunked transfer encoding (no Content-Length), one part
// "file" whose filename is the package file name and whose Content-Type is
// application/octet-stream.
func (s *feedServer) push(t *testing.T, space, fileName string, content io.Reader, query string) apiResult {
	t.Helper()
	r, err := s.pushE(space, fileName, content, query)
	if err != nil {
		t.Fatalf("push %s: %v", fileName, err)
	}
	return r
}

// pushE is push for goroutines: it reports instead of failing the test.
func (s *feedServer) pushE(space, fileName string, content io.Reader, query string) (apiResult, error) {
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
	path := "/api/packages/raw"
	if space != "" {
		path = "/api/" + space + "/packages/raw"
	}
	if query != "" {
		path += "?" + query
	}
	req, _ := http.NewRequest("POST", s.URL+path, pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-Octopus-ApiKey", s.key)
	if req.ContentLength != 0 {
		// 0 with a body means "unknown": net/http sends it chunked.
		return apiResult{}, fmt.Errorf("the upload must be chunked without a Content-Length")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return apiResult{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return apiResult{resp.StatusCode, resp.Header, b}, err
}

type packageDTO struct {
	Id, PackageId, Version, Title, Description, Hash, FileExtension, PushedBy, Published string
	Size                                                                                 int64
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Archive builders: small valid packages of every supported format.

func zipOf(t *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// storedZip is a zip holding n random bytes uncompressed: an incompressible
// package of about n bytes, as big releases are.
func storedZip(t testing.TB, n int) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "payload.bin", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(w, rand.Reader, int64(n)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tarOf(t *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		io.WriteString(tw, body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipOf(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func nuspec(id, version string) string {
	return `<?xml version="1.0"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata>` +
		`<id>` + id + `</id><version>` + version + `</version><title>Acme Nu</title><description>A NuGet package.</description>` +
		`<authors>Acme</authors></metadata></package>`
}

func testdata(t *testing.T, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPushEveryFormat(t *testing.T) {
	s := startFeedServer(t, server.Config{})
	files := map[string]string{"web.config": "<configuration/>", "bin/app.dll": "MZ…"}
	formats := []struct {
		file    string
		content []byte
	}{
		{"Acme.Zip.1.0.0.zip", zipOf(t, files)},
		{"Acme.Nu.2.1.0-beta.1.nupkg", zipOf(t, map[string]string{"Acme.Nu.nuspec": nuspec("Acme.Nu", "2.1.0-beta.1"), "lib/a.dll": "x"})},
		{"Acme.Tar.1.0.0.tar", tarOf(t, files)},
		{"Acme.TarGz.1.0.0.tar.gz", gzipOf(tarOf(t, files))},
		{"Acme.Tgz.1.0.0.tgz", gzipOf(tarOf(t, files))},
		{"Acme.Bz2.1.0.0.tar.bz2", testdata(t, "hello.tar.bz2")},
		{"Acme.Zst.1.0.0.tar.zst", testdata(t, "hello.tar.zst")},
		{"Acme.Jar.1.0.0.jar", zipOf(t, map[string]string{"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n"})},
		{"Acme.War.1.0.0.war", zipOf(t, map[string]string{"WEB-INF/web.xml": "<web-app/>"})},
	}
	for _, f := range formats {
		t.Run(f.file, func(t *testing.T) {
			r := s.push(t, "Spaces-1", f.file, bytes.NewReader(f.content), "")
			if r.status != 201 {
				t.Fatalf("push: %d %s", r.status, r.body)
			}
			var p packageDTO
			r.decode(t, &p)
			if p.Hash != sha(f.content) || p.Size != int64(len(f.content)) || p.PushedBy != adminUser {
				t.Fatalf("pushed = %+v", p)
			}
			if got := p.PackageId + "." + p.Version + p.FileExtension; got != f.file {
				t.Fatalf("name parts = %q, want %q", got, f.file)
			}
			g := s.do(t, "GET", "/api/Spaces-1/packages/"+p.Id, nil, nil)
			var got packageDTO
			g.decode(t, &got)
			if g.status != 200 || got != p {
				t.Fatalf("get = %d %+v, want %+v", g.status, got, p)
			}
			d := s.do(t, "GET", "/api/Spaces-1/packages/"+p.Id+"/raw", nil, nil)
			if d.status != 200 || sha(d.body) != sha(f.content) {
				t.Fatalf("download: %d, sha %s", d.status, sha(d.body))
			}
		})
	}
}

func TestPushOverwriteModes(t *testing.T) {
	s := startFeedServer(t, server.Config{})
	first, second := zipOf(t, map[string]string{"a": "1"}), zipOf(t, map[string]string{"a": "2"})
	const name = "Acme.Modes.1.0.0.zip"
	steps := []struct {
		query   string
		content []byte
		status  int
		hash    string
	}{
		{"", first, 201, sha(first)},
		{"", second, 409, ""},
		{"overwriteMode=FailIfExists", second, 409, ""},
		{"overwriteMode=IgnoreIfExists", second, 200, sha(first)},
		{"overwriteMode=OverwriteExisting", second, 201, sha(second)},
		{"replace=true", first, 201, sha(first)},
		{"overwriteMode=Sometimes", first, 400, ""},
	}
	for i, st := range steps {
		r := s.push(t, "", name, bytes.NewReader(st.content), st.query)
		if r.status != st.status {
			t.Fatalf("step %d (%s): %d %s, want %d", i, st.query, r.status, r.body, st.status)
		}
		if st.status == 409 && !strings.Contains(r.errorMessage(), "already exists") {
			t.Fatalf("step %d: ErrorMessage = %q", i, r.errorMessage())
		}
		if st.hash != "" {
			var p packageDTO
			r.decode(t, &p)
			if p.Hash != st.hash {
				t.Fatalf("step %d: hash %s, want %s", i, p.Hash, st.hash)
			}
		}
	}
	// The same request again on a kept-alive connection still works after
	// the early answers above.
	if r := s.do(t, "GET", "/api/packages/packages-Acme.Modes.1.0.0", nil, nil); r.status != 200 {
		t.Fatalf("get after modes: %d", r.status)
	}
}

func TestConcurrentSameVersionPushes(t *testing.T) {
	s := startFeedServer(t, server.Config{})
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	contents := make([][]byte, n)
	for i := range contents {
		contents[i] = zipOf(t, map[string]string{"n": fmt.Sprint(i)})
	}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			content := contents[i]
			r, err := s.pushE("", "Acme.Race.1.0.0.zip", bytes.NewReader(content), "")
			if err != nil {
				t.Error(err)
			}
			statuses[i] = r.status
		}(i)
	}
	wg.Wait()
	count := map[int]int{}
	for _, st := range statuses {
		count[st]++
	}
	if count[201] != 1 || count[409] != n-1 {
		t.Fatalf("statuses = %v, want one 201 and %d 409", count, n-1)
	}
	blobs := 0
	filepath.WalkDir(filepath.Join(s.DataDir, "blobs", "sha256"), func(_ string, d os.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			blobs++
		}
		return nil
	})
	if blobs != 1 {
		t.Fatalf("%d blob files, want 1", blobs)
	}
}

func TestDownloadRangesAndETag(t *testing.T) {
	s := startFeedServer(t, server.Config{})
	content := storedZip(t, 99_800)
	r := s.push(t, "", "Acme.Range.3.0.0.zip", bytes.NewReader(content), "")
	if r.status != 201 {
		t.Fatalf("push: %d %s", r.status, r.body)
	}
	raw := "/api/Spaces-1/packages/packages-Acme.Range.3.0.0/raw"
	full := s.do(t, "GET", raw, nil, nil)
	etag := `"` + sha(content) + `"`
	size := len(content)
	if full.status != 200 || !bytes.Equal(full.body, content) || full.header.Get("Content-Length") != fmt.Sprint(size) ||
		full.header.Get("ETag") != etag || !strings.Contains(full.header.Get("Content-Disposition"), "Acme.Range.3.0.0.zip") {
		t.Fatalf("full download: %d %v", full.status, full.header)
	}
	tests := []struct {
		rng    string
		status int
		want   []byte
		cr     string
	}{
		{"bytes=10-19", 206, content[10:20], fmt.Sprintf("bytes 10-19/%d", size)},
		{"bytes=90000-", 206, content[90000:], fmt.Sprintf("bytes 90000-%d/%d", size-1, size)},
		{"bytes=-5", 206, content[size-5:], fmt.Sprintf("bytes %d-%d/%d", size-5, size-1, size)},
		{"bytes=200000-", 416, nil, fmt.Sprintf("bytes */%d", size)},
		{"bytes=0-1,5-6", 200, content, ""},
	}
	for _, tt := range tests {
		got := s.do(t, "GET", raw, nil, http.Header{"Range": {tt.rng}})
		if got.status != tt.status || got.header.Get("Content-Range") != tt.cr || (tt.want != nil && !bytes.Equal(got.body, tt.want)) {
			t.Errorf("Range %s: %d %q (%d bytes), want %d %q", tt.rng, got.status, got.header.Get("Content-Range"), len(got.body), tt.status, tt.cr)
		}
	}
	if got := s.do(t, "GET", raw, nil, http.Header{"If-None-Match": {etag}}); got.status != 304 {
		t.Errorf("If-None-Match: %d, want 304", got.status)
	}
}

func TestBrowseAndDelete(t *testing.T) {
	s := startFeedServer(t, server.Config{})
	for _, v := range []string{"1.0.0", "1.10.0", "1.2.0", "2.0.0-beta.1", "2.0.0", "1.2.0-alpha"} {
		if r := s.push(t, "", "Acme.Browse."+v+".zip", bytes.NewReader(zipOf(t, map[string]string{"v": v})), ""); r.status != 201 {
			t.Fatalf("push %s: %d %s", v, r.status, r.body)
		}
	}
	if r := s.push(t, "", "Other.Pkg.0.1.0.tgz", bytes.NewReader(gzipOf(tarOf(t, map[string]string{"a": "b"}))), ""); r.status != 201 {
		t.Fatalf("push other: %d %s", r.status, r.body)
	}
	var versions struct {
		TotalResults int
		Items        []struct{ Version string }
	}
	s.do(t, "GET", "/api/Spaces-1/packages/versions?packageId=acme.browse", nil, nil).decode(t, &versions)
	var got []string
	for _, it := range versions.Items {
		got = append(got, it.Version)
	}
	if want := "2.0.0 2.0.0-beta.1 1.10.0 1.2.0 1.2.0-alpha 1.0.0"; strings.Join(got, " ") != want {
		t.Fatalf("versions = %v, want %s", got, want)
	}
	var list struct {
		TotalResults int
		Items        []packageDTO
		Links        map[string]string
	}
	s.do(t, "GET", "/api/Spaces-1/packages?latest=true", nil, nil).decode(t, &list)
	if list.TotalResults != 2 || list.Items[0].Version != "2.0.0" || list.Items[1].PackageId != "Other.Pkg" {
		t.Fatalf("latest = %+v", list)
	}
	s.do(t, "GET", "/api/packages?filter=other", nil, nil).decode(t, &list)
	if list.TotalResults != 1 {
		t.Fatalf("filter = %+v", list)
	}
	s.do(t, "GET", "/api/packages?take=2", nil, nil).decode(t, &list)
	if list.TotalResults != 7 || len(list.Items) != 2 || list.Links["Page.Next"] == "" {
		t.Fatalf("paged = %+v", list)
	}
	if r := s.do(t, "GET", "/api/Spaces-1/packages/packages-Acme.Browse.2.0.0/2.0.0/delta-signature", nil, nil); r.status != 404 {
		t.Fatalf("delta-signature: %d", r.status)
	}
	var feeds struct {
		Items []struct{ Id, FeedType string }
	}
	s.do(t, "GET", "/api/Spaces-1/feeds", nil, nil).decode(t, &feeds)
	if len(feeds.Items) != 1 || feeds.Items[0].Id != "feeds-builtin" || feeds.Items[0].FeedType != "BuiltIn" {
		t.Fatalf("feeds = %+v", feeds)
	}
	var root struct{ Links map[string]string }
	s.do(t, "GET", "/api/Spaces-1", nil, nil).decode(t, &root)
	for _, l := range []string{"Packages", "PackageUpload", "Feeds"} {
		if root.Links[l] == "" {
			t.Errorf("space root lacks link %s", l)
		}
	}

	if r := s.do(t, "DELETE", "/api/Spaces-1/packages/packages-Acme.Browse.1.0.0", nil, nil); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := s.do(t, "GET", "/api/Spaces-1/packages/packages-Acme.Browse.1.0.0", nil, nil); r.status != 404 {
		t.Fatalf("get deleted: %d", r.status)
	}
	if r := s.do(t, "GET", "/api/Spaces-1/packages/packages-Acme.Browse.1.0.0/raw", nil, nil); r.status != 404 {
		t.Fatalf("download deleted: %d", r.status)
	}
	if r := s.do(t, "DELETE", "/api/Spaces-1/packages/packages-Acme.Browse.1.0.0", nil, nil); r.status != 404 {
		t.Fatalf("delete again: %d", r.status)
	}
}

func TestRestartKeepsPackages(t *testing.T) {
	dir := t.TempDir()
	s := startFeedServer(t, server.Config{DataDir: dir})
	content := zipOf(t, map[string]string{"keep": "me"})
	if r := s.push(t, "", "Acme.Keep.1.0.0.zip", bytes.NewReader(content), ""); r.status != 201 {
		t.Fatalf("push: %d", r.status)
	}
	if r := s.do(t, "PUT", "/api/feeds/feeds-builtin", strings.NewReader(`{"PackageRetentionVersionsToKeep":5}`), nil); r.status != 200 {
		t.Fatalf("put feed: %d %s", r.status, r.body)
	}
	s.stop(t)
	s2 := server.New(server.Config{DataDir: dir, Listen: "127.0.0.1:0"})
	if err := s2.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	s = &feedServer{Server: s2, key: s.key}
	d := s.do(t, "GET", "/api/packages/packages-Acme.Keep.1.0.0/raw", nil, nil)
	if d.status != 200 || !bytes.Equal(d.body, content) {
		t.Fatalf("download after restart: %d", d.status)
	}
	var feed struct{ PackageRetentionVersionsToKeep int }
	s.do(t, "GET", "/api/feeds/feeds-builtin", nil, nil).decode(t, &feed)
	if feed.PackageRetentionVersionsToKeep != 5 {
		t.Fatalf("retention setting after restart = %d", feed.PackageRetentionVersionsToKeep)
	}
}

// TestRawBodyUpload pushes without multipart, naming the file in the query
// or a header.
func TestRawBodyUpload(t *testing.T) {
	s := startFeedServer(t, server.Config{})
	content := zipOf(t, map[string]string{"raw": "body"})
	r := s.do(t, "POST", "/api/Spaces-1/packages/raw?fileName=Acme.Raw.1.0.0.zip", bytes.NewReader(content), nil)
	if r.status != 201 {
		t.Fatalf("raw with ?fileName: %d %s", r.status, r.body)
	}
	r = s.do(t, "POST", "/api/packages/raw", bytes.NewReader(content), http.Header{"X-Package-Filename": {"Acme.Raw.2.0.0.zip"}})
	if r.status != 201 {
		t.Fatalf("raw with header: %d %s", r.status, r.body)
	}
	if r := s.do(t, "POST", "/api/packages/raw", bytes.NewReader(content), nil); r.status != 400 {
		t.Fatalf("raw without a name: %d", r.status)
	}
}

// TestTraversalBattery: CVE-2017-11348 — names that try to address a path.
func TestTraversalBattery(t *testing.T) {
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	s := startFeedServer(t, server.Config{DataDir: dataDir})
	names := []string{
		"../Acme.Web.1.0.0.zip", "..%2fAcme.Web.1.0.0.zip", "..%2F..%2Fetc.1.0.0.zip", "/etc/Acme.Web.1.0.0.zip",
		`..\Acme.Web.1.0.0.zip`, `C:\Windows\Acme.1.0.0.zip`, "Acme\x00.1.0.0.zip", "CON.1.0.0.zip", "con.web.1.0.0.zip",
		"LPT1.1.0.0.zip", "Acme..Web.1.0.0.zip", ".Acme.1.0.0.zip", "Acme.Web.zip", "Acme.Web.1.0.0.exe",
		"Acme.Web.1.0.0/../../x.zip", "Acme%00.1.0.0.zip", "Acme.1.0.0.zip.", "..",
	}
	content := zipOf(t, map[string]string{"a": "b"})
	for _, name := range names {
		r := s.push(t, "", name, bytes.NewReader(content), "")
		if r.status != 400 {
			t.Errorf("multipart %q: %d %s, want 400", name, r.status, r.body)
		}
		r = s.do(t, "POST", "/api/packages/raw?fileName="+url.QueryEscape(name), bytes.NewReader(content), nil)
		if r.status != 400 {
			t.Errorf("raw %q: %d %s, want 400", name, r.status, r.body)
		}
	}
	// The encoded form is decoded once by the query parser and must not be
	// decoded again.
	r := s.do(t, "POST", "/api/packages/raw?fileName=..%252fAcme.1.0.0.zip", bytes.NewReader(content), nil)
	if r.status != 400 {
		t.Errorf("double-encoded: %d", r.status)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 || entries[0].Name() != "data" {
		t.Fatalf("written outside the data dir: %v", entries)
	}
	var blobs []string
	filepath.WalkDir(filepath.Join(dataDir, "blobs"), func(p string, d os.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			blobs = append(blobs, p)
		}
		return nil
	})
	if len(blobs) != 0 {
		t.Fatalf("refused pushes left files: %v", blobs)
	}
}

// TestConnectionCutMidBody: a client that dies mid-upload leaves neither
// metadata nor a temp file.
func TestConnectionCutMidBody(t *testing.T) {
	dir := t.TempDir()
	s := startFeedServer(t, server.Config{DataDir: dir})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	boundary := "cutcutcut"
	head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Acme.Cut.1.0.0.zip\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\n"
	fmt.Fprintf(conn, "POST /api/packages/raw HTTP/1.1\r\nHost: x\r\nX-Octopus-ApiKey: %s\r\n"+
		"Content-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n%s", s.key, boundary, 50<<20, head)
	chunk := make([]byte, 1<<20)
	for i := 0; i < 5; i++ {
		if _, err := conn.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	// Close waits for the interrupted request to finish.
	s.stop(t)
	tmp, _ := os.ReadDir(filepath.Join(dir, "blobs", "tmp"))
	if len(tmp) != 0 {
		t.Fatalf("temp files left: %v", tmp)
	}
	s2 := server.New(server.Config{DataDir: dir, Listen: "127.0.0.1:0"})
	if err := s2.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	list, err := s2.DB.ListPackages(context.Background(), "Spaces-1", "")
	if err != nil || len(list) != 0 {
		t.Fatalf("metadata after a cut upload: %v %v", list, err)
	}
}

// TestUploadBypassesBodyLimit: the API's BodyLimit stays in force for JSON
// but not for package uploads, which stream and have their own limit.
func TestUploadBypassesBodyLimit(t *testing.T) {
	s := startFeedServer(t, server.Config{MaxBodyBytes: 1 << 20, MaxPackageBytes: 60 << 20})
	big := storedZip(t, 50<<20)
	r := s.push(t, "", "Acme.Big.1.0.0.zip", bytes.NewReader(big), "")
	if r.status != 201 {
		t.Fatalf("50 MB push with a 1 MB BodyLimit: %d %s", r.status, r.body)
	}
	r = s.do(t, "POST", "/api/packages/raw?fileName=Acme.Big.2.0.0.zip", bytes.NewReader(big), nil)
	if r.status != 201 {
		t.Fatalf("50 MB raw push with Content-Length: %d %s", r.status, r.body)
	}
	d := s.do(t, "GET", "/api/packages/packages-Acme.Big.1.0.0/raw", nil, nil)
	if sha(d.body) != sha(big) {
		t.Fatal("download differs from upload")
	}
	json := `{"Name":"` + strings.Repeat("x", 2<<20) + `"}`
	if r := s.do(t, "POST", "/api/environments", strings.NewReader(json), http.Header{"Content-Type": {"application/json"}}); r.status != 413 {
		t.Fatalf("2 MB JSON with a 1 MB BodyLimit: %d, want 413", r.status)
	}
	chunked := io.MultiReader(strings.NewReader(json)) // no Content-Length: chunked
	if r := s.do(t, "POST", "/api/environments", chunked, http.Header{"Content-Type": {"application/json"}}); r.status != 413 {
		t.Fatalf("2 MB chunked JSON with a 1 MB BodyLimit: %d, want 413", r.status)
	}
	if r := s.do(t, "POST", "/api/environments", strings.NewReader(`{"Name":"Small"}`), http.Header{"Content-Type": {"application/json"}}); r.status != 201 {
		t.Fatalf("small JSON: %d %s", r.status, r.body)
	}
}

func TestMaxPackageSize(t *testing.T) {
	s := startFeedServer(t, server.Config{MaxPackageBytes: 1 << 20})
	big := make([]byte, 3<<20)
	if r := s.push(t, "", "Acme.Huge.1.0.0.zip", bytes.NewReader(big), ""); r.status != 413 {
		t.Fatalf("chunked over the limit: %d %s", r.status, r.body)
	}
	if r := s.do(t, "POST", "/api/packages/raw?fileName=Acme.Huge.1.0.0.zip", bytes.NewReader(big), nil); r.status != 413 {
		t.Fatalf("Content-Length over the limit: %d %s", r.status, r.body)
	}
	if r := s.push(t, "", "Acme.Huge.1.0.0.zip", bytes.NewReader(storedZip(t, 1<<19)), ""); r.status != 201 {
		t.Fatalf("under the limit: %d %s", r.status, r.body)
	}
}

func TestRetentionRunOverHTTP(t *testing.T) {
	s := startFeedServer(t, server.Config{})
	for _, v := range []string{"1.0.0", "3.0.0", "2.0.0"} {
		if r := s.push(t, "", "Acme.Ret."+v+".zip", bytes.NewReader(zipOf(t, map[string]string{"v": v})), ""); r.status != 201 {
			t.Fatalf("push %s: %d", v, r.status)
		}
	}
	if r := s.do(t, "PUT", "/api/Spaces-1/feeds/feeds-builtin", strings.NewReader(`{"PackageRetentionVersionsToKeep":-1}`), nil); r.status != 400 {
		t.Fatalf("negative setting: %d", r.status)
	}
	if r := s.do(t, "PUT", "/api/Spaces-1/feeds/feeds-builtin", strings.NewReader(`{"PackageRetentionVersionsToKeep":1}`), nil); r.status != 200 {
		t.Fatalf("put feed: %d %s", r.status, r.body)
	}
	var run struct{ Removed []packageDTO }
	r := s.do(t, "POST", "/api/Spaces-1/feeds/feeds-builtin/retention/run", nil, nil)
	r.decode(t, &run)
	if r.status != 200 || len(run.Removed) != 2 {
		t.Fatalf("retention run: %d %s", r.status, r.body)
	}
	var list struct{ Items []packageDTO }
	s.do(t, "GET", "/api/Spaces-1/packages", nil, nil).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Version != "3.0.0" {
		t.Fatalf("after retention: %+v", list.Items)
	}
}

// TestArchiveRefused: the server opens every pushed archive and refuses
// unsafe ones with a 400 naming the entry, storing nothing.
func TestArchiveRefused(t *testing.T) {
	dir := t.TempDir()
	s := startFeedServer(t, server.Config{DataDir: dir})
	var evilTar bytes.Buffer
	tw := tar.NewWriter(&evilTar)
	tw.WriteHeader(&tar.Header{Name: "etc/passwd", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"})
	tw.Close()
	tests := []struct {
		file    string
		content []byte
		want    string
	}{
		{"Acme.Slip.1.0.0.zip", zipOf(t, map[string]string{"../../evil.sh": "rm -rf /"}), "../../evil.sh"},
		{"Acme.Abs.1.0.0.tar.gz", gzipOf(tarOf(t, map[string]string{"/etc/cron.d/x": "x"})), "/etc/cron.d/x"},
		{"Acme.Link.1.0.0.tar", evilTar.Bytes(), "etc/passwd"},
		{"Acme.NotZip.1.0.0.zip", []byte("this is not a zip"), ""},
		{"Acme.Nu.1.0.0.nupkg", zipOf(t, map[string]string{"lib/a.dll": "x"}), ".nuspec"},
		{"Acme.Nu.1.0.0.nupkg", zipOf(t, map[string]string{"Acme.Nu.nuspec": nuspec("Other.Id", "1.0.0")}), "Other.Id"},
		{"Acme.Nu.1.0.0.nupkg", zipOf(t, map[string]string{"Acme.Nu.nuspec": nuspec("Acme.Nu", "2.0.0")}), "2.0.0"},
	}
	for _, tt := range tests {
		r := s.push(t, "", tt.file, bytes.NewReader(tt.content), "")
		if r.status != 400 || !strings.Contains(r.errorMessage(), tt.want) {
			t.Errorf("%s: %d %q, want 400 naming %q", tt.file, r.status, r.errorMessage(), tt.want)
		}
	}
	var files []string
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d os.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 0 {
		t.Fatalf("refused packages left files: %v", files)
	}
}

// BenchmarkPushPackage pushes a 64 MiB incompressible package through the
// real HTTP path (octopus-CLI shape) per iteration; bench/feed.sh compares
// the same path against cp + fsync and measures the server's memory.
func BenchmarkPushPackage(b *testing.B) {
	s := server.New(server.Config{DataDir: b.TempDir(), Listen: "127.0.0.1:0", AdminUsername: adminUser, AdminPassword: adminPassword})
	if err := s.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	fs := &feedServer{Server: s}
	fs.key = apiKeyTB(b, s.URL)
	var payload bytes.Buffer
	tw := tar.NewWriter(&payload)
	const n = 64 << 20
	tw.WriteHeader(&tar.Header{Name: "payload.bin", Mode: 0o644, Size: n, Typeflag: tar.TypeReg})
	io.CopyN(tw, rand.Reader, n)
	tw.Close()
	b.SetBytes(int64(payload.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := fs.pushE("", fmt.Sprintf("Acme.Bench.%d.0.0.tar", i+1), bytes.NewReader(payload.Bytes()), "")
		if err != nil || r.status != 201 {
			b.Fatalf("push: %v %d %s", err, r.status, r.body)
		}
	}
}

// TestDownloadsCloseTheirFiles: a download hands the blob file itself to
// the HTTP server (so the kernel can send it with sendfile), which must close
// it once sent — for whole files and ranges alike — or every download would
// leak a descriptor.
func TestDownloadsCloseTheirFiles(t *testing.T) {
	s := startFeedServer(t, server.Config{})
	content := storedZip(t, 300_000)
	if r := s.push(t, "", "Acme.Fd.1.0.0.zip", bytes.NewReader(content), ""); r.status != 201 {
		t.Fatalf("push: %d %s", r.status, r.body)
	}
	blob := sha(content)
	openBlobs := func() int {
		n := 0
		fds, _ := os.ReadDir("/proc/self/fd")
		for _, fd := range fds {
			if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.Contains(target, blob) {
				n++
			}
		}
		return n
	}
	raw := "/api/Spaces-1/packages/packages-Acme.Fd.1.0.0/raw"
	for i := 0; i < 20; i++ {
		if r := s.do(t, "GET", raw, nil, nil); r.status != 200 || !bytes.Equal(r.body, content) {
			t.Fatalf("download %d: %d, %d bytes", i, r.status, len(r.body))
		}
		r := s.do(t, "GET", raw, nil, http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", 1000*i, 1000*i+99)}})
		if r.status != 206 || !bytes.Equal(r.body, content[1000*i:1000*i+100]) {
			t.Fatalf("range %d: %d %q", i, r.status, r.body)
		}
	}
	// The server closes a file right after writing its last byte, which
	// may be just after the client has read it.
	deadline := time.Now().Add(10 * time.Second)
	for openBlobs() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d descriptors of the blob still open after 40 downloads", openBlobs())
		}
		time.Sleep(10 * time.Millisecond) // polling an observable condition, bounded by the deadline
	}
}
