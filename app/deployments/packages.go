package deployments

import (
	"context"
	"fmt"
	"os"

	"github.com/argonautdeploy/argonaut/app/deploy"
	"github.com/argonautdeploy/argonaut/runner"
)

// PackageFinder answers which file (sha256, size, file name) a package
// version is in a space's feed. The built-in feed implements it over its
// package records; the planner needs it for every package step.
type PackageFinder func(ctx context.Context, spaceID, feedID, packageID, version string) (deploy.PackageFile, error)

// BlobPackages is the runner's PackageSource on the server: the built-in
// feed keeps package files in the blob store by sha256, and the plan names
// each package by sha256 and size, so the file is opened by its digest.
// The runner verifies size and digest again before extracting.
type BlobPackages struct {
	// Open opens the blob with this lower-case hex sha256.
	OpenBlob func(sha256 string) (*os.File, error)
}

// Open implements runner.PackageSource.
func (b BlobPackages) Open(_ context.Context, ref runner.PackageRef) (runner.PackageFile, error) {
	if b.OpenBlob == nil {
		return nil, fmt.Errorf("package %s %s: this server has no package store", ref.ID, ref.Version)
	}
	f, err := b.OpenBlob(ref.SHA256)
	if err != nil {
		return nil, fmt.Errorf("package %s %s: %w", ref.ID, ref.Version, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("package %s %s: %w", ref.ID, ref.Version, err)
	}
	return sizedFile{f, st.Size()}, nil
}

type sizedFile struct {
	*os.File
	size int64
}

func (f sizedFile) Size() int64 { return f.size }
