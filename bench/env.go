package bench

import "strings"

// ServerEnviron returns environ without the CI job's credentials and
// file commands. The server under test and a setup command may be a pull
// request's code, and the server's log is uploaded as an artifact, so they
// get no token: not GITHUB_TOKEN and its kin, and no INPUT_* variable (the
// action's inputs, github-token among them; a server has no use for
// them). Nor do they get the runner's file-command paths (GITHUB_ENV,
// GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STATE, GITHUB_STEP_SUMMARY): writing
// to those would set later steps' environment and PATH, this step's
// outputs, and the job summary.
func ServerEnviron(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if !isSecretEnv(k) {
			out = append(out, kv)
		}
	}
	return out
}

func isSecretEnv(key string) bool {
	k := strings.ToUpper(key)
	switch k {
	case "GITHUB_TOKEN",
		"GH_TOKEN",
		"ACTIONS_RUNTIME_TOKEN",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN",
		"ACTIONS_ID_TOKEN_REQUEST_URL",
		"GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STATE", "GITHUB_STEP_SUMMARY":
		return true
	}
	return strings.HasPrefix(k, "INPUT_")
}
