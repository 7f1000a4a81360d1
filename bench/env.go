package bench

import "strings"

// ServerEnviron returns environ without the CI job's credentials. The server
// under test may be a pull request's code and its log is uploaded as an
// artifact, so it gets no token: not GITHUB_TOKEN and its kin, and no
// INPUT_* variable (the action's inputs, github-token among them; a server
// has no use for them).
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
		"ACTIONS_ID_TOKEN_REQUEST_URL":
		return true
	}
	return strings.HasPrefix(k, "INPUT_")
}
