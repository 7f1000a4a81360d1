#!/usr/bin/env bash
# Installs the released workerbench binary for this runner, verified, or
# says why the action has to build it from source instead.
#
# The action's first step runs it. For the version named in VERSION (next
# to action.yml) it looks up workerbench_VERSION_OS_ARCH.tar.gz in
# .github/release-digests.txt of the action's own checkout: the SHA-256 of
# every release archive, committed before the release was tagged, and
# checked by the release workflow against a rebuild (.github/scripts/release.sh).
# With a line for that archive it downloads
#   $GITHUB_SERVER_URL/OWNER/REPO/releases/download/vVERSION/workerbench_VERSION_OS_ARCH.tar.gz
# and runs it only if its SHA-256 is the committed one and the binary
# reports that version; nothing downloaded is trusted to say what the
# archive should be, so pinning the action at a commit or tag pins the
# binary. It writes to $GITHUB_OUTPUT either
#   path=release  bin=/path/to/workerbench
# or
#   path=build    reason=why
# (no digest committed for this VERSION, OS and architecture, e.g. a -dev
# VERSION between releases; no release to download, e.g. a fork). A
# downloaded archive that does not verify (another SHA-256 than the
# committed one, a binary that reports another version) fails the step:
# never fall back silently from an unverified binary.
#
# Environment:
#   WORKERBENCH_ACTION_PATH        directory of action.yml and VERSION (required)
#   WORKERBENCH_INSTALL_DIR        where the binary goes (default $RUNNER_TEMP/workerbench-action)
#   WORKERBENCH_ACTION_REPOSITORY  OWNER/REPO of the action (github.action_repository; empty
#                                  inside composite run: steps on GitHub's runner, so the
#                                  directory the runner unpacked the action into,
#                                  .../_actions/OWNER/REPO/REF, is read as well)
#   GITHUB_SERVER_URL              default https://github.com (the download base; the
#                                  tests point it at a fake release server on loopback)
#   RUNNER_OS, RUNNER_ARCH         default: uname
#   GITHUB_OUTPUT                  the step's output file (default: stdout only)
set -euo pipefail

log() { printf 'workerbench: %s\n' "$*"; }

# oneline: stdin as one short line, for messages and step outputs.
oneline() { head -c 300 | tr '\r\n' '  '; }

out() {
	if [ -n "${GITHUB_OUTPUT:-}" ]; then
		printf '%s\n' "$@" >>"$GITHUB_OUTPUT"
	fi
}

# build REASON: no usable release; the action's next steps build from source.
build() {
	log "building from source: $*"
	out path=build "reason=$*"
	exit 0
}

# fail MESSAGE: the release exists but cannot be trusted.
fail() {
	printf '::error title=workerbench: release verification failed::%s\n' "$*"
	printf 'workerbench: %s\n' "$*" >&2
	exit 1
}

action_path=${WORKERBENCH_ACTION_PATH:?WORKERBENCH_ACTION_PATH is not set}
version_file="$action_path/VERSION"
[ -r "$version_file" ] || build "no VERSION file in $action_path"
version=$(tr -d ' \t\r\n' <"$version_file")
case $version in
'' | *[!0-9A-Za-z.+-]*) build "VERSION file holds ${version:-nothing}, not a version" ;;
esac

# The platform, in the release archives' words.
runner_os=${RUNNER_OS:-$(uname -s)}
runner_arch=${RUNNER_ARCH:-$(uname -m)}
case $runner_os in
Linux) os=linux ;;
macOS | Darwin) os=darwin ;;
*) build "no release archive for OS $runner_os (there are linux and darwin ones)" ;;
esac
case $runner_arch in
X64 | x86_64 | amd64) arch=amd64 ;;
ARM64 | arm64 | aarch64) arch=arm64 ;;
*) build "no release archive for architecture $runner_arch (there are amd64 and arm64 ones)" ;;
esac

archive="workerbench_${version}_${os}_${arch}.tar.gz"

