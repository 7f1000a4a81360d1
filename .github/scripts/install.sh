#!/usr/bin/env bash
# Installs the released workerbench binary for this runner, verified, or
# says why the action has to build it from source instead.
#
# The action's first step runs it. For the version named in VERSION (next
# to action.yml) it downloads
#   $GITHUB_SERVER_URL/OWNER/REPO/releases/download/vVERSION/checksums.txt
#   $GITHUB_SERVER_URL/OWNER/REPO/releases/download/vVERSION/workerbench_VERSION_OS_ARCH.tar.gz
# checks the archive's SHA-256 against checksums.txt and that the binary
# reports that version, and writes to $GITHUB_OUTPUT either
#   path=release  bin=/path/to/workerbench
# or
#   path=build    reason=why
# A release that exists but does not verify (a checksum mismatch, a binary
# that reports another version) fails the step: never fall back silently
# from an unverified binary.
#
# Environment:
#   WORKERBENCH_ACTION_PATH        directory of action.yml and VERSION (required)
#   WORKERBENCH_INSTALL_DIR        where the binary goes (default $RUNNER_TEMP/workerbench-action)
#   WORKERBENCH_ACTION_REPOSITORY  OWNER/REPO of the action (github.action_repository; empty
#                                  inside composite run: steps on GitHub's runner, so the
#                                  directory the runner unpacked the action into,
#                                  .../_actions/OWNER/REPO/REF, is read as well)
#   GITHUB_SERVER_URL              default https://github.com
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

server=${GITHUB_SERVER_URL:-https://github.com}
base="${server%/}/$repo/releases/download/v$version"
archive="workerbench_${version}_${os}_${arch}.tar.gz"

dir=${WORKERBENCH_INSTALL_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/workerbench-action}
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/download.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# fetch URL FILE: prints the HTTP status (000 when there was no answer).
fetch() {
	curl --silent --show-error --location --retry 2 --retry-delay 1 --connect-timeout 10 --max-time 120 \
		--output "$2" --write-out '%{http_code}' "$1" 2>"$tmp/curl.err" || true
}

status=$(fetch "$base/checksums.txt" "$tmp/checksums.txt")
case $status in
200) ;;
404) build "no release v$version of $repo (HTTP 404 for $base/checksums.txt): a branch, a commit that is not a release, or a fork" ;;
*)
	printf '::warning title=workerbench: release download failed::HTTP %s for %s; building from source\n' "$status" "$base/checksums.txt"
	build "could not download $base/checksums.txt: HTTP $status $(oneline <"$tmp/curl.err")"
	;;
esac

want=$(awk -v f="$archive" '{ n = $2; sub(/^\*/, "", n) } n == f { print tolower($1); exit }' "$tmp/checksums.txt")
[ -n "$want" ] || build "release v$version has no $archive in its checksums.txt"
if [ ${#want} -ne 64 ] || [ -n "${want//[0-9a-f]/}" ]; then
	fail "checksums.txt of release v$version: the SHA-256 of $archive is not 64 hex digits: $want"
fi

status=$(fetch "$base/$archive" "$tmp/$archive")
[ "$status" = 200 ] || fail "release v$version lists $archive in checksums.txt but downloading $base/$archive gave HTTP $status $(oneline <"$tmp/curl.err")"

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
	fail "checksum mismatch for $archive from $base/$archive: checksums.txt says sha256 $want, the downloaded file has sha256 $got"
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
# A commit pin (uses: OWNER/REPO@SHA) gets the release only when the
# release was built from that commit.
if [ ${#ref} -eq 40 ] && [ -z "${ref//[0-9a-f]/}" ]; then
	built=$(printf '%s\n' "$said" | awk '$1 == "commit" { print $2; exit }')
	[ "$built" = "$ref" ] || build "the action is pinned to commit $ref but release v$version was built from ${built:-an unknown commit}"
fi

bin="$dir/workerbench"
mv -f "$tmp/x/workerbench" "$bin"
log "using release v$version of $repo for $os/$arch: $archive, sha256 $got, verified against $base/checksums.txt"
out path=release "bin=$bin"
