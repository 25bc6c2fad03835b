package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/runner/archive"
	"github.com/argonautdeploy/argonaut/runner/version"
)

// ArchiveValidator returns the PackageValidator the server uses: the safe
// archive reader of runner/archive, which decompresses every entry without
// writing anything and refuses traversal, absolute paths, escaping links,
// devices and FIFOs, and archives over lim (zero fields take
// archive.DefaultLimits). A .nupkg must carry a .nuspec; its ID and version
// are returned for the feed to compare with the file name.
func ArchiveValidator(lim archive.Limits) PackageValidator { return archiveValidator{lim: lim} }

type archiveValidator struct{ lim archive.Limits }

func (v archiveValidator) ValidatePackage(ctx context.Context, r io.ReaderAt, size int64, name version.FileName) (Manifest, error) {
	format, _, err := archive.DetectFormat(name.ID + "." + name.Version.String() + name.Extension)
	if err != nil {
		return Manifest{}, app.Invalid("The package format is not supported: " + err.Error())
	}
	sum, err := archive.Validate(ctx, r, size, format, v.lim)
	if err != nil {
		return Manifest{}, refused(err)
	}
	if !strings.EqualFold(name.Extension, ".nupkg") {
		return Manifest{}, nil
	}
	if len(sum.Nuspec) == 0 {
		return Manifest{}, app.Invalid("The .nupkg has no .nuspec at its root.")
	}
	id, ver, err := archive.ReadNuspec(bytes.NewReader(sum.Nuspec), v.lim.MaxNuspecBytes)
	if err != nil {
		return Manifest{}, refused(err)
	}
	return Manifest{ID: id, Version: ver}, nil
}

// refused turns the archive reader's verdict into the 400 the client sees;
// the *archive.EntryError message names the entry.
func refused(err error) error {
	var ee *archive.EntryError
	if errors.As(err, &ee) {
		return app.Invalid(fmt.Sprintf("The package was refused: %s.", strings.TrimPrefix(ee.Error(), "archive: ")))
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("feed: validate package: %w", err)
}
