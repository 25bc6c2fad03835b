// Package assets embeds the portal's stylesheets, scripts and images. Every
// file is served under a content-hashed name (/assets/app.3f9c2a1b.css) with
// a year-long cache lifetime, so a new release never meets a stale cache and
// nothing is ever fetched from elsewhere: the portal works air-gapped.
package assets

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
)

//go:embed static
var files embed.FS

// Prefix is the URL path under which assets are served.
const Prefix = "/assets/"

// File is one embedded asset.
type File struct {
	Name        string // as written in the source tree: "app.css"
	HashedName  string // as served: "app.3f9c2a1b0d4e.css"
	ContentType string
	Data        []byte
	SHA256      string // hex digest of Data
}

var (
	byName   = map[string]*File{}
	byHashed = map[string]*File{}
)

func init() {
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		digest := hex.EncodeToString(sum[:])
		name := strings.TrimPrefix(p, "static/")
		ext := path.Ext(name)
		f := &File{
			Name:        name,
			HashedName:  strings.TrimSuffix(name, ext) + "." + digest[:12] + ext,
			ContentType: contentType(ext),
			Data:        data,
			SHA256:      digest,
		}
		byName[f.Name] = f
		byHashed[f.HashedName] = f
		return nil
	})
	if err != nil {
		panic("assets: " + err.Error())
	}
}

func contentType(ext string) string {
	switch ext {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Path returns the content-hashed URL path of the asset name ("app.css").
// It panics on an unknown name: a missing asset is a programming error that
// every page render (and so every test) would hit at once.
func Path(name string) string {
	f, ok := byName[name]
	if !ok {
		panic("assets: unknown asset " + name)
	}
	return Prefix + f.HashedName
}

// Lookup returns the asset served under hashedName, the last segment of a
// URL produced by Path.
func Lookup(hashedName string) (*File, bool) {
	f, ok := byHashed[hashedName]
	return f, ok
}
