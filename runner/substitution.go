package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/argonautdeploy/argonaut/runner/substitute"
	"github.com/argonautdeploy/argonaut/runner/template"
)

// substituteInFiles replaces #{…} in the files matching the step's
// SubstituteInFiles globs, keeping each file's encoding. Unresolved tokens
// and parse errors fail the step, or are logged as warnings when the step
// sets IgnoreVariableReplacementErrors (a file that does not parse is then
// left as it was).
func (d *deployment) substituteInFiles(context.Context) error {
	if len(d.props.SubstituteInFiles) == 0 {
		return nil
	}
	vars := d.stepVariables()
	return d.forMatchingFiles(d.props.SubstituteInFiles, "substitution", func(name string, data []byte) ([]byte, error) {
		out, res, err := substitute.Text(data, vars, template.Options{})
		if err != nil {
			return nil, err
		}
		if res.HasError() {
			if !d.props.IgnoreVariableReplacementErrors {
				return nil, errors.New(res.ErrorText())
			}
			d.sc.logf(Warning, "%s: %s", name, res.ErrorText())
		}
		d.sc.logf(Info, "Substituted variables in %s", name)
		return out, nil
	})
}

// structuredConfig replaces values in the JSON, YAML and .properties files
// matching the step's StructuredConfigFiles globs (rules in
// substitute.Structured).
func (d *deployment) structuredConfig(context.Context) error {
	if len(d.props.StructuredConfigFiles) == 0 {
		return nil
	}
	vars := d.stepVariables()
	return d.forMatchingFiles(d.props.StructuredConfigFiles, "structured configuration", func(name string, data []byte) ([]byte, error) {
		out, n, format, err := substitute.Structured(name, data, vars)
		if err != nil {
			return nil, err
		}
		d.sc.logf(Info, "Replaced %d structured configuration value(s) in %s (%s)", n, name, format)
		return out, nil
	})
}

// forMatchingFiles runs edit over the installation directory's files
// matching globs (see substitute.Files for why no path can leave it) and
// warns about patterns that matched nothing.
func (d *deployment) forMatchingFiles(globs []string, what string, edit substitute.EditFunc) error {
	unmatched, err := substitute.Files(d.installDir, globs, edit)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	for _, p := range unmatched {
		d.sc.logf(Warning, "No files matched the %s pattern %q", what, p)
	}
	return nil
}
