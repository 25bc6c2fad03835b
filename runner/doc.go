// Package runner will execute deployment plans: the versioned Plan IR the
// server compiles for one target, the Runner that carries out its steps
// (scripts, package deployment with safe extraction and variable
// substitution) in a workspace, and the Sink that receives ordered events
// (step states, log lines, output variables, artifacts).
//
// The same code runs on the server, on agents, over SSH (`argonaut
// run-plan`) and inside offline bundles, so it must stay small and
// server-free: runner and its sub-packages never import app/..., storage,
// views, fiber or Badger (enforced by the import-rules test at the root).
package runner
