package feed

import (
	"context"
	"io"

	"github.com/argonautdeploy/argonaut/runner/version"
)

// ArchiveValidator returns the PackageValidator the server uses.
//
// SEAM (issue 3 item 3): runner/archive, the safe archive reader, is being
// written on branch archive. Until it is merged this accepts any content;
// once merged, this returns a validator calling archive.Validate (and
// archive.ReadNuspec for .nupkg files) on the staged file.
func ArchiveValidator() PackageValidator { return acceptAll{} }

type acceptAll struct{}

func (acceptAll) ValidatePackage(context.Context, io.ReaderAt, int64, version.FileName) (Manifest, error) {
	return Manifest{}, nil
}