# The digest committed at this ref of the action, the only one trusted.
digests=.github/release-digests.txt
[ -r "$action_path/$digests" ] || build "no $digests at this ref of the action, so no release binary is pinned for VERSION $version"
want=$(awk -v f="$archive" '{ n = $2; sub(/^\*/, "", n) } n == f { print tolower($1); exit }' "$action_path/$digests")
[ -n "$want" ] || build "no digest for $archive in $digests at this ref of the action (VERSION $version is not a release, or not for $os/$arch)"
if [ ${#want} -ne 64 ] || [ -n "${want//[0-9a-f]/}" ]; then
	fail "$digests at this ref of the action: the SHA-256 of $archive is not 64 hex digits: $want"
fi

# The action's repository and ref. The runner unpacks OWNER/REPO@REF into
# .../_actions/OWNER/REPO/REF; a workflow's own `uses: ./` has no release.
repo=${WORKERBENCH_ACTION_REPOSITORY:-${GITHUB_ACTION_REPOSITORY:-}}
ref=
case $action_path in
*/_actions/*/*/*)
	rest=${action_path#*/_actions/}
	owner=${rest%%/*}
	rest=${rest#*/}
	name=${rest%%/*}
	ref=${rest#*/}
	ref=${ref%%/*}
	repo=${repo:-$owner/$name}
	;;
esac
case $repo in
?*/?*) ;;
*) build "cannot tell which repository this action came from (a local action, uses: ./, has no release)" ;;
esac
at="this ref of the action${ref:+ ($ref)}"

server=${GITHUB_SERVER_URL:-https://github.com}
base="${server%/}/$repo/releases/download/v$version"

dir=${WORKERBENCH_INSTALL_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/workerbench-action}
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/download.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# fetch URL FILE: prints the HTTP status (000 when there was no answer).
fetch() {
	curl --silent --show-error --location --retry 2 --retry-delay 1 --connect-timeout 10 --max-time 120 \
		--output "$2" --write-out '%{http_code}' "$1" 2>"$tmp/curl.err" || true
}

status=$(fetch "$base/$archive" "$tmp/$archive")
case $status in
200) ;;
404) build "no release v$version of $repo (HTTP 404 for $base/$archive): a fork, a server without the release, or the release is not published yet" ;;
*)
	printf '::warning title=workerbench: release download failed::HTTP %s for %s; building from source\n' "$status" "$base/$archive"
	build "could not download $base/$archive: HTTP $status $(oneline <"$tmp/curl.err")"
	;;
esac

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | awk '{ print $1 }'
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 "$1" | awk '{ print $1 }'
	else
		openssl dgst -sha256 "$1" | awk '{ print $NF }'
	fi
}
got=$(sha256 "$tmp/$archive")
if [ "$got" != "$want" ]; then
	fail "digest mismatch for $archive: the release asset differs from what was committed at $at: $digests says sha256 $want, $base/$archive has sha256 $got"
fi

mkdir "$tmp/x"
tar -xzf "$tmp/$archive" -C "$tmp/x" workerbench || fail "$archive (sha256 $got) has no workerbench binary"
chmod 0755 "$tmp/x/workerbench"

# The binary must say it is the version the action belongs to.
said=$("$tmp/x/workerbench" version 2>&1) || fail "$archive (sha256 $got): workerbench version failed: $(printf '%s' "$said" | oneline)"
first=${said%%$'\n'*}
if [ "$first" != "workerbench $version" ]; then
	fail "$archive (sha256 $got) holds a binary that says \"$(printf '%s' "$first" | oneline)\", want \"workerbench $version\""
fi
built=$(printf '%s\n' "$said" | awk '$1 == "commit" { print $2; exit }')

bin="$dir/workerbench"
mv -f "$tmp/x/workerbench" "$bin"
log "using release v$version of $repo for $os/$arch: $archive, sha256 $got, the digest committed at $at; its source commit ${built:-unknown}"
out path=release "bin=$bin"
