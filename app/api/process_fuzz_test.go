package api

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
)

// FuzzDecodeDeploymentProcess feeds arbitrary bodies to what PUT
// /deploymentprocesses/{id} does with an imported document before storing
// it (CVE-2018-18850): decode, map, validate. It must never panic; every
// refusal is a 400 (EINVALID), never an internal error; and a document it
// accepts stays the same, and valid, when sent back as the API renders it.
// The seed corpus is in testdata/fuzz/FuzzDecodeDeploymentProcess.
func FuzzDecodeDeploymentProcess(f *testing.F) {
	f.Add([]byte(`{"Version":0,"Steps":[]}`))
	f.Add([]byte(`{"Version":3,"Steps":[{"Name":"Say","Properties":{"Octopus.Action.RunOnServer":"true"},` +
		`"Actions":[{"Name":"Say","ActionType":"Octopus.Script","Properties":{"Octopus.Action.Script.ScriptBody":"echo hi"}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		version, steps, err := decodeProcessUpdate(body)
		if err != nil {
			if code := app.ErrorCode(err); code != app.EINVALID {
				t.Fatalf("decode error %v has code %q, want %q", err, code, app.EINVALID)
			}
			return
		}
		dp := &app.DeploymentProcess{ID: "deploymentprocess-Projects-1", SpaceID: "Spaces-1", ProjectID: "Projects-1",
			Version: version, Steps: steps}
		if err := dp.Validate(); err != nil {
			if code := app.ErrorCode(err); code != app.EINVALID {
				t.Fatalf("Validate error %v has code %q, want %q", err, code, app.EINVALID)
			}
			return
		}
		// What is stored is what clients read back and send again: that
		// round trip must keep the process valid and unchanged.
		first := render(t, dp)
		version2, steps2, err := decodeProcessUpdate(first)
		if err != nil {
			t.Fatalf("the rendered process does not decode: %v\n%s", err, first)
		}
		dp2 := &app.DeploymentProcess{ID: dp.ID, SpaceID: dp.SpaceID, ProjectID: dp.ProjectID, Version: version2, Steps: steps2}
		if err := dp2.Validate(); err != nil {
			t.Fatalf("the rendered process is not valid: %v\n%s", err, first)
		}
		if second := render(t, dp2); !bytes.Equal(first, second) {
			t.Fatalf("the process changed on a round trip:\n%s\n%s", first, second)
		}
	})
}

func render(t *testing.T, dp *app.DeploymentProcess) []byte {
	b, err := json.Marshal(processDTO(dp))
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return b
}
