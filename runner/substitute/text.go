package substitute

import (
	"github.com/argonautdeploy/argonaut/runner/template"
)

// Text substitutes #{…} in data, a whole file, keeping its encoding and
// byte order mark. The result reports unresolved tokens and parse errors;
// when the template does not parse, out is data unchanged. err is set only
// when the file cannot be decoded or the evaluation fails outright
// (recursive definitions, limits, throwing filters).
func Text(data []byte, vars *template.Variables, opts template.Options) (out []byte, res template.Result, err error) {
	text, enc, err := Decode(data)
	if err != nil {
		return nil, res, err
	}
	res, err = template.Evaluate(text, vars, opts)
	if err != nil {
		return nil, res, err
	}
	if res.ParseError != nil {
		return data, res, nil
	}
	return Encode(res.Output, enc), res, nil
}
