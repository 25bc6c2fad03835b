package deployments

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
)

func TestFormValues(t *testing.T) {
	rel := &app.Release{Version: "1.2.0", Variables: []app.VariableSource{{Variables: []app.Variable{
		{ID: "v-color", Name: "Color", Prompt: &app.VariablePrompt{Label: "Favourite colour", Required: true}},
		{ID: "v-shape", Name: "Shape", Value: "round", Prompt: &app.VariablePrompt{Label: "Shape", Required: true}},
		{ID: "v-note", Name: "Note", Prompt: &app.VariablePrompt{Label: "Color"}}, // a label that is another's name
		{ID: "v-size", Name: "Size", Value: "small"},
		{ID: "v-prod", Name: "Approver", Prompt: &app.VariablePrompt{Label: "Approver", Required: true},
			Scope: app.VariableScope{Environment: []string{"Environments-2"}}},
	}}}}
	for _, tc := range []struct {
		name  string
		env   string
		given map[string]string
		want  map[string]string
		errs  []string // each must appear in the error's details
	}{
		{"by name", "Environments-1", map[string]string{"Color": "blue"}, map[string]string{"Color": "blue"}, nil},
		{"by name in any case", "Environments-1", map[string]string{"cOLOR": "blue", "shape": "square"}, map[string]string{"Color": "blue", "Shape": "square"}, nil},
		{"by ID", "Environments-1", map[string]string{"v-color": "green"}, map[string]string{"Color": "green"}, nil},
		{"by label", "Environments-1", map[string]string{"favourite colour": "red"}, map[string]string{"Color": "red"}, nil},
		{"a name beats another's label", "Environments-1", map[string]string{"Color": "red", "v-note": "hi"}, map[string]string{"Color": "red", "Note": "hi"}, nil},
		{"required without a value", "Environments-1", nil, nil, []string{"'Color' (Favourite colour) is required"}},
		{"blank is no value", "Environments-1", map[string]string{"Color": " "}, nil, []string{"'Color'"}},
		{"scoped to another environment", "Environments-1", map[string]string{"Color": "x"}, map[string]string{"Color": "x"}, nil},
		{"scoped to this one", "Environments-2", map[string]string{"Color": "x"}, nil, []string{"'Approver' (Approver) is required"}},
		{"not prompted", "Environments-1", map[string]string{"Color": "x", "Size": "big"}, nil,
			[]string{"'Size' is not a prompted variable of release 1.2.0; it prompts for 'Color', 'Shape', 'Note' and 'Approver'."}},
		{"not a variable at all", "Environments-1", map[string]string{"Color": "x", "Octopus.Environment.Name": "Prod"}, nil,
			[]string{"'Octopus.Environment.Name' is not a prompted variable"}},
		{"both problems", "Environments-1", map[string]string{"Size": "big"}, nil, []string{"'Size' is not", "'Color' (Favourite colour) is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := formValues(rel, tc.env, tc.given)
			if len(tc.errs) == 0 {
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got %v, %v; want %v", got, err, tc.want)
				}
				return
			}
			var ae *app.Error
			if !errors.As(err, &ae) || ae.Code != app.EINVALID {
				t.Fatalf("got %v, %v; want an invalid-input error", got, err)
			}
			details := strings.Join(ae.Details, "\n")
			for _, want := range tc.errs {
				if !strings.Contains(details, want) {
					t.Errorf("details %q lack %q", details, want)
				}
			}
		})
	}
	none := &app.Release{Version: "2.0.0"}
	if _, err := formValues(none, "Environments-1", map[string]string{"X": "1"}); err == nil || !strings.Contains(errorDetails(err), "release 2.0.0 prompts for none") {
		t.Errorf("a value for a release without prompts: %v", err)
	}
}

func errorDetails(err error) string {
	var ae *app.Error
	if errors.As(err, &ae) {
		return strings.Join(ae.Details, "\n")
	}
	return err.Error()
}
