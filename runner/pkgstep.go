package runner

import (
	"context"
	"errors"
)

// packageStep deploys a package (see pkgstep.go's full implementation).
type packageStep struct{}

func (packageStep) execute(ctx context.Context, sc *stepRun) error {
	return errors.New("package steps are not implemented yet")
}

// PackageSource opens package files for package steps.
type PackageSource interface{}
