#!/usr/bin/env bash
# Builds a workerbench release: for linux and darwin × amd64 and arm64,
# workerbench_VERSION_OS_ARCH.tar.gz holding the binary, LICENSE and
# README.md, and the Python wheel carrying the same binary
# (workerbench-PEP440VERSION-py3-none-PLATFORM.whl, built by
# internal/wheel: `pip install workerbench` without Go), plus checksums.txt
# (SHA-256 of the archives and wheels, sha256sum's format, sorted by name)
# and metadata.json. VERSION comes from the file VERSION.
#
#   release.sh [DIST]        build into DIST (default dist/)
#   release.sh digests       build into a temporary directory and write the
#                            archives' and wheels' SHA-256 to .github/release-digests.txt,
#                            which is committed before tagging (CONTRIBUTING.md, "Releases")
#   release.sh check [DIST]  build into DIST (default dist/) and fail unless the
#                            archives' and wheels' SHA-256 are exactly those committed in
#                            .github/release-digests.txt (the release workflow)
#
# The action (.github/scripts/install.sh) runs a release archive only when
# its SHA-256 is the one in .github/release-digests.txt of the action's own
# checkout, so the build is reproducible byte for byte: the Go toolchain
# named in .github/release-go-version (GOTOOLCHAIN downloads it when the
# local go is another), CGO_ENABLED=0, -trimpath, -buildvcs=false, no build
# ID, stripped (-s -w), stamped with the version and the source commit; tar
# archives (GNU tar: sorted, owner 0, every time the source commit's) and
# gzip -n; wheels zipped by internal/wheel, built with that same toolchain
# (its deflate is Go's: fixed for a Go version), entries in a fixed order,
# every time the source commit's. The source commit is the newest commit that changed anything but
# .github/release-digests.txt, so committing the digests does not change
# what they are the digests of.
#
# For tests only:
#   WORKERBENCH_RELEASE_GO=local           build with the go on PATH
#   WORKERBENCH_RELEASE_PLATFORMS="linux_amd64 ..."  a subset of the platforms
#   WORKERBENCH_RELEASE_DIGESTS=FILE       check against FILE
# (GoReleaser would do the same, but no package manager here serves it:
# installing it is an 8-minute compile on a 2-core machine.)
set -euo pipefail
cd "$(dirname "$0")/../.."
export LC_ALL=C # one order for the glob, sort and tar

die() {
  printf 'release.sh: %s\n' "$*" >&2
  exit 1
}

pinned=.github/release-digests.txt # what the action checks downloads against
digests_file=$pinned
all_platforms="linux_amd64 linux_arm64 darwin_amd64 darwin_arm64"

mode=dist
case ${1:-} in
digests) mode=digests dist=$(mktemp -d) ;;
check) mode=check dist=${2:-dist} ;;
*) dist=${1:-dist} ;;
esac
if [ "$mode" != dist ]; then
  digests_file=${WORKERBENCH_RELEASE_DIGESTS:-$digests_file}
fi

platforms=${WORKERBENCH_RELEASE_PLATFORMS:-$all_platforms}
if [ "$mode" = digests ]; then
  [ "$platforms" = "$all_platforms" ] || die "digests: WORKERBENCH_RELEASE_PLATFORMS is for tests; a release has all of $all_platforms"
  [ "${WORKERBENCH_RELEASE_GO:-}" != local ] || die "digests: WORKERBENCH_RELEASE_GO=local is for tests; the digests must come from the pinned toolchain"
fi

# The toolchain, and nothing from the environment or go env -w that changes
# the bytes (GOFLAGS set to anything overrides the configured one).
go_version=$(tr -d ' \t\r\n' <.github/release-go-version)
if [ "${WORKERBENCH_RELEASE_GO:-}" = local ]; then
  export GOTOOLCHAIN=local
else
  export GOTOOLCHAIN=go$go_version
