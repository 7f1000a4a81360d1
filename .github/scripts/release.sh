#!/usr/bin/env bash
# Builds a workerbench release into DIST (default dist/): for linux and
# darwin × amd64 and arm64, workerbench_VERSION_OS_ARCH.tar.gz holding the
# binary, LICENSE and README.md, plus checksums.txt (SHA-256) and
# metadata.json. VERSION comes from the file VERSION.
#
# The release workflow (.github/workflows/release.yml) publishes what this
# builds, and .ci/run builds it too, so CI tests the very archives a release
# ships. (GoReleaser would do the same, but no package manager here serves
# it: installing it is an 8-minute compile on a 2-core machine.)
#
# Binaries are built with CGO_ENABLED=0, -trimpath and stripped (-s -w),
# stamped with the version and commit; archives are reproducible: sorted
# entries, owner 0, and every time set to the commit's.
set -euo pipefail
cd "$(dirname "$0")/../.."

dist=${1:-dist}
version=$(tr -d ' \t\r\n' < VERSION)
commit=$(git rev-parse HEAD)
when=$(git log -1 --format=%ct HEAD)

rm -rf "$dist"
mkdir -p "$dist"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

for platform in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64; do
  goos=${platform%_*} goarch=${platform#*_}
  name="workerbench_${version}_${platform}"
  mkdir -p "$stage/$name"
  CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath \
    -ldflags "-s -w -X main.version=$version -X main.commit=$commit" \
    -o "$stage/$name/workerbench" ./cmd/workerbench
  cp LICENSE README.md "$stage/$name/"
  chmod 0755 "$stage/$name/workerbench"
  chmod 0644 "$stage/$name/LICENSE" "$stage/$name/README.md"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$when" \
    -C "$stage/$name" -cf - LICENSE README.md workerbench | gzip -n -9 > "$dist/$name.tar.gz"
  echo "built $dist/$name.tar.gz"
done

(cd "$dist" && sha256sum -- *.tar.gz > checksums.txt)
printf '{"version": "%s", "commit": "%s"}\n' "$version" "$commit" > "$dist/metadata.json"
echo "wrote $dist/checksums.txt"
