// Package runner executes deployment plans: the one executor used on the
// server, on agents, over SSH (`argonaut run-plan`) and from offline bundles.
//
// A [Plan] is versioned, self-contained JSON compiled by the server for one
// target. [Runner.Run] executes its steps in a private workspace, in order,
// honouring run conditions, parallel groups (StartWithPrevious), per-step
// timeouts and cancellation (the whole process group is killed), and reports
// everything to a [Sink] as numbered [Event] values: step started/finished,
// masked log lines, output variables, artifacts and progress.
//
// Script steps run bash or sh with the Octopus helpers (runner/bootstrap);
// variables reach the shell in memory, never through a file, the command
// line or the environment (see runScript). Package steps verify, extract
// (runner/archive), substitute variables (runner/template) and run the
// package's PreDeploy/Deploy/PostDeploy scripts.
//
// The package depends on the standard library and runner/* only.
package runner