fi
export CGO_ENABLED=0 GOFLAGS=-mod=readonly GOAMD64=v1 GOARM64=v8.0 GOEXPERIMENT=
goversion=$(go env GOVERSION)
[ -z "$(go env GOEXPERIMENT)" ] || die "GOEXPERIMENT is set in go env ($(go env GOEXPERIMENT)): unset it (go env -u GOEXPERIMENT)"

# GNU tar and GNU gzip: other implementations write other bytes.
tar=tar
if ! tar --version 2>/dev/null | head -n 1 | grep -q 'GNU tar'; then
  command -v gtar >/dev/null 2>&1 || die "needs GNU tar (gtar) for byte-identical archives"
  tar=gtar
fi
gzip --version 2>/dev/null | head -n 1 | grep -q '^gzip [0-9]' || die "needs GNU gzip for byte-identical archives"
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

version=$(tr -d ' \t\r\n' <VERSION)
git rev-parse --git-dir >/dev/null || die "needs the git repository (the source commit stamps the build)"
if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  [ "$mode" = dist ] || die "needs the full history to find the source commit (git fetch --unshallow)"
  echo "release.sh: warning: shallow clone: the source commit may be wrong" >&2
fi
read -r commit when < <(git log -1 --format='%H %ct' -- . ":(exclude)$pinned") || true
[ -n "${when:-}" ] || die "no commit found in git log"
if [ "$mode" = digests ]; then
  dirty=$(git status --porcelain -- . ":(exclude)$pinned")
  [ -z "$dirty" ] || die "digests: commit or stash these first, the release is built from commits only:
$dirty"
fi

rm -rf "$dist"
mkdir -p "$dist"
stage=$(mktemp -d)
trap 'rm -rf "$stage"; [ "$mode" != digests ] || rm -rf "$dist"' EXIT

# The wheel builder, for this machine: Go's deflate is the pinned toolchain's.
go build -o "$stage/wheel" ./internal/wheel

for platform in $platforms; do
  goos=${platform%_*} goarch=${platform#*_}
  name="workerbench_${version}_${platform}"
  mkdir -p "$stage/$name"
  GOOS=$goos GOARCH=$goarch go build -trimpath -buildvcs=false \
    -ldflags "-s -w -buildid= -X main.version=$version -X main.commit=$commit" \
    -o "$stage/$name/workerbench" ./cmd/workerbench
  cp LICENSE README.md "$stage/$name/"
  chmod 0755 "$stage/$name/workerbench"
  chmod 0644 "$stage/$name/LICENSE" "$stage/$name/README.md"
  "$tar" --format=gnu --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$when" \
    -C "$stage/$name" -cf - LICENSE README.md workerbench | gzip -n -9 >"$dist/$name.tar.gz"
  echo "built $dist/$name.tar.gz"
  wheel=$("$stage/wheel" -version "$version" -platform "$platform" -binary "$stage/$name/workerbench" \
    -license LICENSE -mtime "$when" -out "$dist")
  echo "built $wheel"
done

(cd "$dist" && sha256 -- *.tar.gz *.whl | sort -k 2 >checksums.txt)
printf '{"version": "%s", "commit": "%s", "go": "%s"}\n' "$version" "$commit" "$goversion" >"$dist/metadata.json"
echo "wrote $dist/checksums.txt: version $version, source commit $commit, $goversion"

case $mode in
digests)
  cp "$dist/checksums.txt" "$digests_file"
  cat "$digests_file"
  echo "wrote $digests_file; now: git add $digests_file && git commit -m 'Pin the v$version release digests' && git tag v$version"
  ;;
check)
  [ -r "$digests_file" ] || die "no $digests_file at this commit: run .github/scripts/release.sh digests, commit it, and tag that commit"
  if ! diff -u --label "committed $digests_file" --label "built now" "$digests_file" "$dist/checksums.txt" >&2; then
    die "the archives built now differ from the digests committed in $digests_file (above): run .github/scripts/release.sh digests on the commit to release, commit only $digests_file on top of it, and tag that commit"
  fi
  echo "every archive and wheel matches $digests_file"
  ;;
esac
