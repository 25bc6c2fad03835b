package substitute

import (
	"errors"
	"path"
	"strings"

	"github.com/argonautdeploy/argonaut/runner/template"
)

// Structured replaces values in a configuration file ("Structured
// Configuration Variables") and returns the new content, the number of
// values replaced and the format used ("JSON", "YAML" or "properties").
// The format follows the extension (.json; .yaml, .yml; .properties);
// other files are tried as JSON, then YAML.
//
// Naming rules, as Octopus's replacers:
//   - a variable whose name is a path of keys separated by ':' replaces the
//     value at that path: "Logging:LogLevel:Default" replaces
//     {"Logging":{"LogLevel":{"Default":…}}}; keys match case-insensitively;
//   - array elements are addressed by zero-based index: "Endpoints:0:Url";
//   - a name without ':' addresses a top-level key, even if it contains
//     dots ("Octopus.Action.Name" is a key, never a path, so system
//     variables cannot rewrite nested settings);
//   - only paths that exist are replaced; nothing is added;
//   - a variable naming an object or array replaces that subtree with the
//     variable parsed as JSON.
//
// The file keeps its encoding, byte order mark and line endings; a file
// with nothing to replace is returned unchanged, byte for byte.
func Structured(name string, data []byte, vars *template.Variables) (out []byte, replaced int, format string, err error) {
	text, enc, err := Decode(data)
	if err != nil {
		return nil, 0, "", err
	}
	var result string
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		format = "JSON"
		result, replaced, err = JSON(text, vars)
	case ".yaml", ".yml":
		format = "YAML"
		result, replaced, err = YAML(text, vars)
	case ".properties":
		format = "properties"
		result, replaced = Properties(text, vars)
	default:
		format = "JSON"
		result, replaced, err = JSON(text, vars)
		if err != nil {
			format = "YAML"
			result, replaced, err = YAML(text, vars)
			if err != nil {
				err = errors.New("neither JSON nor YAML (name .properties files by their extension)")
			}
		}
	}
	if err != nil {
		return nil, 0, format, err
	}
	if replaced == 0 {
		return data, 0, format, nil
	}
	if strings.Contains(text, "\r\n") && !strings.Contains(result, "\r\n") {
		result = strings.ReplaceAll(result, "\n", "\r\n")
	}
	return Encode(result, enc), replaced, format, nil
}
