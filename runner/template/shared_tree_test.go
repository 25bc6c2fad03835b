package template

import (
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentEvaluationsShareTheTree evaluates one Variables from many
// goroutines at once (run with -race): the cached variable tree, the parsed
// templates of values and their JSON parses are shared, so they must be
// built once and never written afterwards. A Set afterwards is seen.
func TestConcurrentEvaluationsShareTheTree(t *testing.T) {
	vars := VariablesFrom(
		"Name", "#{First} #{Last}", "First", "Ada", "Last", "Lovelace",
		"Config", `{"Db": {"Host": "db#{Suffix}", "Port": 5432}, "Tags": ["a", "b"]}`, "Suffix", "-1",
		"Servers", "web1,web2", "Key", "Db",
	)
	tmpl := "#{Name}|#{Config.Db.Host}:#{Config.Db.Port}|#{each s in Servers}#{s};#{/each}|#{each t in Config.Tags}#{t}#{/each}|#{Config[#{Key}].Port}|#{Missing}"
	want := "Ada Lovelace|db-1:5432|web1;web2;|ab|5432|#{Missing}"
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				res, err := Evaluate(tmpl, vars, Options{})
				if err != nil || res.Output != want || len(res.Unresolved) != 1 {
					errs <- fmt.Sprintf("goroutine %d, run %d: %q %v", g, i, res.Output, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	vars.Set("Last", "Byron")
	vars.Set("Extra", "x")
	if res, err := Evaluate("#{Name} #{Extra}", vars, Options{}); err != nil || res.Output != "Ada Byron x" {
		t.Errorf("after Set: %q %v", res.Output, err)
	}
}
